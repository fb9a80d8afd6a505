"""The packaged binary (PyInstaller tarball): install, launch, uninstall, as a new user would.

Slow (a build takes minutes), so these run only with DIGESTDESK_PACKAGE_TEST=1; they use
the newest dist/digestdesk-*-linux-*.tar.gz and build one with packaging/build.sh if there
is none. CI runs `make package && bash packaging/smoke_test.sh` directly.
"""

from __future__ import annotations

import os
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLEAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

pytestmark = [
    pytest.mark.package,
    pytest.mark.skipif(
        os.environ.get("DIGESTDESK_PACKAGE_TEST") != "1",
        reason="packaging tests run with DIGESTDESK_PACKAGE_TEST=1 (they build the tarball)",
    ),
]


def _newest_tarball() -> Path | None:
    tarballs = sorted((ROOT / "dist").glob("digestdesk-*-linux-*.tar.gz"), key=os.path.getmtime)
    return tarballs[-1] if tarballs else None


@pytest.fixture(scope="module")
def tarball() -> Path:
    found = _newest_tarball()
    if found is None:
        subprocess.run(["bash", str(ROOT / "packaging" / "build.sh")], cwd=ROOT, check=True)
        found = _newest_tarball()
    assert found is not None, "packaging/build.sh made no tarball"
    return found


@pytest.fixture
def unpacked(tarball: Path, tmp_path: Path) -> Iterator[Path]:
    with tarfile.open(tarball) as archive:
        archive.extractall(tmp_path / "unpacked", filter="tar")
    (package,) = (tmp_path / "unpacked").iterdir()
    yield package


def _clean_env(home: Path) -> dict[str, str]:
    """A new user's environment: no virtualenv, no Python variables, offscreen Qt."""
    runtime = home.parent / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    return {
        "HOME": str(home),
        "PATH": f"{home}/.local/bin:{CLEAN_PATH}",
        "LANG": "C.UTF-8",
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_RUNTIME_DIR": str(runtime),
    }


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)


def _files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() or p.is_symlink()}


def test_smoke_script_passes(tarball: Path) -> None:
    """packaging/smoke_test.sh: install, --self-test screenshot, commands, uninstall."""
    result = subprocess.run(
        ["bash", str(ROOT / "packaging" / "smoke_test.sh"), str(tarball)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "PASS:" in result.stdout


def test_reinstall_replaces_and_uninstall_keeps_the_library(unpacked: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = _clean_env(home)
    library = home / ".local" / "share" / "digestdesk"
    library.mkdir(parents=True)
    (library / "library.sqlite3").write_bytes(b"the user's papers")

    first = _run(["bash", str(unpacked / "install.sh")], env)
    assert first.returncode == 0, first.stderr
    installed = _files_under(home)
    second = _run(["bash", str(unpacked / "install.sh")], env)
    assert second.returncode == 0, second.stderr
    assert _files_under(home) == installed  # idempotent: the same files, nothing doubled

    manifest = (home / ".local/opt/digestdesk/install-manifest.txt").read_text()
    assert "share/digestdesk" not in manifest  # never the library's folder

    gone = _run(["bash", str(unpacked / "uninstall.sh")], env)  # the tarball's copy
    assert gone.returncode == 0, gone.stderr
    assert _files_under(home) == {".local/share/digestdesk/library.sqlite3"}
    assert (library / "library.sqlite3").read_bytes() == b"the user's papers"


def test_install_refuses_a_launcher_it_did_not_install(unpacked: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    foreign = home / ".local" / "bin" / "digestdesk"
    foreign.parent.mkdir(parents=True)
    foreign.write_text("#!/bin/sh\necho pip-installed\n")
    result = _run(["bash", str(unpacked / "install.sh")], _clean_env(home))
    assert result.returncode != 0
    assert "was not installed by install.sh" in result.stderr
    assert foreign.read_text().endswith("pip-installed\n")
    assert not (home / ".local" / "opt").exists()  # refused before changing anything


def test_prefix_install_and_uninstall(unpacked: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    prefix = tmp_path / "usr local"  # a space in the path, for the .desktop Exec quoting
    env = _clean_env(home)
    result = _run(["bash", str(unpacked / "install.sh"), "--prefix", str(prefix)], env)
    assert result.returncode == 0, result.stderr
    desktop = (prefix / "share/applications/org.digestdesk.DigestDesk.desktop").read_text()
    assert f'Exec="{prefix}/opt/digestdesk/digestdesk" %F' in desktop
    version = _run([str(prefix / "bin" / "digestdesk"), "--version"], env)
    assert version.returncode == 0 and version.stdout.startswith("digestdesk ")

    gone = _run(["bash", str(unpacked / "uninstall.sh"), "--prefix", str(prefix)], env)
    assert gone.returncode == 0, gone.stderr
    assert not prefix.exists() or _files_under(prefix) == set()
    assert _files_under(home) == set()
