"""`chatconform diff`: drift between two hand-written runs."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from chatconform.cli import main

BASE: dict[str, Any] = {
    "provider": "anyfast",
    "model": "doubao-seed-evolving",
    "base_url": "https://www.anyfast.ai/v1",
    "mode": "live",
    "started": "2026-11-01T12:00:00Z",
    "finished": "2026-11-01T12:05:00Z",
    "counts": {"passed": 3, "failed": 0, "skipped": 0, "warned": 0},
    "requests": 2,
    "completion_tokens": 30,
    "failures": [],
    "observations": [],
    "probes": [
        {
            "id": "response/basic",
            "area": "response",
            "http_status": 200,
            "elapsed_s": 1.0,
            "first_byte_s": 0.5,
            "usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30},
            "shape": {"choices": "array", "choices[].message.content": "string", "id": "string"},
            "outcomes": {"response_schema": "passed", "usage_sum": "passed"},
        },
        {
            "id": "negative/request/temperature/maximum/above",
            "area": "negative",
            "http_status": 400,
            "elapsed_s": 0.2,
            "first_byte_s": 0.2,
            "usage": None,
            "shape": {"error": "object", "error.message": "string"},
            "outcomes": {"rejects_invalid": "passed"},
        },
    ],
}


def write(directory: Path, summary: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return directory


def diff(tmp_path: Path, after: dict[str, Any], *extra: str) -> int:
    a = write(tmp_path / "a", BASE)
    b = write(tmp_path / "b", after)
    return main(["diff", str(a), str(b), *extra])


def changed(**probe_changes: Any) -> dict[str, Any]:
    after = copy.deepcopy(BASE)
    after["started"] = "2026-11-08T12:00:00Z"
    after["probes"][0].update(probe_changes)
    return after


def test_identical_runs_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert diff(tmp_path, BASE) == 0
    out = capsys.readouterr().out
    assert "no regression" in out and "Newly failing" not in out


def test_newly_failing_check_regresses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    after = changed(outcomes={"response_schema": "passed", "usage_sum": "failed"})
    after["failures"] = [
        {
            "check": "usage_sum",
            "probe": "response/basic",
            "rule": "response/usage-sum",
            "citation": "baseline#usage",
            "message": "total_tokens is not the sum\n  Received: 31\n  Expected: 30",
        }
    ]
    assert diff(tmp_path, after) == 1
    out = capsys.readouterr().out
    assert "REGRESSED" in out
    assert "response/basic  usage_sum: passed -> failed" in out
    assert "total_tokens is not the sum" in out


def test_newly_passing_check_is_reported_not_a_regression(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = copy.deepcopy(BASE)
    a["probes"][1]["outcomes"] = {"rejects_invalid": "failed"}
    write(tmp_path / "a", a)
    write(tmp_path / "b", BASE)
    assert main(["diff", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    assert "rejects_invalid: failed -> passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("shape", "code", "text"),
    [
        (
            {"choices": "array", "choices[].message.content": "string|null", "id": "string"},
            1,
            "choices[].message.content: retyped string -> string|null",
        ),
        (
            {"choices": "array", "choices[].message.content": "string"},
            1,
            "id: removed (was string)",
        ),
        (
            {**BASE["probes"][0]["shape"], "system_fingerprint": "string"},
            0,
            "system_fingerprint: added (string)",
        ),
    ],
)
def test_shape_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], shape: dict[str, str], code: int, text: str
) -> None:
    assert diff(tmp_path, changed(shape=shape)) == code
    assert text in capsys.readouterr().out


def test_usage_change_beyond_threshold_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    usage = {"prompt_tokens": 11, "completion_tokens": 40, "total_tokens": 51}
    assert diff(tmp_path, changed(usage=usage)) == 0
    out = capsys.readouterr().out
    assert "response/basic  completion_tokens: 20 -> 40" in out
    assert "prompt_tokens" not in out  # 10 -> 11 is within 20%
    assert diff(tmp_path, changed(usage=usage), "--usage-threshold", "1.5") == 0
    assert "Usage changes" not in capsys.readouterr().out


def test_latency_compared_only_when_both_runs_were_live(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    slow = changed(elapsed_s=3.0)
    assert diff(tmp_path, slow) == 0
    assert "response: 1.000s -> 3.000s" in capsys.readouterr().out
    slow["mode"] = "replay"
    assert diff(tmp_path, slow) == 0
    out = capsys.readouterr().out
    assert "not compared" in out and "1.000s" not in out


def test_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    after = changed(shape={"choices": "array"}, outcomes={"response_schema": "failed"})
    after["probes"].append({**BASE["probes"][1], "id": "negative/new"})
    assert diff(tmp_path, after, "--json") == 1
    document = json.loads(capsys.readouterr().out)
    assert document["regressed"] is True
    (comparison,) = document["comparisons"]
    assert comparison["newly_failing"][0]["check"] == "response_schema"
    assert {c["path"] for c in comparison["shape_changes"]} == {"choices[].message.content", "id"}
    assert comparison["probes_added"] == ["negative/new"]
    assert comparison["a"]["started"] == "2026-11-01T12:00:00Z"


def test_summary_paths_and_multi_provider_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = {**copy.deepcopy(BASE), "provider": "trinitydesk"}
    for run in ("a", "b"):
        write(tmp_path / run / "anyfast", BASE)
        write(tmp_path / run / "trinitydesk", other)
        index = {
            "providers": [
                {"provider": "anyfast", "summary": "anyfast/summary.json"},
                {"provider": "trinitydesk", "summary": "trinitydesk/summary.json"},
            ]
        }
        (tmp_path / run / "index.json").write_text(json.dumps(index))
    assert main(["diff", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "anyfast/doubao-seed-evolving" in out and "trinitydesk/doubao-seed-evolving" in out
    file_a = tmp_path / "a" / "anyfast" / "summary.json"
    assert main(["diff", str(file_a), str(tmp_path / "b" / "trinitydesk" / "summary.json")]) == 0


@pytest.mark.parametrize("problem", ["missing", "not-json", "not-object"])
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], problem: str
) -> None:
    good = write(tmp_path / "a", BASE)
    bad = tmp_path / "b"
    if problem != "missing":
        bad.mkdir()
        (bad / "summary.json").write_text("{oops" if problem == "not-json" else "[]")
    assert main(["diff", str(good), str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chatconform: error: ") and err.count("\n") == 1
