"""``chatconform report`` on real runs against the in-process reference server.

Two runs are made once for the module: a faithful one (anyfast and trinitydesk) and
one where anyfast's server accepts a temperature above the page's maximum. The report
must pin that rule, its vendor citation and the check on the faulty column only, keep
observations apart, and leak no key.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import chatconform.checks  # noqa: F401  (registered once, before any inner run)
from chatconform._paths import data_dir
from chatconform.cli import main
from chatconform.report.evaluation import load_evaluation

SECRET = "sk-test-evaluation-0123456789abcdef"
FAULT = "accepts_value_above_maximum"
RULE = "request/temperature/maximum"
CHECK = "invalid_request_rejected"


def _run(reports: Path, run_id: str, base_url: str, *providers: str) -> None:
    flags = [arg for p in providers for arg in ("--provider", p)]
    argv = ["run", *flags, "--base-url", base_url, "--mode", "live", "--report-dir",
            str(reports), "--run-id", run_id, "--area", "negative", "errors", "auth",
            "streaming", "positive", "--", "-q"]  # fmt: skip
    main(argv)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Report dir holding run ``faithful`` (anyfast, trinitydesk) and ``faulty`` (anyfast)."""
    reports = tmp_path_factory.mktemp("reports")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ANYFAST_API_KEY", SECRET)
        _run(reports, "faithful", "inprocess://", "anyfast", "trinitydesk")
        _run(reports, "faulty", f"inprocess://?fault={FAULT}", "anyfast")
    # The in-process runs imported the shipped suites' modules; a later pytester run
    # of a same-named file would collide with them.
    suites = str(data_dir("suites"))
    for name, module in list(sys.modules.items()):
        if (getattr(module, "__file__", None) or "").startswith(suites):
            del sys.modules[name]
    yield reports


@pytest.fixture(scope="module")
def written(runs: Path) -> dict[str, str]:
    """The Markdown and HTML report of both runs, by suffix."""
    out = runs / "evaluation"
    assert main(["report", str(runs / "faithful"), str(runs / "faulty"), "-o", str(out)]) == 0
    return {p.suffix: p.read_text("utf-8") for p in out.iterdir()}


def _section(text: str, start: str, end: str | None) -> str:
    begin = text.index(start)
    return text[begin : text.index(end, begin + len(start)) if end else None]


def test_runs_are_what_the_tests_assume(runs: Path) -> None:
    faulty = json.loads((runs / "faulty" / "summary.json").read_text("utf-8"))
    assert {f["rule"] for f in faulty["failures"]} == {RULE}
    index = json.loads((runs / "faithful" / "index.json").read_text("utf-8"))
    assert all(entry["counts"]["failed"] == 0 for entry in index["providers"])


def test_faulty_column_has_the_rule_citation_check_and_message(runs: Path) -> None:
    evaluation = load_evaluation([runs / "faithful", runs / "faulty"], environ={})
    labels = [c.label for c in evaluation.columns]
    assert labels == ["anyfast (faithful)", "trinitydesk", "anyfast (faulty)"]
    faithful, trinity, faulty = evaluation.columns
    assert faithful.failures == [] and trinity.failures == []
    (failure,) = faulty.failures
    assert (failure.area, failure.rule, failure.check) == ("negative", RULE, CHECK)
    (cite,) = failure.citations
    assert (cite["vendor"], cite["page"], cite["field"]) == ("AnyFast", "对话补全", "temperature")
    assert "0 <= x <= 2" in cite["quote"]
    assert "Received:" in failure.message and "Expected:" in failure.message
    assert json.loads(failure.request["body"])["temperature"] > 2
    assert faulty.matrix["negative"]["failed"] == 1 and faithful.matrix["negative"]["failed"] == 0


HEADINGS = {".md": "## {}\n", ".html": "<h2 id='{}'>"}
OBSERVATIONS = {".md": "### Observations (", ".html": "<h3>Observations ("}


@pytest.mark.parametrize("suffix", [".md", ".html"])
def test_failure_appears_for_the_faulty_provider_only(written: dict[str, str], suffix: str) -> None:
    text, heading = written[suffix], HEADINGS[suffix]
    faulty = _section(text, heading.format("anyfast (faulty)"), None).split(OBSERVATIONS[suffix])[0]
    for needle in (RULE, CHECK, "AnyFast", "对话补全", "temperature", "Received:", "Expected:"):
        assert needle in faulty, needle
    assert "2.0001" in faulty  # the minimal request that shows it
    faithful = _section(text, heading.format("anyfast (faithful)"), heading.format("trinitydesk"))
    faithful = faithful.split(OBSERVATIONS[suffix])[0]
    assert RULE not in faithful and CHECK not in faithful
    assert "No stated rule was broken." in faithful
    # TrinityDesk's page calls the temperature range advice: breaking it is an observation.
    trinity = _section(text, heading.format("trinitydesk"), heading.format("anyfast (faulty)"))
    assert RULE not in trinity.split(OBSERVATIONS[suffix])[0]
    assert RULE in trinity.split(OBSERVATIONS[suffix])[1]


@pytest.mark.parametrize("suffix", [".md", ".html"])
def test_observations_are_kept_apart_and_labelled(written: dict[str, str], suffix: str) -> None:
    text, heading = written[suffix], OBSERVATIONS[suffix]
    failed = "### Failed rules" if suffix == ".md" else "<h3>Failed rules"
    sections = text.split(heading)[1:]
    assert len(sections) == 3  # one per column
    for section in sections:
        assert "not failures" in section.split("\n")[0]
        assert "extra response fields" in section.split(failed)[0]
    faithful_failed = _section(text, failed, heading)
    assert "extra response fields" not in faithful_failed


def test_no_credential_in_any_output(runs: Path, written: dict[str, str]) -> None:
    assert written  # the reports were written
    for path in runs.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text("utf-8", errors="replace"), path
    assert "&lt;redacted&gt;" in written[".html"] or "<redacted>" in written[".md"]


def test_html_is_self_contained(written: dict[str, str]) -> None:
    html = written[".html"]
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html
    for fetch in ("<link", "<script", "<img", "<iframe", "src=", "@import", "url("):
        assert fetch not in html.lower(), fetch


def test_markdown_tables_have_one_cell_per_column(written: dict[str, str]) -> None:
    matrix = _section(written[".md"], "## Matrix", "## Latency")
    rows = [line for line in matrix.splitlines() if line.startswith("|")]
    assert len(rows) > 4
    for row in rows:
        assert len(re.findall(r"(?<!\\)\|", row)) == 5, row  # area + 3 providers
    assert re.search(r"\| negative \|.*\| ❌ \d+ · \*\*1\*\*", matrix)


def test_single_run_writes_beside_it_and_prints_paths(
    runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "faulty"
    shutil.copytree(runs / "faulty", run)
    assert main(["report", str(run), "--format", "md"]) == 0
    assert capsys.readouterr().out.split() == [str(run / "evaluation.md")]
    assert not (run / "evaluation.html").exists()


def test_replayed_run_has_no_timing(runs: Path, tmp_path: Path) -> None:
    summary = json.loads((runs / "faulty" / "summary.json").read_text("utf-8"))
    summary["mode"] = "replay"
    (tmp_path / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    assert main(["report", str(tmp_path), "-o", str(tmp_path / "out")]) == 0
    for suffix in ("md", "html"):
        text = (tmp_path / "out" / f"evaluation.{suffix}").read_text("utf-8")
        assert "replay: no timing" in text and " ms / " not in text
