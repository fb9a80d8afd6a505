"""`digestdesk --version` and `--help` answer before anything heavy is imported.

A new process runs them and reports which modules it loaded: SQLAlchemy, Whoosh and Qt (and
the library, the index and the window built on them) must not be among them. This guards the
mechanism (lazy imports), not a time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("sqlalchemy", "alembic", "whoosh", "PySide6", "qtawesome")
HEAVY_OWN = ("digestdesk.core.library", "digestdesk.core.index", "digestdesk.ui")

# Run the real entry point, then print the loaded modules on the way out (an atexit hook runs
# after argparse's SystemExit for --version and --help).
_PROBE = r"""
import atexit, gc, json, sys
atexit.register(lambda: sys.__stderr__.write(
    f"FROZEN={gc.get_freeze_count()}\nMODULES=" + json.dumps(sorted(sys.modules))
))
sys.argv = ["digestdesk", *ARGS]
from digestdesk.app import main
raise SystemExit(main())
"""


def _loaded_modules(*argv: str) -> tuple[str, list[str]]:
    out, modules, _ = _probe(*argv)
    return out, modules


def _probe(*argv: str) -> tuple[str, list[str], int]:
    """What the command printed, the modules it loaded, and how many objects it left frozen
    (out of the exit's garbage collections) when it ended."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    env.pop("DIGESTDESK_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.replace("ARGS", repr(list(argv)))],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    marker = done.stderr.rindex("MODULES=")
    frozen = int(done.stderr[done.stderr.rindex("FROZEN=") :].split("\n", 1)[0][len("FROZEN=") :])
    return done.stdout, json.loads(done.stderr[marker + len("MODULES=") :]), frozen


@pytest.mark.parametrize(
    "argv",
    [("--version",), ("--help",), ("--help-commands",), ("search", "--help"), ("stats", "-h")],
)
def test_version_and_help_import_nothing_heavy(argv: tuple[str, ...]) -> None:
    out, modules = _loaded_modules(*argv)
    assert out.startswith(("digestdesk ", "usage: digestdesk"))
    heavy = [
        m
        for m in modules
        if m.split(".")[0] in HEAVY or any(m == o or m.startswith(o + ".") for o in HEAVY_OWN)
    ]
    assert heavy == [], f"{' '.join(argv)} imported {heavy}"


def test_the_probe_sees_heavy_imports_when_there_are_some() -> None:
    # The same probe on a command that opens a library does list SQLAlchemy: it can fail.
    import tempfile

    with tempfile.TemporaryDirectory() as library:
        _, modules = _loaded_modules("--library", library, "stats", "--json")
    assert "sqlalchemy" in modules and "digestdesk.core.library" in modules


def test_a_command_leaves_its_objects_to_the_exit_but_a_caller_of_main_keeps_its_own(
    tmp_path: Path,
) -> None:
    import gc

    from digestdesk.app import main

    # The process's own command: what it made is frozen, the exit's collections skip it.
    _, _, frozen = _probe("--library", str(tmp_path / "library"), "stats")
    assert frozen > 1000
    # main() called with arguments (a test, a script) never freezes the caller's objects.
    before = gc.get_freeze_count()
    assert main(["--library", str(tmp_path / "library"), "stats", "--json"]) == 0
    assert gc.get_freeze_count() == before
