"""The trend sidebar's as-of day: reached and changed with the keyboard, typed in, computed for
that day, shown in the rising-topics heading, pinned visibly and kept per library; unpinning
goes back to following the newest day."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from digestdesk.core.drafts import EntryDraft, ParseResult
from digestdesk.core.library import Library
from digestdesk.paths import resolve_library
from digestdesk.ui.main_window import MainWindow
from digestdesk.ui.trend_sidebar import DETAIL, SETTING_AS_OF, TrendSidebar

from .conftest import Opened, make_window, wait_idle
from .test_trend_sidebar import spread_topics

LATEST = date(2025, 6, 30)  # the newest published day in the library
APRIL = date(2025, 4, 30)
# Eight entries each in the 30 days up to their day, none in the 30 before.
RISING = {LATEST: "quantum annealing", APRIL: "optical computing"}


def _fill(library: Library) -> None:
    """Twenty weeks of evenly spread topics; one topic rising in June, another in April."""
    drafts = spread_topics(LATEST)
    n = len(drafts)
    for as_of, topic in RISING.items():
        for ago in (1, 3, 5, 8, 11, 14, 19, 25):
            n += 1
            drafts.append(
                EntryDraft(
                    title=f"Study {n} of {topic}",
                    abstract=f"Abstract {n}.",
                    arxiv_id=f"2501.{n:05d}",
                    published=as_of - timedelta(days=ago),
                    ai_keywords=[topic.title()],
                )
            )
    library.import_parsed(ParseResult(format="demo", entries=drafts), source="constructed")


@pytest.fixture
def sidebar_window(qtbot: QtBot, window: MainWindow, library: Library) -> MainWindow:
    _fill(library)
    window.search.run_query()
    wait_idle(qtbot, window)
    window.registry.trigger("view.toggle_trends")
    qtbot.waitUntil(lambda: window.trend_sidebar.report is not None, timeout=10_000)
    wait_idle(qtbot, window)
    return window


def _wait_for_report(qtbot: QtBot, window: MainWindow, as_of: date) -> None:
    sidebar = window.trend_sidebar
    qtbot.waitUntil(
        lambda: sidebar.report is not None and sidebar.report.as_of == as_of, timeout=10_000
    )
    wait_idle(qtbot, window)


def _rising(window: MainWindow) -> list[str]:
    return [item.text() for item in window.trend_sidebar.rows("term")]


def _period(window: MainWindow) -> str:
    heading = next(i for i in window.trend_sidebar.rows("heading") if i.text() == "RISING TOPICS")
    return str(heading.data(DETAIL))


def test_as_of_day_changed_with_the_keyboard(qtbot: QtBot, sidebar_window: MainWindow) -> None:
    window = sidebar_window
    sidebar = window.trend_sidebar
    # Not pinned: the newest day in the library, shown in the edit and in the heading.
    assert not sidebar.pin_button.isChecked() and sidebar.as_of() is None
    assert sidebar.pin_button.text() == "Newest"
    assert sidebar.report is not None and sidebar.report.as_of == LATEST
    assert _rising(window) == [RISING[LATEST]]
    assert _period(window) == "30 days to 2025-06-30 vs the 30 before"
    assert sidebar.as_of_edit.date().toString("yyyy-MM-dd") == "2025-06-30"

    # From the list, Shift+Tab walks back to the pin and then into the date (on its day field).
    assert sidebar.list.hasFocus()
    qtbot.keyClick(sidebar.list, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert sidebar.pin_button.hasFocus()
    qtbot.keyClick(sidebar.pin_button, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    edit = sidebar.as_of_edit
    assert edit.hasFocus()
    # Shift+Tab once more moves to the month field; Down twice steps June back to April.
    qtbot.keyClick(edit, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert edit.hasFocus()
    qtbot.keyClick(edit, Qt.Key.Key_Down)
    qtbot.keyClick(edit, Qt.Key.Key_Down)
    assert sidebar.as_of() == APRIL and sidebar.pin_button.isChecked()
    assert sidebar.pin_button.text() == "Pinned"

    _wait_for_report(qtbot, window, APRIL)
    assert _rising(window) == [RISING[APRIL]]
    assert _period(window) == "30 days to 2025-04-30 vs the 30 before"
    assert "8 in the last 30 days, 0 in the 30 before" in sidebar.rows("term")[0].toolTip()

    # Kept in the settings under this library's key: a new sidebar over them starts on April.
    key = window.place.key(SETTING_AS_OF)
    assert window.settings.value(key) == "2025-04-30"
    assert window.settings.value(SETTING_AS_OF) is None  # not for every library
    restored = TrendSidebar()
    restored.use_settings(window.settings, key)
    assert restored.as_of() == APRIL and restored.pin_button.isChecked()
    restored.deleteLater()

    # Tab to the pin, Space: unpinned, back to the newest day.
    qtbot.keyClick(edit, Qt.Key.Key_Tab)  # to the day field
    qtbot.keyClick(edit, Qt.Key.Key_Tab)  # out of the edit
    assert sidebar.pin_button.hasFocus()
    qtbot.keyClick(sidebar.pin_button, Qt.Key.Key_Space)
    assert not sidebar.pin_button.isChecked() and sidebar.as_of() is None
    _wait_for_report(qtbot, window, LATEST)
    assert _rising(window) == [RISING[LATEST]]
    assert sidebar.as_of_edit.date().toString("yyyy-MM-dd") == "2025-06-30"
    assert window.settings.value(key) == ""


def test_a_chosen_day_is_cached_per_window_by_and_day(
    qtbot: QtBot, sidebar_window: MainWindow
) -> None:
    window = sidebar_window
    sidebar = window.trend_sidebar
    sidebar.set_as_of(APRIL)
    _wait_for_report(qtbot, window, APRIL)
    april = sidebar.report
    sidebar.set_choice("90d", "published")
    qtbot.waitUntil(lambda: sidebar.report is not april, timeout=10_000)
    wait_idle(qtbot, window)
    assert sidebar.report is not None and sidebar.report.window_days == 90
    assert sidebar.report.as_of == APRIL
    assert _period(window) == "90 days to 2025-04-30 vs the 90 before"
    # Back to 30 days: the same report object comes from the cache.
    sidebar.set_choice("30d", "published")
    qtbot.waitUntil(lambda: sidebar.report is april, timeout=10_000)
    QApplication.processEvents()


def test_a_typed_date_pins_the_day(qtbot: QtBot, sidebar_window: MainWindow) -> None:
    window = sidebar_window
    sidebar = window.trend_sidebar
    edit = sidebar.as_of_edit
    edit.setFocus(Qt.FocusReason.OtherFocusReason)  # as a click would: no section selected
    qtbot.keyClicks(edit, "2025-04-30")
    assert edit.date().toString("yyyy-MM-dd") == "2025-04-30"
    assert sidebar.as_of() == APRIL and sidebar.pin_button.isChecked()
    _wait_for_report(qtbot, window, APRIL)
    assert _rising(window) == [RISING[APRIL]]
    # Digits alone work too, once the field has the focus again.
    sidebar.list.setFocus(Qt.FocusReason.OtherFocusReason)
    edit.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.keyClicks(edit, "20250615")
    assert sidebar.as_of() == date(2025, 6, 15)
    wait_idle(qtbot, window)


def test_unpinned_follows_the_newest_digest_and_pinned_stays(
    qtbot: QtBot, sidebar_window: MainWindow, library: Library
) -> None:
    window = sidebar_window
    sidebar = window.trend_sidebar
    newer = LATEST + timedelta(days=5)
    library.import_parsed(
        ParseResult(
            format="demo",
            entries=[
                EntryDraft(
                    title="A Newer Study",
                    abstract="Newer.",
                    arxiv_id="2507.00001",
                    published=newer,
                )
            ],
        ),
        source="newer",
    )
    window.search.run_query()  # a search shown: the trends are computed again
    _wait_for_report(qtbot, window, newer)
    assert sidebar.as_of_edit.date().toString("yyyy-MM-dd") == newer.isoformat()
    # Pinned, it stays on its day whatever comes in.
    sidebar.set_as_of(APRIL)
    _wait_for_report(qtbot, window, APRIL)
    assert sidebar.pin_button.text() == "Pinned"


def test_the_pinned_day_belongs_to_its_library(
    qtbot: QtBot, sidebar_window: MainWindow, tmp_path: Path, opened: Opened
) -> None:
    window = sidebar_window
    window.trend_sidebar.set_as_of(APRIL)
    _wait_for_report(qtbot, window, APRIL)
    with Library.open(resolve_library(tmp_path / "other")) as other:
        second = make_window(qtbot, other, window.settings, opened)
        try:
            assert second.trend_sidebar.as_of() is None
            assert not second.trend_sidebar.pin_button.isChecked()
        finally:
            second.close()
    again = make_window(qtbot, window.library, window.settings, opened)
    try:
        assert again.trend_sidebar.as_of() == APRIL and again.trend_sidebar.pin_button.isChecked()
    finally:
        again.close()


def test_the_date_field_types_into_the_section_tab_chose(qtbot: QtBot) -> None:
    from digestdesk.ui.date_field import DateField

    field = DateField()
    qtbot.addWidget(field)
    field.set_day(date(2025, 6, 30))
    field.show()
    qtbot.waitExposed(field)
    field.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.keyClicks(field, "2024/1/5")  # other separators, one-digit month and day
    assert field.day() == date(2024, 1, 5)
    # Tab-like: the day section selected, digits replace it.
    field.setSelectedSection(DateField.Section.DaySection)
    qtbot.keyClicks(field, "17")
    assert field.day() == date(2024, 1, 17)


def test_the_date_field_keeps_to_the_days_entries_can_have(qtbot: QtBot) -> None:
    """As the command line's dates: a digest dated 9999 was stored as an import's date, and
    the trends of 9999-12-31 ran past the calendar's end."""
    from digestdesk.ui.date_field import DateField

    field = DateField()
    qtbot.addWidget(field)
    field.set_day(date(9999, 12, 31))
    assert field.day() == date(2200, 12, 31)
    field.set_day(date(1800, 1, 1))
    assert field.day() == date(1900, 1, 1)
    field.set_day(date(2025, 6, 30))
    field.show()
    qtbot.waitExposed(field)
    field.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.keyClicks(field, "9999-12-31")
    assert field.day().year <= 2200


def test_pin_from_the_palette_and_menu(qtbot: QtBot, sidebar_window: MainWindow) -> None:
    window = sidebar_window
    sidebar = window.trend_sidebar
    action = window.registry.actions["trends.pin"]
    assert not action.isChecked() and not sidebar.pinned()
    window.registry.trigger("trends.pin")  # as the palette (Ctrl+K) or the View menu does
    assert sidebar.pinned() and sidebar.as_of() == LATEST
    assert sidebar.pin_button.text() == "Pinned"
    sidebar.set_as_of(None)  # unpinned in the sidebar: the action follows
    assert not action.isChecked()
    wait_idle(qtbot, window)
    target = QApplication.focusWidget() or window  # the list
    qtbot.keyClick(target, Qt.Key.Key_F9, Qt.KeyboardModifier.ShiftModifier)
    assert sidebar.pinned() and action.isChecked()  # its key
    qtbot.keyClick(target, Qt.Key.Key_F9, Qt.KeyboardModifier.ShiftModifier)
    assert not sidebar.pinned()
    wait_idle(qtbot, window)
