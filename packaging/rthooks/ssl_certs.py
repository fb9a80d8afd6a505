"""PyInstaller runtime hook: point the bundled OpenSSL at the system's CA certificates, and at
its own configuration file instead of the host's.

The bundled libssl looks for certificates where the build machine's distribution keeps them
(Debian: /usr/lib/ssl). On Fedora, openSUSE or Arch that folder does not exist and every
HTTPS request (``digestdesk fetch``) would fail certificate verification, so the first CA
bundle found in the usual places is used unless the user set SSL_CERT_FILE/SSL_CERT_DIR.
(No ``import ssl`` here: it would cost every start, commands included, a few milliseconds.)
"""

import os
import sys


def _use_system_certificates() -> None:
    if not sys.platform.startswith("linux"):
        return
    if os.environ.get("SSL_CERT_FILE") or os.environ.get("SSL_CERT_DIR"):
        return
    for candidate in (
        "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Arch, Gentoo
        "/etc/pki/tls/certs/ca-bundle.crt",  # Fedora, RHEL
        "/etc/ssl/ca-bundle.pem",  # openSUSE
        "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  # RHEL, CentOS
        "/etc/ssl/cert.pem",  # Alpine, Void
    ):
        if os.path.isfile(candidate):
            os.environ["SSL_CERT_FILE"] = candidate
            return



def _use_bundled_openssl_config() -> None:
    """The bundled libssl reads its own configuration, not the host's (written for the host's
    OpenSSL, which may be older or newer than the bundled one)."""
    if os.environ.get("OPENSSL_CONF"):
        return
    bundled = os.path.join(getattr(sys, "_MEIPASS", ""), "resources", "openssl.cnf")
    if os.path.isfile(bundled):
        os.environ["OPENSSL_CONF"] = bundled


_use_system_certificates()
_use_bundled_openssl_config()
