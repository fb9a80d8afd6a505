"""The window's own commands: which panes show, the command palette, the keyboard help, the
keymap editor, and quitting."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtWidgets import QApplication

from digestdesk.ui.actions import ACTIONS, handles
from digestdesk.ui.command_palette import CommandPalette
from digestdesk.ui.help_overlay import HelpOverlay
from digestdesk.ui.keymap_dialog import KeymapDialog
from digestdesk.ui.window_layout import WindowLayout


class WindowCommands:
    """Panes, palette, help, keys and quit."""

    def __init__(
        self, window: WindowLayout, not_applicable: Callable[[], Mapping[str, str]] = dict
    ) -> None:
        self.window = window
        self._not_applicable = not_applicable  # commands that would do nothing now, and why

    @handles("view.toggle_trends")
    def toggle_trends(self) -> None:
        window = self.window
        focused = QApplication.focusWidget()
        had_focus = focused is not None and window.trend_dock.isAncestorOf(focused)
        window.trend_dock.setVisible(not window.trend_dock.isVisible())
        if window.trend_dock.isVisible():
            window.trend_sidebar.focus_list()
        elif had_focus:
            # Qt would hand the focus to the next widget, the search bar with its text
            # selected: the next triage key would replace the query.
            window.focus_list()

    @handles("view.toggle_reader")
    def toggle_reader(self) -> None:
        splitter = self.window.reader_splitter
        splitter.setVisible(not splitter.isVisible())

    @handles("app.command_palette")
    def show_palette(self) -> CommandPalette:
        window = self.window
        palette = CommandPalette(
            ACTIONS, window.registry.actions, window, not_applicable=self._not_applicable()
        )
        if window.show_dialogs:
            palette.open()
        return palette

    @handles("app.help")
    def show_help(self) -> HelpOverlay:
        window = self.window
        overlay = HelpOverlay(ACTIONS, window.registry.keymap.current(), window)
        if window.show_dialogs:
            overlay.open()
        return overlay

    @handles("app.keymap")
    def edit_keymap(self) -> None:
        window = self.window
        dialog = KeymapDialog(ACTIONS, window.registry.keymap, window)
        accepted = dialog.exec() == KeymapDialog.DialogCode.Accepted
        window.back_from_dialog()
        if accepted:
            keymap = dialog.result_keymap()
            window.registry.keymap.save(keymap)
            window.registry.apply_keymap()
            window.refresh_key_hints()

    @handles("app.quit")
    def quit(self) -> None:
        """Close the window (a note being typed is saved first)."""
        self.window.close()
