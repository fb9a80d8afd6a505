"""Reading sessions: start, decide, tag, note, pause, reopen the library, resume, stop, summary."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from digestdesk.core.drafts import EntryDraft, ParseResult
from digestdesk.core.library import Library
from digestdesk.core.sessions import (
    IDLE_LIMIT,
    NoOpenSessionError,
    Sessions,
    format_duration,
    reading_seconds,
)
from digestdesk.errors import DigestDeskError
from digestdesk.paths import LibraryPaths, resolve_library


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 11, 20, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _fill(library: Library, n: int = 5) -> list[int]:
    drafts = [
        EntryDraft(
            title=f"Entry number {i}",
            abstract=" ".join(["word"] * (230 * i)),  # i minutes of reading
            arxiv_id=f"2511.{i:05d}",
            published=date(2025, 11, i),
        )
        for i in range(1, n + 1)
    ]
    report = library.import_parsed(ParseResult(format="demo", entries=drafts), source="test")
    return [item.entry_id for item in report.items if item.entry_id is not None]


def test_a_whole_session_across_a_restart(library_paths: LibraryPaths) -> None:
    clock = Clock()
    library = Library.open(library_paths)
    try:
        ids = _fill(library)
        sessions = Sessions(library, clock=clock)
        assert sessions.current() is None
        session = sessions.start(ids, label="Current list", source_query="tag:x")
        assert (session.state, session.progress_text, session.current_entry_id) == (
            "active",
            "1 / 5",
            ids[0],
        )
        # 230 * i five-character words read as 1150 * i / 6 words: 50 * i s, plus 20 s each.
        assert session.remaining_seconds == pytest.approx(50 * 15 + 5 * 20, rel=0.01)
        assert session.remaining_seconds == pytest.approx(sessions.estimate_seconds(ids))

        clock.tick(60)
        update = sessions.record("read")
        assert update.changes.entry_ids == {ids[0]} and "session" in update.changes.kinds
        assert library.entry(ids[0]).status == "read"
        assert library.undo_label() == "Mark read"  # through the library: undo works
        assert update.session.progress_text == "2 / 5"
        assert update.session.items[0].seconds == pytest.approx(60)

        clock.tick(30)
        sessions.tag_current(add=["follow-up"])
        sessions.note_current("Check the appendix.")
        assert library.entry(ids[1]).tags == ["follow-up"]
        assert library.entry(ids[1]).note == "Check the appendix."
        clock.tick(30)
        sessions.record("queued")
        assert library.entry(ids[1]).status == "queued"

        clock.tick(45)
        paused = sessions.pause()
        assert paused.state == "paused" and paused.elapsed_seconds == pytest.approx(165)
        assert paused.items[2].seconds == pytest.approx(45)
    finally:
        library.close()

    clock.tick(3 * 3600)  # the app was closed for three hours: none of that counts
    library = Library.open(library_paths)
    try:
        sessions = Sessions(library, clock=clock)
        found = sessions.current()
        assert found is not None and found.state == "paused"
        assert (found.progress_text, found.current_entry_id) == ("3 / 5", ids[2])
        assert found.elapsed_at(clock.now) == pytest.approx(165)
        resumed = sessions.resume()
        assert resumed.state == "active"
        clock.tick(15)
        assert sessions.record("skipped").session.progress_text == "4 / 5"
        clock.tick(10)
        back = sessions.back()
        assert back.current_entry_id == ids[2]
        clock.tick(5)
        sessions.record("read")  # changed its mind: read after all
        clock.tick(20)
        sessions.record("passed")
        assert library.entry(ids[3]).status == "unread"
        clock.tick(20)
        last = sessions.record("skipped").session
        assert last.is_done and last.current_entry_id is None and last.remaining_seconds == 0
        with pytest.raises(DigestDeskError):
            sessions.record("read")
        clock.tick(5)
        summary = sessions.stop()
    finally:
        library.close()

    assert (summary.read, summary.skipped, summary.queued, summary.passed) == (2, 1, 1, 1)
    assert (summary.tagged, summary.noted, summary.total, summary.undecided) == (1, 1, 5, 0)
    assert summary.seconds == pytest.approx(165 + 15 + 10 + 5 + 20 + 20 + 5)
    assert summary.state == "finished" and summary.ended_at == clock.now
    assert summary.text() == "2 read, 1 skipped, 1 queued, 1 passed, 1 tagged, 1 note in 4 min"
    assert summary.to_json()["notes"] == 1


def test_one_open_session_at_a_time(library: Library) -> None:
    ids = _fill(library, 3)
    sessions = Sessions(library)
    first = sessions.start(ids[:2])
    with pytest.raises(DigestDeskError):
        sessions.start(ids)
    second = sessions.start(ids, label="again", replace=True)
    assert second.id != first.id
    listed = sessions.list_sessions()
    assert [s.id for s in listed] == [second.id, first.id]
    assert [s.state for s in listed] == ["active", "finished"]
    assert sessions.summary(first.id).total == 2


def test_nothing_to_read_and_no_open_session(library: Library) -> None:
    sessions = Sessions(library)
    with pytest.raises(DigestDeskError):
        sessions.start([])
    with pytest.raises(DigestDeskError):
        sessions.start([12345])
    with pytest.raises(DigestDeskError):
        sessions.start_queue()
    with pytest.raises(NoOpenSessionError):
        sessions.pause()
    with pytest.raises(NoOpenSessionError):
        sessions.stop()
    ids = _fill(library, 2)
    sessions.start(ids)
    with pytest.raises(DigestDeskError):
        sessions.record("loved")


def test_a_session_over_the_queue(library: Library) -> None:
    ids = _fill(library, 4)
    library.set_status([ids[3], ids[1]], "queued")
    session = Sessions(library).start_queue()
    # Oldest published first.
    assert [item.entry_id for item in session.items] == [ids[1], ids[3]]
    assert (session.label, session.source_query) == ("Queue", "status:queued")


def test_a_session_without_a_query_reads_the_unread_entries(library: Library) -> None:
    ids = _fill(library, 4)  # published 1..4 November: newest first is ids reversed
    library.set_status([ids[1]], "read")
    library.set_status([ids[2]], "skipped")
    session = Sessions(library).start_unread()
    assert [item.entry_id for item in session.items] == [ids[3], ids[0]]
    assert (session.label, session.source_query) == ("status:unread", "status:unread")
    Sessions(library).stop()
    # The window's list gives the order (here oldest first) and its own label.
    session = Sessions(library).start_unread(ids, label="Unread entries")
    assert [item.entry_id for item in session.items] == [ids[0], ids[3]]
    Sessions(library).stop()
    library.set_status([ids[0], ids[3]], "read")
    with pytest.raises(DigestDeskError, match="Nothing is unread"):
        Sessions(library).start_unread()


def test_a_session_left_running_counts_at_most_the_idle_limit(library: Library) -> None:
    clock = Clock()
    ids = _fill(library, 2)
    sessions = Sessions(library, clock=clock)
    sessions.start(ids)
    clock.tick(5 * 3600)  # the app crashed with the session running
    resumed = sessions.resume()
    assert resumed.elapsed_seconds == pytest.approx(IDLE_LIMIT)
    assert resumed.elapsed_at(clock.now + timedelta(hours=1)) == pytest.approx(2 * IDLE_LIMIT)


def test_reading_time_helpers() -> None:
    assert reading_seconds(0) == 20
    assert reading_seconds(230 * 6) == pytest.approx(80)
    assert format_duration(42) == "42 s"
    assert format_duration(24 * 60) == "24 min"
    assert format_duration(65 * 60) == "1 h 05 min"


def test_the_sessions_command(tmp_path: Path, library_paths: LibraryPaths) -> None:
    import io
    import json

    from digestdesk import cli

    library_dir = tmp_path / "library"

    def run(*argv: str) -> tuple[int, str]:
        out = io.StringIO()
        code = cli.run(["--library", str(library_dir), "sessions", *argv], out=out)
        return code, out.getvalue()

    assert run() == (0, "no reading sessions yet\n")
    with Library.open(resolve_library(library_dir)) as library:
        ids = _fill(library, 3)
        sessions = Sessions(library)
        sessions.start(ids, label="Morning")
        sessions.record("read")
        sessions.stop()
        sessions.start(ids[2:], label="Later")
    code, text = run("--json")
    assert code == 0, text
    later, morning = json.loads(text)
    assert (later["label"], later["state"], later["total"]) == ("Later", "active", 1)
    assert (morning["read"], morning["undecided"], morning["state"]) == (1, 2, "finished")
    code, text = run()
    assert code == 0 and "Morning" in text and "1 read" in text, text


def test_time_left_follows_the_readers_own_pace(library_paths: LibraryPaths) -> None:
    clock = Clock()
    library = Library.open(library_paths)
    try:
        ids = _fill(library, 8)
        sessions = Sessions(library, clock=clock)
        session = sessions.start(ids)
        estimates = [item.estimate_seconds for item in session.items]
        assert session.pace == 1.0
        # A fast reader: a quarter of each estimate, three entries in a row.
        for position in range(3):
            clock.tick(estimates[position] / 4)
            session = sessions.record("read").session
        assert session.pace == pytest.approx(0.25, rel=0.01)
        assert session.remaining_seconds == pytest.approx(sum(estimates[3:]) / 4, rel=0.01)
        # Two decided are not yet a pace.
        other = Sessions(library, clock=clock).start(ids, replace=True)
        clock.tick(10)
        other = sessions.record("read").session
        assert other.pace == 1.0
    finally:
        library.close()


def test_the_session_command(tmp_path: Path, library_paths: LibraryPaths) -> None:
    """(``library_paths`` empties the PostgreSQL database when the suite runs on one.)"""
    import io
    import json

    from digestdesk import cli

    library_dir = tmp_path / "library"
    with Library.open(resolve_library(library_dir)) as library:
        ids = _fill(library, 4)
        library.set_status(ids[:2], "queued")

    def run(*argv: str) -> tuple[int, str]:
        out = io.StringIO()
        code = cli.run(["--library", str(library_dir), "session", *argv], out=out)
        return code, out.getvalue()

    code, text = run("status")
    assert code == 0 and "no open reading session" in text
    code, text = run("start", "--queue", "--json")
    started = json.loads(text)["session"]
    assert code == 0 and started["total"] == 2 and started["current"]["id"] == ids[0]
    code, text = run("next", "read")
    assert code == 0 and "2 / 2" in text and "Entry number 2" in text
    assert run("next")[0] == 2  # an outcome is needed
    assert run("next", "maybe")[0] == 2
    assert run("start")[0] == 1  # one is open already
    code, text = run("next", "skipped", "--json")
    assert json.loads(text)["session"]["current"] is None
    code, text = run("stop", "--json")
    summary = json.loads(text)
    assert code == 0 and (summary["read"], summary["skipped"], summary["total"]) == (1, 1, 2)
    assert run("next", "read")[0] == 1  # nothing open
    code, text = run("start", "--query", "arxiv:2511.00004")
    assert code == 0 and "1 / 1" in text and "Entry number 4" in text
    with Library.open(resolve_library(library_dir)) as library:
        assert library.entry(ids[0]).status == "read"
        assert library.entry(ids[1]).status == "skipped"


def test_session_command_messages_name_the_commands_to_use(
    tmp_path: Path, library_paths: LibraryPaths, capsys: pytest.CaptureFixture[str]
) -> None:
    from digestdesk import cli

    library_dir = tmp_path / "library"
    with Library.open(resolve_library(library_dir)) as library:
        _fill(library, 2)
    argv = ["--library", str(library_dir), "session"]
    assert cli.run([*argv, "next", "read"]) == 1
    assert "`digestdesk session start`" in capsys.readouterr().err
    assert cli.run([*argv, "start", "--query", "status:skipped"]) == 1
    assert "Nothing matches status:skipped" in capsys.readouterr().err
    assert cli.run([*argv, "start"]) == 0
    capsys.readouterr()
    assert cli.run([*argv, "start"]) == 1
    err = capsys.readouterr().err
    assert "already open (status:unread, at 1 / 2)" in err, err
    assert "session status" in err and "--replace" in err


def test_session_next_names_an_outcome_it_does_not_know(
    tmp_path: Path, library_paths: LibraryPaths, capsys: pytest.CaptureFixture[str]
) -> None:
    from digestdesk import cli

    library_dir = tmp_path / "library"
    with Library.open(resolve_library(library_dir)) as library:
        _fill(library, 2)
    argv = ["--library", str(library_dir), "session"]
    assert cli.run([*argv, "start"]) == 0
    capsys.readouterr()
    assert cli.run([*argv, "next", "maybe"]) == 2
    unknown = "'maybe' is not an outcome (use read, skipped, queued, passed)"
    assert unknown in capsys.readouterr().err
    assert cli.run([*argv, "next"]) == 2
    assert "give an outcome: read, skipped, queued, passed" in capsys.readouterr().err


def test_tags_and_notes_count_by_what_the_entry_ended_with(library_paths: LibraryPaths) -> None:
    library = Library.open(library_paths)
    try:
        ids = _fill(library, 4)
        sessions = Sessions(library, clock=Clock())
        sessions.start(ids)
        sessions.tag_current(add=["maybe"])  # added, then removed: not tagged
        sessions.tag_current(remove=["maybe"])
        sessions.note_current("draft")  # written, then cleared: no note
        sessions.note_current("")
        sessions.record("read")
        sessions.tag_current(add=["keep"])  # kept: tagged
        sessions.note_current("kept")  # kept: a note
        sessions.record("read")
        summary = sessions.stop()
        assert (summary.tagged, summary.noted) == (1, 1)
    finally:
        library.close()
