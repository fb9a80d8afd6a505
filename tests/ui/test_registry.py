"""The action registry: consistent, documented, and the only place that makes shortcuts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

import digestdesk.ui
from digestdesk.ui.actions import (
    ACTIONS,
    CONTEXTS,
    MENUS,
    Keymap,
    find_conflicts,
    handles,
    normalized,
)
from digestdesk.ui.main_window import MainWindow

UI_DIR = Path(digestdesk.ui.__file__).parent


def test_ids_are_unique_and_dotted() -> None:
    ids = [spec.id for spec in ACTIONS]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z]+(\.[a-z0-9_]+)+", i) for i in ids), ids


def test_every_action_has_help_a_known_context_and_menu() -> None:
    for spec in ACTIONS:
        assert spec.help.strip() and spec.help.strip()[-1] in ".…", spec.id
        assert spec.title.strip(), spec.id
        assert spec.context in CONTEXTS, spec.id
        assert spec.menu is None or spec.menu in MENUS, spec.id


def test_every_action_has_exactly_one_handler_once_the_window_is_built(
    window: MainWindow,
) -> None:
    assert window.registry.unbound() == []
    assert set(window.registry.handlers) == {spec.id for spec in ACTIONS}


def test_a_second_handler_or_an_unknown_id_is_refused(window: MainWindow) -> None:
    class Again:
        @handles("go.next")
        def next_again(self) -> None: ...

    class Unknown:
        @handles("go.nowhere")
        def nowhere(self) -> None: ...

    with pytest.raises(ValueError, match="two handlers"):
        window.registry.bind(Again())
    with pytest.raises(ValueError, match="unknown"):
        window.registry.bind(Unknown())


def test_an_action_calls_its_handler_with_the_spec_args(window: MainWindow) -> None:
    handler = window.registry.handlers["view.sort_votes"]
    assert handler == window.search.set_sort
    window.registry.trigger("view.sort_votes")
    assert window.search.query.sort == "votes"


def test_default_keys_parse_and_do_not_clash() -> None:
    keymap = {spec.id: spec.keys for spec in ACTIONS}
    for spec in ACTIONS:
        for key in spec.keys:
            assert normalized(key), f"{spec.id}: {key!r} is not a key"
    assert find_conflicts(keymap) == []


def test_conflicts_are_found_within_a_context_and_against_window_keys() -> None:
    keymap = {spec.id: spec.keys for spec in ACTIONS}
    keymap["go.next"] = ("k",)  # same context as go.previous
    keymap["entry.edit_note"] = ("Ctrl+K",)  # a window-wide key
    found = {c.action_ids for c in find_conflicts(keymap)}
    assert ("go.next", "go.previous") in found
    assert ("app.command_palette", "entry.edit_note") in found
    # The same key in two editors that are never active together is fine.
    keymap = {spec.id: spec.keys for spec in ACTIONS}
    assert {"search.leave", "note.leave"}.isdisjoint(
        {i for c in find_conflicts(keymap) for i in c.action_ids}
    )


def test_keymap_overrides_round_trip(tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "k.ini"), QSettings.Format.IniFormat)
    keymap = Keymap(settings)
    keys = keymap.current()
    keys["go.next"] = ("Ctrl+J", ",")
    keymap.save(keys)
    again = Keymap(QSettings(str(tmp_path / "k.ini"), QSettings.Format.IniFormat)).current()
    assert again["go.next"] == ("Ctrl+J", ",")
    assert again["go.previous"] == ("K",)
    assert keymap.overrides() == {"go.next": ("Ctrl+J", ",")}


def test_no_shortcuts_outside_the_registry() -> None:
    offenders = []
    for path in UI_DIR.rglob("*.py"):
        if path.name == "actions.py":
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in ("setShortcut", "QShortcut("):
            if pattern in text:
                offenders.append(f"{path.name}: {pattern}")
    assert offenders == []


def test_help_overlay_and_palette_list_every_keyed_action(
    qtbot: object, window: MainWindow
) -> None:
    overlay = window.commands.show_help()
    text = overlay.browser.toPlainText()
    for spec in ACTIONS:
        if spec.keys:
            assert spec.title.rstrip("…") in text, spec.id
    palette = window.commands.show_palette()
    listed = {palette.row_text(i) for i in range(palette.count())}
    assert "Mark Read\tr" in listed
    assert "Command Palette\tCtrl+K  Ctrl+Shift+P" in listed
    palette.edit.setText("impclip")
    assert palette.row_text(0).startswith("Import from Clipboard")


def test_keymap_editor_blocks_conflicts_and_saves_overrides(
    qtbot: object, window: MainWindow
) -> None:
    from PySide6.QtWidgets import QDialogButtonBox

    from digestdesk.ui.keymap_dialog import KeymapDialog

    dialog = KeymapDialog(ACTIONS, window.registry.keymap, window)
    qtbot.addWidget(dialog)  # type: ignore[attr-defined]
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    dialog.set_keys("go.next", ["k"])
    assert not save.isEnabled()
    assert "Next Entry" in dialog.conflicts.text() and "Previous Entry" in dialog.conflicts.text()
    dialog.set_keys("go.next", ["Ctrl+J"])
    assert save.isEnabled() and not dialog.conflicts.text()
    window.registry.keymap.save(dialog.result_keymap())
    window.registry.apply_keymap()
    assert window.registry.keys_of("go.next") == ("Ctrl+J",)
