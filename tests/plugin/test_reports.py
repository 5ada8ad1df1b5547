"""Reports: response shapes, summary.json, junit.xml, index.json, and no credentials."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest
from tests.support import exchange_for, sse_body

from chatconform.contracts.model import Contract, ModelSet
from chatconform.engine.evaluate import Outcome
from chatconform.engine.probe import Probe, RequestSpec
from chatconform.engine.runner import BUDGET_SPENT, Budget, ProbeResult
from chatconform.report.redact import Scrubber
from chatconform.report.shape import exchange_shape, json_shape
from chatconform.report.summary import ProviderRun, default_run_id, write_reports

SECRET = "sk-live-0123456789"


@pytest.fixture(scope="module")
def contract() -> Contract:
    """A bare contract: reports read nothing from it."""
    return Contract(
        id="test", title="test", parent=None, sources={}, base_url="http://test/v1",
        path="/chat/completions", api_key_env="TEST_KEY",
        models=ModelSet(ids=("m",), closed=False, default="m"),
        request_schema={}, response_schema={}, chunk_schema={}, error_schema={},
        fields={}, rules=(), semantics={},
    )  # fmt: skip


def test_json_shape_paths_and_type_unions() -> None:
    body = {
        "id": "x",
        "created": 1,
        "choices": [
            {"index": 0, "message": {"content": "hi"}, "logprobs": None},
            {"index": 1, "message": {"content": None}, "score": 0.5, "ok": True},
        ],
    }
    assert json_shape(body) == {
        "choices": "array",
        "choices[]": "object",
        "choices[].index": "integer",
        "choices[].logprobs": "null",
        "choices[].message": "object",
        "choices[].message.content": "null|string",
        "choices[].ok": "boolean",
        "choices[].score": "number",
        "created": "integer",
        "id": "string",
    }


def test_stream_shape_is_the_union_over_chunks(contract: Contract) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = sse_body({"id": "c", "choices": [{"delta": {"role": "assistant"}}]},
                        {"id": "c", "choices": [], "usage": {"completion_tokens": 2}})  # fmt: skip
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    exchange = exchange_for(contract, handler, {"stream": True})
    shape = exchange_shape(exchange)
    assert shape["chunk.choices[].delta.role"] == "string"
    assert shape["chunk.usage.completion_tokens"] == "integer"
    assert shape["chunk.id"] == "string"


def _results(contract: Contract) -> list[ProbeResult]:
    def echo_key(request: httpx.Request) -> httpx.Response:
        # A careless provider that echoes the credential in its error message.
        said = request.headers.get("authorization", "")
        return httpx.Response(400, json={"error": {"message": f"bad request from {said}"}})

    spec = RequestSpec(body={"model": "m", "temperature": 9})
    probe = Probe(id="negative/x", area="negative", title="x", request=spec, expect="reject")
    exchange = exchange_for(contract, echo_key, probe=probe, api_key=SECRET)
    failed = Outcome(probe.id, "error_body_shape", "failed", "error/json-body", "baseline#Error",
                     "error body\n  Received: ...\n  Expected: {error: ...}")  # fmt: skip
    warned = Outcome(probe.id, "soft_check", "warned", "request/x/type", "baseline#Requests", "")
    passed = Outcome(probe.id, "rejects_invalid", "passed", "request/temperature/maximum", "a#t")
    note = {"message": "undocumented field accepted", "rule": "request/x/type"}
    unsent = Probe(id="positive/y", area="positive", title="y", request=RequestSpec(body={}))
    skip = Outcome(unsent.id, "runner", "skipped", "", "", BUDGET_SPENT)
    return [
        ProbeResult(probe, exchange, [failed, warned, passed], [note]),
        ProbeResult(unsent, None, [skip], skipped=BUDGET_SPENT),
    ]


def _run(contract: Contract, provider: str = "test") -> ProviderRun:
    budget = Budget(requests=1, completion_tokens=0)
    run = ProviderRun(provider, "m", "http://test/v1", "live", budget)
    run.results.extend(_results(contract))
    return run


def test_summary_json_for_one_provider(contract: Contract, tmp_path: Path) -> None:
    run_dir = write_reports(tmp_path, "r1", [_run(contract)], Scrubber([SECRET]), "0.1.0")
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["counts"] == {"passed": 1, "failed": 1, "skipped": 1, "warned": 1}
    assert summary["requests"] == 1 and summary["mode"] == "live"
    assert summary["chatconform_version"] == "0.1.0"
    [failure] = summary["failures"]
    assert failure["check"] == "error_body_shape" and failure["rule"] == "error/json-body"
    assert failure["probe"] == "negative/x" and failure["response_excerpt"]["status"] == 400
    assert failure["request"]["headers"]["authorization"] == "<redacted>"
    assert summary["observations"] == [
        {"probe": "negative/x", "message": "undocumented field accepted", "rule": "request/x/type"}
    ]
    sent, unsent = summary["probes"]
    assert sent["http_status"] == 400 and sent["shape"]["error.message"] == "string"
    assert sent["outcomes"] == {"error_body_shape": "failed", "soft_check": "warned",
                                "rejects_invalid": "passed"}  # fmt: skip
    assert unsent["http_status"] is None and unsent["skipped"] == BUDGET_SPENT
    index = json.loads((run_dir / "index.json").read_text())
    assert index["providers"][0]["summary"] == "summary.json"


def test_no_credential_in_any_written_file(contract: Contract, tmp_path: Path) -> None:
    run_dir = write_reports(tmp_path, "r1", [_run(contract)], Scrubber([SECRET]), "0.1.0")
    written = [p for p in run_dir.rglob("*") if p.is_file()]
    assert {p.name for p in written} == {"summary.json", "junit.xml", "index.json"}
    for path in written:
        assert SECRET not in path.read_text(), path
    # The scrubber is what keeps the echoed key out: without it, it would be there.
    raw = write_reports(tmp_path, "raw", [_run(contract)], Scrubber(), "0.1.0")
    assert SECRET in (raw / "summary.json").read_text()


def test_several_providers_get_a_directory_each(contract: Contract, tmp_path: Path) -> None:
    runs = [_run(contract, "a"), _run(contract, "b")]
    run_dir = write_reports(tmp_path, "r2", runs, Scrubber(), "0.1.0")
    index = json.loads((run_dir / "index.json").read_text())
    assert [e["summary"] for e in index["providers"]] == ["a/summary.json", "b/summary.json"]
    assert json.loads((run_dir / "b" / "summary.json").read_text())["provider"] == "b"
    assert (run_dir / "a" / "junit.xml").is_file()


def test_junit_one_testcase_per_probe(contract: Contract, tmp_path: Path) -> None:
    run_dir = write_reports(tmp_path, "r3", [_run(contract)], Scrubber([SECRET]), "0.1.0")
    suite = ET.parse(run_dir / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("2", "1", "1")
    failed, skipped = suite.findall("testcase")
    assert failed.get("name") == "negative/x" and failed.get("classname") == "test.negative"
    failure = failed.find("failure")
    assert failure is not None and failure.text is not None
    assert "[error_body_shape] rule error/json-body (baseline#Error)" in failure.text
    assert "Received:" in failure.text and "Expected:" in failure.text
    node = skipped.find("skipped")
    assert node is not None and node.get("message") == BUDGET_SPENT


def test_default_run_id_is_a_utc_timestamp() -> None:
    from datetime import UTC, datetime

    assert default_run_id(datetime(2026, 11, 3, 4, 5, 6, tzinfo=UTC)) == "20261103T040506Z"


def test_scrubber_replaces_secrets_in_nested_data() -> None:
    scrub = Scrubber(["abc", None, "abcdef"])
    assert scrub.data({"k": ["x abcdef y", 1, {"abc": "abc"}]}) == {
        "k": ["x <redacted> y", 1, {"<redacted>": "<redacted>"}]
    }
