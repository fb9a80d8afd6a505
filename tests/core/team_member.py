"""A member editing a team library in a loop, in a process of its own (the concurrency suite).

``python tests/core/team_member.py --library DIR --ids 1,4,7 --rounds N --out FILE`` with
``DIGESTDESK_DATABASE_URL`` naming the member's connection: N rounds, each setting one of the
entries' status and another's note, through the library as the window does. The last status
and note it stored for each entry go to FILE as JSON (written when the loop ends), for the test
to find them all in the database afterwards.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "desktop"))

from digestdesk.core.library import Library  # noqa: E402
from digestdesk.paths import resolve_library  # noqa: E402

STATUSES = ("read", "queued", "skipped", "unread")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--library", required=True)
    parser.add_argument("--ids", required=True)
    parser.add_argument("--rounds", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    ids = [int(i) for i in options.ids.split(",")]
    rng = random.Random(options.seed)
    statuses: dict[int, str] = {}
    notes: dict[int, str] = {}
    with Library.open(resolve_library(options.library)) as library:
        for n in range(options.rounds):
            entry = rng.choice(ids)
            status = rng.choice(STATUSES)
            library.set_status([entry], status)
            statuses[entry] = status
            entry = rng.choice(ids)
            text = f"note {options.seed}/{n}"
            library.set_note(entry, text)
            notes[entry] = text
    Path(options.out).write_text(json.dumps({"status": statuses, "notes": notes}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
