"""The import summary dialog: a file that could not be imported shows why without a click."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from digestdesk.core.drafts import ParseProblem
from digestdesk.core.records import ImportReport
from digestdesk.ui.import_dialogs import ImportSummaryDialog


def test_failed_files_are_expanded_to_their_reason(qtbot: QtBot) -> None:
    fine = ImportReport("fine.json", "hf-json", None, None, None, new=3)
    partly = ImportReport(
        "partly.json", "hf-json", None, None, None, new=1, skipped=[ParseProblem("item 2", "bad")]
    )
    failures = [("damaged.json", "not valid JSON (line 1, column 654)"), ("deep.json", "too deep")]
    dialog = ImportSummaryDialog([fine, partly], failures)
    qtbot.addWidget(dialog)
    tree = dialog.tree
    tops = {tree.topLevelItem(i).text(0): tree.topLevelItem(i) for i in range(4)}
    assert not tops["fine.json"].isExpanded()  # several files, nothing skipped: folded
    assert tops["partly.json"].isExpanded()
    for name, message in failures:
        assert tops[name].text(1) == "not imported"
        assert tops[name].isExpanded(), name
        assert tops[name].child(0).text(0) == message
