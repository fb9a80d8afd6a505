"""The Qt binding must not leak references to None/True (PySide6 6.12.0 on Python 3.11 did:
every void call and every emit dropped one, and the interpreter aborted with "none_dealloc"
after a few thousand calls). pyproject.toml pins a release without that bug; this test keeps
it that way. It runs in a child process so a leaking binding cannot take this one down."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QApplication, QLineEdit
    class Emitter(QObject):
        happened = Signal()
    app = QApplication([])
    edit, emitter = QLineEdit(), Emitter()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(20000):
        edit.setText("x")
        emitter.happened.emit()
    print(none_before - sys.getrefcount(None), true_before - sys.getrefcount(True))
    """
)


def test_void_calls_and_emits_keep_none_and_true_alive() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lost_none, lost_true = (int(n) for n in done.stdout.split())
    assert lost_none < 100 and lost_true < 100, (lost_none, lost_true)
