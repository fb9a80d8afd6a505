"""Regenerate the documentation screenshots: ``python -m digestdesk.ui.screenshots DIR``.

Renders offscreen (``QT_QPA_PLATFORM=offscreen``) from a temporary library holding the
built-in sample: the main window in light and dark, the help overlay, the command palette,
the import summary and a reading session. ``trends.png`` shows the trend sidebar over the real
Hugging Face API samples in ``../shared/samples/hf-daily-api/`` (as of 2026-08-14, 30 days);
without them it falls back to the built-in sample and says so. ``related.png`` shows the
reader's Related tab over the same samples, ``for-you.png`` the sidebar's For you picks after
a month of triage and ``popularity.png`` its most voted papers and code gaining stars (these three
only with them). ``make screenshots`` writes
them to ``docs/screenshots/``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint, QSettings, Qt  # noqa: E402
from PySide6.QtGui import QColor, QPainter, QPixmap  # noqa: E402
from PySide6.QtWidgets import QAbstractItemView, QApplication, QWidget  # noqa: E402

from digestdesk.core.library import Changes, Library  # noqa: E402
from digestdesk.paths import resolve_library  # noqa: E402
from digestdesk.ui.application import (  # noqa: E402
    apply_color_scheme,
    make_application,
    sample_path,
    wait_until,
    window_idle,
)
from digestdesk.ui.import_dialogs import ImportSummaryDialog  # noqa: E402
from digestdesk.ui.main_window import MainWindow  # noqa: E402

SIZE = (1360, 820)
SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "samples" / "hf-daily-api"
TRENDS_AS_OF = date(2025, 5, 31)  # spring 2025: reasoning models, GRPO, distillation rise
#: The day ``popularity.png`` shows: the most voted papers and the code gaining stars.
POPULARITY_AS_OF = date(2025, 10, 31)
#: The paper whose related papers ``related.png`` shows (the newest such one of the samples).
RELATED_QUERY = '"world models" "reinforcement learning" sort:date'


def _settle(window: MainWindow) -> None:
    wait_until(lambda: window_idle(window), 30)
    for _ in range(5):
        QApplication.processEvents()


def _open_window(library: Library, folder: Path) -> MainWindow:
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    settings.clear()
    window = MainWindow(library, settings, url_opener=lambda _url: None, show_dialogs=False)
    window.resize(*SIZE)
    window.show()
    _settle(window)
    return window


def _over(window: MainWindow, dialog: QWidget) -> QPixmap:
    """The window dimmed, with the dialog drawn centred on it (offscreen has no compositor)."""
    base = window.grab()
    dialog.show()
    for _ in range(5):
        QApplication.processEvents()
    top = dialog.grab()
    dialog.hide()
    painter = QPainter(base)
    painter.fillRect(base.rect(), QColor(0, 0, 0, 90))
    ratio = base.devicePixelRatio() or 1.0
    x = int((base.width() / ratio - top.width() / (top.devicePixelRatio() or 1.0)) / 2)
    y = int((base.height() / ratio - top.height() / (top.devicePixelRatio() or 1.0)) / 3)
    painter.drawPixmap(QPoint(x, y), top)
    painter.end()
    return base


def _prepare_library(library: Library) -> None:
    report = library.import_file(sample_path())
    ids = library.search("").ids
    library.set_status(ids[1:3], "read")
    library.set_status([ids[3]], "queued")
    library.set_status([ids[5]], "skipped")
    library.change_tags([ids[0], ids[7]], add=["reading-group"])
    library.change_tags([ids[7]], add=["long-context"])
    library.set_note(ids[7], "Compare with block-sparse baselines at 32k tokens.")
    assert report.new == 8


def _triage(library: Library, before: date) -> None:
    """A reader's month of triage before ``before``: papers on reinforcement learning read or
    queued, twice as many others skipped (what For you learns from)."""
    earlier = f"date:2020-01-01..{before.isoformat()}"
    liked = library.search(f'"reinforcement learning" {earlier} sort:date').ids[:40]
    library.set_status(liked[::2], "read")
    library.set_status(liked[1::2], "queued")
    others = [i for i in library.search(f"{earlier} sort:date").ids if i not in set(liked)]
    library.set_status(others[:80], "skipped")


def _popularity_shots(window: MainWindow, library: Library) -> tuple[QPixmap, QPixmap]:
    """After a month of triage: the sidebar's For you picks with their reasons at the top, and
    further down the late risers and the code gaining stars."""
    sidebar = window.trend_sidebar
    _triage(library, TRENDS_AS_OF - timedelta(days=3))
    window.hub.publish(Changes(kinds=frozenset({"status"})))
    window.for_you.compute()
    wait_until(
        lambda: bool(sidebar.rows("pick")) and window_idle(window) and not window.for_you.pending(),
        300,
    )
    sidebar.list.scrollToTop()
    sidebar.list.setCurrentItem(sidebar.rows("pick")[0])
    _settle(window)
    for_you = window.grab()
    # Autumn 2025: the samples carry star counts by then (one vote snapshot per paper, so no
    # late risers to show: the tests construct them).
    sidebar.set_as_of(POPULARITY_AS_OF)
    window.trends.compute()
    wait_until(
        lambda: (
            sidebar.report is not None
            and sidebar.report.as_of == POPULARITY_AS_OF
            and window_idle(window)
        ),
        60,
    )
    headings = [i for i in sidebar.rows("heading") if i.text() in ("LATE RISERS", "MOST VOTED")]
    if headings:
        sidebar.list.scrollToItem(headings[0], QAbstractItemView.ScrollHint.PositionAtTop)
    _settle(window)
    return for_you, window.grab()


def _trends_shot(folder: Path) -> tuple[QPixmap, QPixmap | None, tuple[QPixmap, QPixmap] | None]:
    """The trend sidebar over the real API samples (or the built-in sample without them), and
    the reader's Related tab on a paper about world models with the phrases each related paper
    shares (None without the samples: eight papers relate to little), then the For you and
    popularity shots (:func:`_popularity_shots`; also only with the samples)."""
    library = Library.open(resolve_library(folder / "trends"), writer=True)
    try:
        files = sorted(SAMPLES.glob("*.json")) if SAMPLES.is_dir() else []
        if files:
            for path in files:
                library.import_file(path, index=False)
            library.ensure_index()
        else:
            print(f"{SAMPLES} is absent: trends.png shows the built-in sample instead")
            _prepare_library(library)
        window = _open_window(library, folder)
        try:
            if files:  # a chosen month, picked in the sidebar's as-of control
                window.trend_sidebar.set_as_of(TRENDS_AS_OF)
            window.trend_dock.show()
            window.resizeDocks([window.trend_dock], [380], Qt.Orientation.Horizontal)
            window.trend_sidebar.set_choice("30d", "published")
            window.trends.compute()
            wait_until(lambda: window.trend_sidebar.report is not None and window_idle(window), 30)
            window.trend_sidebar.focus_list()
            window.trend_sidebar.list.scrollToTop()
            first = window.trend_sidebar.rows("term")
            if first:
                window.trend_sidebar.list.setCurrentItem(first[0])
            _settle(window)
            trends = window.grab()
            if not files:
                return trends, None, None
            paper = library.search(RELATED_QUERY).ids[0]
            window.show_lower_tab(window.related)
            window.navigation.jump_to_entry(paper)
            wait_until(lambda: window.related.for_id == paper and bool(window.related.ids), 300)
            _settle(window)
            related = window.grab()
            return trends, related, _popularity_shots(window, library)
        finally:
            window.close()
    finally:
        library.close()


def _session_shot(window: MainWindow) -> QPixmap:
    """A reading session two entries in (read, then queued), on the third."""
    window.search.set_query("")
    _settle(window)
    window.registry.trigger("session.start")
    _settle(window)
    window.sessions.mark("read")
    _settle(window)
    window.sessions.mark("queued")
    _settle(window)
    return window.grab()


def render_all(out_dir: Path) -> list[Path]:
    app = make_application()
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save(pixmap: QPixmap, name: str) -> None:
        path = out_dir / name
        if not pixmap.save(str(path)):
            raise SystemExit(f"cannot write {path}")
        written.append(path)

    with tempfile.TemporaryDirectory(prefix="digestdesk-shots-") as temp:
        folder = Path(temp)
        library = Library.open(resolve_library(folder / "library"), writer=True)
        try:
            _prepare_library(library)
            lattice = library.search("lattice").ids[0]

            def shot(
                scheme: Qt.ColorScheme, name: str, extra: Callable[[MainWindow], None]
            ) -> None:
                apply_color_scheme(app, scheme)
                window = _open_window(library, folder)
                try:
                    extra(window)
                    _settle(window)
                    save(window.grab(), name)
                finally:
                    window.close()

            def light(window: MainWindow) -> None:
                window.view.select_id(lattice)
                window.view.setFocus()

            def dark(window: MainWindow) -> None:
                window.search_bar.set_text("attention OR agents")
                _settle(window)
                window.view.move_to(0)
                window.view.setFocus()

            shot(Qt.ColorScheme.Light, "main-light.png", light)
            shot(Qt.ColorScheme.Dark, "main-dark.png", dark)

            apply_color_scheme(app, Qt.ColorScheme.Light)
            window = _open_window(library, folder)
            try:
                window.view.select_id(lattice)
                _settle(window)
                overlay = window.commands.show_help()
                overlay.resize(860, 620)
                save(_over(window, overlay), "help-overlay.png")
                palette = window.commands.show_palette()
                palette.edit.setText("mark")
                palette.resize(600, 380)
                save(_over(window, palette), "palette.png")
                with Library.open(resolve_library(folder / "fresh"), writer=True) as fresh:
                    broken = (
                        b'[{"paper": {"id": "2603.09999", "title": ""}}, '
                        + sample_path().read_bytes()[1:]
                    )
                    partial = fresh.import_bytes(broken, name="2026-03-05.json")
                    report = fresh.import_file(sample_path())
                summary = ImportSummaryDialog(
                    [partial, report],
                    [
                        (
                            "notes.pdf",
                            "notes.pdf is not a digest Digest Desk can read: it is not "
                            "a Hugging Face JSON, page text, arXiv Atom or Digest Desk export.",
                        )
                    ],
                    window,
                )
                summary.resize(760, 460)
                save(_over(window, summary), "import-summary.png")
                save(_session_shot(window), "session.png")
                window.sessions.stop_session()
                _settle(window)
            finally:
                window.close()
            trends, related, popularity = _trends_shot(folder)
            save(trends, "trends.png")
            if related is not None:
                save(related, "related.png")
            if popularity is not None:
                save(popularity[0], "for-you.png")
                save(popularity[1], "popularity.png")
        finally:
            library.close()
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0] if args else "docs/screenshots")
    for path in render_all(out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
