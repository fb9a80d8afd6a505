"""Keep ``None``, ``True`` and ``False`` alive under PySide6 6.12 on Python 3.11.

PySide6 6.12.0's wrappers return ``None`` from every void method (``setText``, ``start``,
``processEvents``...) and ``True`` from ``Signal.emit()`` without taking the reference they
hand back. From Python 3.12 on these objects are immortal and nothing happens; on 3.11 each
call takes one reference away, and after a few thousand calls (seconds of real use) the
interpreter aborts with ``Fatal Python error: none_dealloc`` (or ``bool_dealloc``) — at exit,
or in the middle of a session.

:func:`protect_singletons` gives the three objects the same immortality 3.12 has: a reference
count so large that no session can wear it down. It is a no-op where the interpreter already
makes them immortal. ``tests/ui/test_refcount_guard.py`` shows the leak and the guard.
"""

from __future__ import annotations

import ctypes
import sys

#: References added to each singleton: at a million leaked references a second this lasts
#: longer than a machine does.
RESERVE = 1 << 48


def needed() -> bool:
    return sys.implementation.name == "cpython" and sys.version_info < (3, 12)


def protect_singletons() -> None:
    """Make ``None``, ``True`` and ``False`` effectively immortal (idempotent)."""
    if not needed():
        return
    for obj in (None, True, False):
        # CPython: a PyObject starts with its reference count (Py_ssize_t).
        refcount = ctypes.c_ssize_t.from_address(id(obj))
        if refcount.value < RESERVE:
            refcount.value += RESERVE
