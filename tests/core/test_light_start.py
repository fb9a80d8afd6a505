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

import pytest

HEAVY = ("sqlalchemy", "alembic", "whoosh", "PySide6", "qtawesome")
HEAVY_OWN = ("digestdesk.core.library", "digestdesk.core.index", "digestdesk.ui")

# Run the real entry point, then print the loaded modules on the way out (an atexit hook runs
# after argparse's SystemExit for --version and --help).
_PROBE = """
import atexit, json, sys
atexit.register(lambda: sys.__stderr__.write("MODULES=" + json.dumps(sorted(sys.modules))))
sys.argv = ["digestdesk", *ARGS]
from digestdesk.app import main
raise SystemExit(main())
"""


def _loaded_modules(*argv: str) -> tuple[str, list[str]]:
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
    return done.stdout, json.loads(done.stderr[marker + len("MODULES=") :])


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
