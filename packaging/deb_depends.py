"""Print the Depends field for the .deb: the Debian packages of the shared libraries that the
bundled files link to but the bundle does not carry (what host-libraries.txt leaves to the
host, libc and the GL libraries Qt uses), found with ``dpkg -S`` on the build machine.

    python packaging/deb_depends.py build/deb/root/opt/digestdesk
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from check_bundle import BASELINE

#: Packages renamed by Debian's and Ubuntu's 64-bit time_t transition: either name will do.
T64_RENAMED = {"libglib2.0-0", "libssl3", "libcurl4", "libgcrypt20"}


def needed_libraries(path: Path) -> list[str]:
    """The DT_NEEDED names of an ELF file (``objdump -p``, from binutils)."""
    result = subprocess.run(
        ["objdump", "-p", str(path)], capture_output=True, text=True, check=False
    )
    return re.findall(r"^\s+NEEDED\s+(\S+)$", result.stdout, flags=re.MULTILINE)


def library_paths() -> dict[str, str]:
    """Soname -> path of the host's libraries for this architecture (``ldconfig -p``)."""
    output = subprocess.run(
        ["/sbin/ldconfig", "-p"], capture_output=True, text=True, check=True
    ).stdout
    found: dict[str, str] = {}
    for line in output.splitlines():
        match = re.match(r"\s+(\S+) \((libc6,x86-64|libc6,AArch64|libc6)[^)]*\) => (\S+)", line)
        if match:
            found.setdefault(match.group(1), match.group(3))
    return found


def owner(path: str) -> str | None:
    for candidate in (path, str(Path(path).resolve())):
        result = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if result.returncode == 0:
            return result.stdout.split(":", 1)[0].split(",")[0].strip()
        # /lib is a link to /usr/lib on merged-/usr systems; dpkg knows one of the two.
        alternative = candidate.replace("/usr/lib/", "/lib/", 1)
        if alternative != candidate:
            result = subprocess.run(["dpkg", "-S", alternative], capture_output=True, text=True)
            if result.returncode == 0:
                return result.stdout.split(":", 1)[0].split(",")[0].strip()
    return None


def main(argv: list[str]) -> int:
    app_dir = Path(argv[0])
    bundled = {p.name for p in app_dir.rglob("*") if p.is_file() or p.is_symlink()}
    wanted: set[str] = set()
    for path in app_dir.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if handle.read(4) != b"\x7fELF":
                    continue
            wanted.update(n for n in needed_libraries(path) if n not in bundled)
    # Qt's xcb plugin and OpenGL integration load these at run time.
    wanted.update({"libGL.so.1", "libEGL.so.1", "libxkbcommon.so.0"} - bundled)
    paths = library_paths()
    packages: set[str] = set()
    missing = []
    for name in sorted(wanted):
        if name.startswith(
            (
                "ld-linux",
                "libc.so",
                "libm.so",
                "libdl.so",
                "libpthread.so",
                "librt.so",
                "libutil.so",
            )
        ):
            continue  # libc6, below
        package = owner(paths[name]) if name in paths else None
        if package is None:
            missing.append(name)
        else:
            packages.add(package)
    if missing:
        print("deb_depends.py: no package found for " + ", ".join(missing), file=sys.stderr)
        return 1
    fields = [f"libc6 (>= {BASELINE})"]
    for package in sorted(packages - {"libc6"}):
        base = package.removesuffix("t64")
        fields.append(f"{base}t64 | {base}" if base in T64_RENAMED else package)
    print(", ".join(fields))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
