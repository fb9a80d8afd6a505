"""The members of a team library (PostgreSQL, :mod:`digestdesk.core.team_schema`): making
one, letting members in, and what the other members did with a paper (their status, their
comments) for the reader and the query language."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import text, update

from digestdesk.core import schema, team_schema
from digestdesk.core.library.database import Database, next_seq, retried_on_conflict
from digestdesk.core.library.index_sync import IndexSync
from digestdesk.core.records import Changes, Colleagues, Comment, EntryDetail, MemberState
from digestdesk.core.store import follow_team
from digestdesk.errors import DigestDeskError


@dataclass(frozen=True)
class InitReport:
    already: bool  # it was a team library before
    you: str  # the role that ran it (the reading state until now is theirs)


class TeamMembers:
    """The team side of one open library; on a library of one user every read is empty."""

    def __init__(self, database: Database, sync: IndexSync) -> None:
        self._database = database
        self._sync = sync
        self._team = database.team

    @property
    def is_team(self) -> bool:
        return self._team is not None

    def init(self) -> InitReport:
        with self._database.writing() as conn:
            already = team_schema.init_team(conn)
            team = team_schema.read_team(conn)
        assert team is not None
        if self._team is None:
            follow_team(self._database.engine, team)
        self._database.team = self._team = team
        return InitReport(already=already, you=str(self._database.role))

    def add(self, role: str) -> str | None:
        """Let ``role`` in; returns a warning to show (a superuser sees every private row)."""
        with self._database.writing() as conn:
            team_schema.add_member(conn, role)
            return team_schema.superuser_warning(conn, role)

    def members(self) -> list[str]:
        with self._database.engine.connect() as conn:
            return team_schema.members(conn)

    def me(self) -> str | None:
        """The member this library runs as (None: not a team library)."""
        return self._database.role if self._team is not None else None

    @retried_on_conflict
    def share_note(self, entry_id: int, shared: bool | None = None) -> Changes:
        """Make this member's note of a paper a comment every member sees (``shared``
        False: private again; None: the other way round from now)."""
        if self._team is None:
            raise DigestDeskError(
                "Sharing a note is for a team library (PostgreSQL, `digestdesk team init`); "
                "in a library of one reader every note is yours alone."
            )
        base = team_schema.quoted(self._team.base_schema)
        with self._database.writing() as conn:
            found = conn.execute(
                text(
                    f"SELECT shared FROM {base}.notes WHERE entry_id = :id AND owner = current_user"
                ),
                {"id": entry_id},
            ).first()
            if found is None:
                raise DigestDeskError(f"There is no note of yours on entry {entry_id} to share.")
            if shared is None:
                shared = not found[0]
            if bool(found[0]) == shared:
                return Changes(label="Share note" if shared else "Keep note private")
            seq = next_seq(conn)
            conn.execute(
                text(
                    f"UPDATE {base}.notes SET shared = :shared"
                    " WHERE entry_id = :id AND owner = current_user"
                ),
                {"id": entry_id, "shared": shared},
            )
            E = schema.entries
            conn.execute(update(E).where(E.c.id == entry_id).values(seq=seq))
        self._sync.after_write([entry_id], seq)
        return Changes(
            entry_ids=frozenset({entry_id}),
            kinds=frozenset({"note"}),
            label="Share note" if shared else "Keep note private",
        )

    def colleagues(self, entry_id: int) -> Colleagues:
        """The other members' status of a paper (unread ones left out) and every comment."""
        return self.colleagues_of([entry_id]).get(entry_id, Colleagues())

    def colleagues_of(self, ids: Sequence[int]) -> dict[int, Colleagues]:
        """:meth:`colleagues` of many papers in two queries (none on a library of one user)."""
        if self._team is None or not ids:
            return {}
        base = team_schema.quoted(self._team.base_schema)
        wanted = list(dict.fromkeys(ids))
        states: dict[int, list[MemberState]] = defaultdict(list)
        comments: dict[int, list[Comment]] = defaultdict(list)
        with self._database.engine.connect() as conn:
            for entry_id, member, status, at in conn.execute(
                text(
                    f"SELECT entry_id, owner, status, status_changed_at FROM {base}.member_state"
                    " WHERE entry_id = ANY(:ids) AND owner <> current_user AND status <> 'unread'"
                    " ORDER BY status_changed_at DESC NULLS LAST, owner"
                ),
                {"ids": wanted},
            ):
                states[entry_id].append(MemberState(str(member), str(status), at))
            for entry_id, member, body, at in conn.execute(
                text(
                    "SELECT entry_id, author, text, edited_at FROM comments"
                    " WHERE entry_id = ANY(:ids) ORDER BY edited_at, author"
                ),
                {"ids": wanted},
            ):
                comments[entry_id].append(Comment(str(member), str(body), at))
        return {i: Colleagues(states.get(i, []), comments.get(i, [])) for i in wanted}

    def attach(self, details: list[EntryDetail]) -> list[EntryDetail]:
        """The details with what the other members did with each (a team library's reader
        and ``show``); unchanged on a library of one user."""
        if self._team is None:
            return details
        found = self.colleagues_of([d.id for d in details])
        return [replace(d, colleagues=found.get(d.id, Colleagues())) for d in details]
