"""The peer baseline table in docs/peer-findings.md parses and names real checks.

Runs in the default run (no server): a typo in the table would otherwise surface only
in ``tox -e peer``, as an unexplained failure there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import chatconform.checks  # noqa: F401  (registers every check)
from chatconform.engine.registry import all_checks
from tests.peer import baseline


def test_the_table_parses_and_names_registered_checks() -> None:
    entries = baseline.load()
    assert any(e.status == "required" for e in entries)
    known = {c.name for c in all_checks()}
    assert sorted({e.check for e in entries} - known) == []


def test_every_row_points_at_a_finding_the_page_explains() -> None:
    text = baseline.FINDINGS.read_text(encoding="utf-8").split(baseline.START)[0]
    for entry in baseline.load():
        assert f"| {entry.finding} |" in text, entry


def test_missing_and_unexpected_are_computed_by_check_and_glob() -> None:
    entries = [
        baseline.Entry("no_server_error", "errors/*", "required", "F1"),
        baseline.Entry("stream_include_usage", "*", "tolerated", "F2"),
    ]
    assert baseline.missing([("stream_include_usage", "streaming/x")], entries) == entries[:1]
    assert baseline.missing([("no_server_error", "errors/malformed-json")], entries) == []
    failures = [("no_server_error", "negative/x"), ("stream_include_usage", "a/b")]
    assert baseline.unexpected(failures, entries) == ["no_server_error @ negative/x"]


def test_a_malformed_row_is_an_error_naming_its_line(tmp_path: Path) -> None:
    page = tmp_path / "findings.md"
    page.write_text(
        f"{baseline.START}\n| check | probes | status | finding |\n"
        f"| `no_server_error` | `*` | sometimes | F1 |\n{baseline.END}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="status 'sometimes' not in"):
        baseline.load(page)
    page.write_text("no table here\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no <!-- peer-baseline:start -->"):
        baseline.load(page)
