"""The core must import and work without Qt (house rule 1)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path


def test_core_imports_with_qt_blocked(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("PySide6", "qtawesome", "qtpy", "shiboken6"):
                    raise ImportError("Qt is blocked in this test: " + name)
                return None
        sys.meta_path.insert(0, Block())
        import pkgutil, importlib, digestdesk.core
        for mod in pkgutil.walk_packages(digestdesk.core.__path__, "digestdesk.core."):
            if ".migrations" in mod.name:
                continue
            importlib.import_module(mod.name)
        import digestdesk.cli
        from digestdesk.paths import resolve_library
        from digestdesk.core.library import Library
        with Library.open(resolve_library({str(tmp_path)!r})) as lib:
            assert lib.counts()["total"] == 0
        print("ok")
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "DIGESTDESK_DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok")
