"""The closing table of ``chatconform run``: read from index.json, one line per provider."""

from __future__ import annotations

import io
import json
from pathlib import Path

from chatconform.cli.run_table import print_run_table, run_table

INDEX = {
    "run_id": "r1",
    "providers": [
        {"provider": "anyfast", "model": "m-1", "requests": 112,
         "counts": {"passed": 960, "failed": 0, "skipped": 36, "warned": 2}},
        {"provider": "openai-compatible", "model": "gpt-4o-mini", "requests": 7,
         "counts": {"passed": 5, "failed": 2, "skipped": 0, "warned": 0}},
    ],
}  # fmt: skip


def test_table_has_a_header_and_one_aligned_row_per_provider() -> None:
    lines = run_table(INDEX)
    assert lines[0].split() == ["provider", "model", "passed", "failed", "skipped", "warned",
                                "requests"]  # fmt: skip
    assert lines[1].split() == ["anyfast", "m-1", "960", "0", "36", "2", "112"]
    assert lines[2].split() == ["openai-compatible", "gpt-4o-mini", "5", "2", "0", "0", "7"]
    assert len({len(line) for line in lines}) == 1  # right-aligned numbers end together


def test_printed_verdict_counts_failed_checks_and_names_the_reports(tmp_path: Path) -> None:
    (tmp_path / "index.json").write_text(json.dumps(INDEX))
    out = io.StringIO()
    assert print_run_table(tmp_path, out) is True
    text = out.getvalue()
    assert "chatconform: 2 checks failed" in text
    assert f"reports: {tmp_path.resolve()}" in text


def test_no_check_failed_verdict(tmp_path: Path) -> None:
    passing = {"providers": INDEX["providers"][:1]}
    (tmp_path / "index.json").write_text(json.dumps(passing))
    out = io.StringIO()
    print_run_table(tmp_path, out)
    assert "chatconform: no check failed" in out.getvalue()


def test_nothing_printed_without_reports(tmp_path: Path) -> None:
    out = io.StringIO()
    assert print_run_table(tmp_path / "absent", out) is False
    assert out.getvalue() == ""


def test_a_run_that_failed_outside_the_checks_does_not_say_all_is_well(tmp_path: Path) -> None:
    passing = {"providers": INDEX["providers"][:1]}
    (tmp_path / "index.json").write_text(json.dumps(passing))
    out = io.StringIO()
    print_run_table(tmp_path, out, exit_code=1)
    assert "did not complete cleanly" in out.getvalue()
