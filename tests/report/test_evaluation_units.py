"""The evaluation reader and renderers on hand-written summaries: scrubbing, escaping,
folding, figures and the verb's exit status 2."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from chatconform import __version__
from chatconform.cli import main
from chatconform.report.evaluation import (
    cell_state,
    load_evaluation,
    percentile,
    safe_url,
    scrub,
    seconds,
)
from chatconform.report.evaluation_findings import citations, failed_rules, observation_groups
from chatconform.report.evaluation_html import render_html
from chatconform.report.evaluation_md import cell, code, fence, render_markdown
from chatconform.report.redact import Scrubber

LEAK = "leaky-value-0123456789"
BEARER = "Bearer abcdef0123456789"
SK = "sk-proj-ABCDEF0123456789"

FAILURE: dict[str, Any] = {
    "check": "invalid_request_rejected",
    "rule": "request/temperature/maximum",
    "citation": "baseline: Requests",
    "message": "Request was accepted\n  Received: 200\n  Expected: 400 ``` <b>",
    "request": {
        "method": "POST",
        "url": "https://u:pw@api.example.test/v1/chat/completions",
        "headers": {"authorization": BEARER, "x-api-key": "plain-secret-header", "accept": "*/*"},
        "body": json.dumps({"model": "m", "temperature": 2.5, "note": LEAK}),
    },
    "response_excerpt": {
        "status": 200,
        "content_type": "application/json",
        "body": json.dumps({"echo": f"{SK} <script>alert(1)</script>"}),
    },
    "probe": "negative/request/temperature/maximum/above",
}
SUMMARY: dict[str, Any] = {
    "provider": "anyfast",
    "model": "doubao-seed-evolving",
    "base_url": "https://user:pass@api.example.test/v1?api_key=abc123&region=eu",
    "mode": "live",
    "started": "2026-11-01T12:00:00Z",
    "finished": "2026-11-01T12:05:00Z",
    "chatconform_version": "0.1.0",
    "counts": {"passed": 3, "failed": 1, "skipped": 0, "warned": 0},
    "requests": 3,
    "completion_tokens": 40,
    "failures": [FAILURE],
    "observations": [
        {"probe": "p1", "message": "first byte after 0.004 s", "check": "stream_framing"},
        {"probe": "p2", "message": "first byte after 0.250 s", "check": "stream_framing"},
        {"probe": "p3", "message": "invalid request answered 422, not 400 (tolerated): x"},
    ],
    "probes": [
        {"id": FAILURE["probe"], "area": "negative", "elapsed_s": 0.2,
         "usage": None, "outcomes": {"invalid_request_rejected": "failed"}},
        {"id": "positive/minimal", "area": "positive", "elapsed_s": 1.5,
         "usage": {"prompt_tokens": 7, "completion_tokens": 40},
         "outcomes": {"response_schema": "passed", "usage_sum": "passed"}},
        {"id": "auth/missing", "area": "auth", "elapsed_s": None, "usage": None,
         "skipped": "budget spent", "outcomes": {"runner": "skipped"}},
    ],
}  # fmt: skip


def write(directory: Path, summary: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return directory


def rendered(tmp_path: Path, summary: dict[str, Any] = SUMMARY) -> tuple[str, str]:
    evaluation = load_evaluation([write(tmp_path / "run", summary)], environ={"MY_API_KEY": LEAK})
    return render_markdown(evaluation, __version__), render_html(evaluation, __version__)


def test_credentials_are_scrubbed_again(tmp_path: Path) -> None:
    for text in rendered(tmp_path):
        for secret in (LEAK, "abcdef0123456789", SK, "plain-secret-header", "pass@", "abc123"):
            assert secret not in text, secret
        assert "api.example.test" in text and "region=eu" in text


def test_a_key_is_not_scrubbed_when_nobody_names_it(tmp_path: Path) -> None:
    # The control for the test above: the value is found through the environment only.
    evaluation = load_evaluation([write(tmp_path / "run", SUMMARY)], environ={})
    assert LEAK in render_markdown(evaluation, __version__)


def test_provider_text_is_escaped(tmp_path: Path) -> None:
    markdown, html = rendered(tmp_path)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>" not in html.split("<pre>", 1)[1]
    assert "````text" in markdown  # a fence longer than the message's ``` run


def test_figures_cost_latency_and_not_sent(tmp_path: Path) -> None:
    (column,) = load_evaluation([write(tmp_path / "run", SUMMARY)], environ={}).columns
    assert (column.requests, column.prompt_tokens, column.completion_tokens) == (3, 7, 40)
    assert column.latency is not None and column.latency["positive"].median == 1.5
    assert "auth" not in column.latency and column.not_sent == {"budget spent": 1}
    assert column.matrix["negative"]["failed"] == 1 and column.matrix["auth"]["skipped"] == 1
    markdown, html = rendered(tmp_path)
    assert "1.50 s / 1.50 s (1)" in markdown and "200 ms" in html
    assert "Not sent: 1 probe(s), budget spent." in markdown


def test_failures_fold_by_rule_and_keep_the_smallest_request() -> None:
    bigger = copy.deepcopy(FAILURE)
    bigger["probe"] = "generated/1"
    bigger["request"]["body"] += " " * 50
    bigger["message"] = "from the bigger request"
    areas = {FAILURE["probe"]: "negative", "generated/1": "negative"}
    (entry,) = failed_rules("anyfast", [bigger, FAILURE], areas)
    assert entry.probes == ["generated/1", FAILURE["probe"]]
    assert entry.request == FAILURE["request"] and entry.message == FAILURE["message"]
    assert entry.citations[0]["vendor"] == "AnyFast"


def test_citation_falls_back_to_the_runs_own_words() -> None:
    assert citations("no-such-contract", "request/x/maximum", "acme: Requests") == [
        {
            "rule": "request/x/maximum",
            "vendor": "",
            "page": "acme: Requests",
            "field": "",
            "quote": "",
        }
    ]
    both = citations("anyfast", "error/no-5xx,request/temperature/maximum", "")
    assert [c["vendor"] for c in both] == ["chatconform", "AnyFast"]


def test_observations_fold_measured_values_and_get_a_kind() -> None:
    groups = observation_groups("anyfast", SUMMARY["observations"])
    kinds = {g.kind: g for g in groups}
    assert kinds["stream framing"].message == "first byte after … s"
    assert kinds["stream framing"].probes == ["p1", "p2"]
    assert "422 instead of 400" in kinds
    soft = [{"probe": "p", "message": "m", "rule": "request/thinking.type/enum", "soft": True}]
    assert observation_groups("anyfast", soft)[0].kind == "value outside an open list accepted"


def test_small_helpers() -> None:
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 0.95) == 5.0
    assert percentile([1.0, 2.0], 0.5) == 1.0
    assert (seconds(0.0004), seconds(0.25), seconds(2.345)) == ("<1 ms", "250 ms", "2.35 s")
    assert cell_state(None) == "none" and cell_state({"passed": 0, "skipped": 2}) == "skipped"
    assert cell_state({"passed": 3, "warned": 1, "failed": 0}) == "warned"
    assert safe_url("inprocess://?fault=x") == "inprocess://?fault=x"
    assert (
        safe_url("https://k:s@h.test:8443/v1?token=t") == "https://h.test:8443/v1?token=<redacted>"
    )
    prose = "missing bearer tokens; basic usage of task-abcdefgh"
    assert scrub(prose, Scrubber()) == prose
    assert scrub("Basic dXNlcjpwYXNz1 sk-abc123def", Scrubber()) == "Basic <redacted> <redacted>"
    assert cell("a|b\n<c>") == "a\\|b<br>&lt;c&gt;"
    assert code("a`b") == "``a`b``" and fence("x ``` y")[0] == "````text"


def test_exit_2_on_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad_json = tmp_path / "bad"
    bad_json.mkdir()
    (bad_json / "summary.json").write_text("{nope", encoding="utf-8")
    not_summary = write(tmp_path / "other", {"hello": "world"})
    good = write(tmp_path / "good", SUMMARY)
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    cases = [
        ([str(tmp_path / "missing")], "no summary.json or index.json"),
        ([str(bad_json)], "not JSON"),
        ([str(not_summary)], "not a chatconform summary"),
        ([str(good), str(good)], "-o DIR"),
        ([str(good), "-o", str(blocker)], "cannot write"),
    ]
    for args, reason in cases:
        assert main(["report", *args]) == 2, args
        err = capsys.readouterr().err
        assert reason in err and len(err.strip().splitlines()) == 1, err


def test_exit_0_writes_both_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path / "good", SUMMARY)
    assert main(["report", str(good), "-o", str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "evaluation.html",
        "evaluation.md",
    ]
    assert len(capsys.readouterr().out.split()) == 2


def test_a_replay_names_the_recording_source_not_the_vendor(tmp_path: Path) -> None:
    recorded = {**SUMMARY, "mode": "replay", "recorded_from": {
        "source_kind": "reference-server", "base_url": "inprocess://anyfast",
        "recorded_at": "2026-01-01T00:00:00Z", "chatconform_version": "0.1.0"}}  # fmt: skip
    (column,) = load_evaluation([write(tmp_path / "run", recorded)], environ={}).columns
    assert column.base_url == "inprocess://anyfast (recorded from reference-server)"
    (live,) = load_evaluation([write(tmp_path / "live", SUMMARY)], environ={}).columns
    assert "recorded from" not in live.base_url
