"""The attack table of issue 14: runs the project's attack suites and counts tries and failures.

A try is one test case of an attack suite: one parametrisation of a test, or one example that
Hypothesis generated for a property test (counted through Hypothesis's observability callbacks).
Loops inside a test (every reading command over one damaged database, the kill -9 trials of one
test) count as the one try of that test. A failure is a try whose test failed or erred.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/attack_table.py [PYTEST-ARGUMENTS]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis.internal.observability import (
    add_observability_callback,
    remove_observability_callback,
)

ROOT = Path(__file__).resolve().parents[2]

#: attack -> the test files that make it
ATTACKS: dict[str, tuple[str, ...]] = {
    "hostile titles in every widget (watchdog)": ("tests/ui/test_hostile_text.py",),
    "hostile fetch server on loopback (bomb, drip, redirects, headers, fuzzed answers)": (
        "tests/core/test_fetch_hostile.py",
    ),
    "bad fields through the database insert (fuzzed drafts, surrogates, 2^63)": (
        "tests/core/test_import_validation.py",
        "tests/core/test_validation.py",
    ),
    "non-UTF-8 arguments, stdin and file names": ("tests/core/test_cli_encoding.py",),
    "damaged index files (flips, truncation, deletion, random damage)": (
        "tests/core/test_index_damage.py",
    ),
    "damaged database, full disk, read-only folder, recover": (
        "tests/core/test_faults.py",
        "tests/ui/test_damaged_library.py",
    ),
    "exports opened by other programs (CSV, Markdown, BibTeX)": (
        "tests/core/test_export_safety.py",
        "tests/core/test_bibtex.py",
    ),
    "query complexity and OR of filters": (
        "tests/core/test_query_limits.py",
        "tests/ui/test_query_limits_ui.py",
    ),
    "parser fuzzing (any bytes, any JSON)": ("tests/core/test_formats_fuzz.py",),
    "kill -9 during an import": ("tests/core/test_kill9.py",),
}


class Counting:
    """A pytest plugin: tries and failures per attack."""

    def __init__(self) -> None:
        self.tries: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()
        self._examples = 0
        self._failed_examples = 0

    def _observe(self, observation: Any) -> None:
        if getattr(observation, "type", None) == "test_case" and observation.status != "gave_up":
            self._examples += 1
            self._failed_examples += observation.status == "failed"

    @staticmethod
    def attack_of(nodeid: str) -> str:
        path = nodeid.split("::", 1)[0]
        return next(name for name, files in ATTACKS.items() if path in files)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Any:
        self._examples = self._failed_examples = 0
        add_observability_callback(self._observe)
        try:
            yield
        finally:
            remove_observability_callback(self._observe)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        attack = self.attack_of(report.nodeid)
        if report.skipped and report.when in ("setup", "call"):
            self.skipped[attack] += 1
        elif report.when == "call":
            self.tries[attack] += max(self._examples, 1)
            if report.failed:
                self.failures[attack] += max(self._failed_examples, 1)
        elif report.failed:  # an error in setup or teardown
            self.tries[attack] += report.when == "setup"
            self.failures[attack] += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pytest_args", nargs="*", help="more pytest arguments")
    args = parser.parse_args()
    counting = Counting()
    files = [f for files in ATTACKS.values() for f in files]
    code = pytest.main(
        ["-q", "-p", "no:cacheprovider", *files, *args.pytest_args], plugins=[counting]
    )
    print("\n| attack | tries | failures | skipped |\n|---|---:|---:|---:|")
    for attack in ATTACKS:
        print(
            f"| {attack} | {counting.tries[attack]} | {counting.failures[attack]} "
            f"| {counting.skipped[attack]} |"
        )
    total = sum(counting.tries.values()), sum(counting.failures.values())
    print(f"| total | {total[0]} | {total[1]} | {sum(counting.skipped.values())} |")
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
