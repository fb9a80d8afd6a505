"""Check a built app folder for what makes it run on older Linux systems.

    python packaging/check_bundle.py dist/digestdesk [--glibc 2.35]

Fails (exit 1) when a bundled ELF file needs a glibc symbol version above the baseline
(default 2.35: Ubuntu 22.04 LTS, the oldest Linux desktop still supported here), or when a
library that host-libraries.txt leaves to the host is bundled anyway. Prints every bundled
ELF file's highest GLIBC_ version, the highest first. Reads the ELF files itself (the
.gnu.version_r section), so it needs no binutils.
"""

from __future__ import annotations

import argparse
import re
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASELINE = "2.35"


def host_library_pattern() -> re.Pattern[str]:
    stems = [
        line.strip()
        for line in (HERE / "host-libraries.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return re.compile(r"^lib(" + "|".join(stems) + r")\.so(\.[0-9]+)*$")


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def glibc_versions(path: Path) -> list[str]:
    """The GLIBC_x.y versions an ELF file needs (its version-needed entries), [] if none or
    if it is not a 64- or 32-bit little-endian ELF file."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[5] != 1:
        return []
    is64 = data[4] == 2
    if is64:
        (shoff,) = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    else:
        (shoff,) = struct.unpack_from("<I", data, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x2E)
    sections = []
    for index in range(shnum):
        base = shoff + index * shentsize
        if is64:
            name, kind, _flags, _addr, offset, size, link = struct.unpack_from(
                "<IIQQQQI", data, base
            )
        else:
            name, kind, _flags, _addr, offset, size, link = struct.unpack_from(
                "<IIIIIII", data, base
            )
        sections.append((name, kind, offset, size, link))
    found: set[str] = set()
    SHT_GNU_VERNEED = 0x6FFFFFFE
    for _name, kind, offset, _size, link in sections:
        if kind != SHT_GNU_VERNEED:
            continue
        strtab = sections[link][2]
        entry = offset
        while True:
            _ver, count, _file, aux, next_entry = struct.unpack_from("<HHIII", data, entry)
            aux_at = entry + aux
            for _ in range(count):
                _hash, _flags, _other, name_at, next_aux = struct.unpack_from(
                    "<IHHII", data, aux_at
                )
                end = data.index(b"\0", strtab + name_at)
                name = data[strtab + name_at : end].decode("ascii", "replace")
                if name.startswith("GLIBC_") and re.fullmatch(r"GLIBC_[0-9.]+", name):
                    found.add(name[6:])
                if not next_aux:
                    break
                aux_at += next_aux
            if not next_entry:
                break
            entry += next_entry
    return sorted(found, key=_version)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("app_dir", type=Path)
    parser.add_argument("--glibc", default=BASELINE, help=f"the baseline (default {BASELINE})")
    options = parser.parse_args(argv)
    pattern = host_library_pattern()
    rows: list[tuple[tuple[int, ...], str, Path]] = []
    bundled_host: list[Path] = []
    for path in sorted(options.app_dir.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        with path.open("rb") as handle:
            if handle.read(4) != b"\x7fELF":
                continue
        if pattern.match(path.name):
            bundled_host.append(path)
        versions = glibc_versions(path)
        if versions:
            rows.append((_version(versions[-1]), versions[-1], path))
    rows.sort(reverse=True)
    baseline = _version(options.glibc)
    too_new = [(text, path) for version, text, path in rows if version > baseline]
    print(f"{len(rows)} bundled ELF files need glibc; the highest:")
    for _version_tuple, text, path in rows[:8]:
        print(f"  GLIBC_{text:<6} {path.relative_to(options.app_dir)}")
    failed = False
    for text, path in too_new:
        print(
            f"FAIL: {path.relative_to(options.app_dir)} needs GLIBC_{text} (baseline "
            f"{options.glibc})",
            file=sys.stderr,
        )
        failed = True
    for path in bundled_host:
        print(
            f"FAIL: {path.relative_to(options.app_dir)} is bundled but left to the host "
            "(host-libraries.txt)",
            file=sys.stderr,
        )
        failed = True
    if not failed:
        print(f"OK: nothing needs more than glibc {options.glibc}; no host library bundled")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
