"""The desktop window: everything that imports Qt lives in this package."""

from digestdesk.ui.refcount_guard import protect_singletons

# Before any Qt call: PySide6 6.12 on Python 3.11 wears down None's reference count.
protect_singletons()
