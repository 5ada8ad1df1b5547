"""The pytest plugin and the shipped suite, run inside pytest with ``pytester``.

Each test copies ``suites/test_conformance.py`` as shipped into a fresh directory and runs
it in process. Endpoints are in-process too: the reference server through
``--base-url inprocess://`` (optionally with one catalogue fault on), or a MockTransport
handler through an overridden ``chatconform_transport`` fixture. No sockets.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import chatconform.checks
import chatconform.engine.planner
import chatconform.server  # noqa: F401
from chatconform._paths import data_dir

# pytester forgets the modules an inner run imported; the check registry outlives them.
# Importing the registering modules here keeps them loaded once for every inner run.

KEY_ENV = "CHATCONFORM_TEST_KEY"
SECRET = "sk-test-9f8e7d6c5b4a"
INI = """
[pytest]
addopts = --strict-markers --strict-config -p no:cacheprovider
xfail_strict = true
filterwarnings =
    error
"""
MOCK_CONFTEST = '''
import json
import httpx
import pytest

def handler(request: httpx.Request) -> httpx.Response:
    """A provider that answers every request, malformed or not, with a completion."""
    body = {"id": "c1", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "OK"},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
    return httpx.Response(200, json=body)

@pytest.fixture(scope="session")
def chatconform_transport():
    return httpx.MockTransport(handler)
'''


SLOW_CONFTEST = '''
import httpx
import pytest

def handler(request: httpx.Request) -> httpx.Response:
    """A provider slower than any read timeout under one second."""
    if request.extensions["timeout"]["read"] < 1:
        raise httpx.ReadTimeout("no answer in time", request=request)
    return httpx.Response(405, json={"error": {"message": "m", "type": "t", "param": None,
                                               "code": None}})

@pytest.fixture(scope="session")
def chatconform_transport():
    return httpx.MockTransport(handler)
'''


WARN_ONLY_CONFTEST = '''
import pytest
from chatconform.engine import runner
from chatconform.engine.evaluate import Outcome

@pytest.fixture(autouse=True, scope="session")
def only_warnings():
    """Every exchange breaks only an undocumented rule: one warning, one observation."""
    def evaluate(ctx, exchange):
        ctx.observe("undocumented field accepted", rule="request/x/type")
        return [Outcome(exchange.probe.id, "soft", "warned", "request/x/type", "baseline", "m")]
    original, runner.evaluate = runner.evaluate, evaluate
    yield
    runner.evaluate = original
'''


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A directory holding the shipped conformance suite, with a key in the environment."""
    source = (data_dir("suites") / "test_conformance.py").read_text("utf-8")
    pytester.makepyfile(test_conformance=source)
    pytester.makeini(INI)
    monkeypatch.setenv(KEY_ENV, SECRET)
    return pytester


def run(suite: pytest.Pytester, *args: str, provider: str = "openai-compatible") -> Any:
    return suite.runpytest(
        "--provider", provider, "--api-key-env", KEY_ENV, "--run-id", "r1", *args
    )


def summary(suite: pytest.Pytester, sub: str = "") -> dict[str, Any]:
    path = suite.path / "reports" / "r1" / sub / "summary.json"
    return dict(json.loads(path.read_text("utf-8")))


def test_inert_without_provider(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile("def test_plain():\n    assert True\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    assert not (pytester.path / "reports").exists()
    assert " chatconform " not in result.stdout.str()  # neither progress nor summary lines
    assert "requests" not in result.stdout.str()


def test_suite_without_provider_is_one_skip(suite: pytest.Pytester) -> None:
    result = suite.runpytest()
    result.assert_outcomes(skipped=1)
    assert not (suite.path / "reports").exists()


def test_conforming_server_passes_and_writes_a_summary(suite: pytest.Pytester) -> None:
    result = run(suite, "--base-url", "inprocess://", "--area", "errors", "--area", "auth")
    result.assert_outcomes(passed=4)
    data = summary(suite)
    assert data["provider"] == "openai-compatible" and data["mode"] == "live"
    assert data["counts"]["failed"] == 0 and data["counts"]["passed"] > 0
    assert data["requests"] == 4
    assert {p["id"] for p in data["probes"]} == {
        "auth/none",
        "auth/wrong",
        "errors/malformed-json",
        "errors/method-get",
    }
    assert (suite.path / "reports" / "r1" / "junit.xml").is_file()
    assert any((suite.path / "reports" / "r1" / "allure-results").iterdir())


def test_a_fault_fails_the_probe_naming_check_rule_and_citation(suite: pytest.Pytester) -> None:
    result = run(suite, "--base-url", "inprocess://?fault=malformed_json_accepted",
                 "--area", "errors")  # fmt: skip
    result.assert_outcomes(failed=1, passed=1)
    data = summary(suite)
    [failure] = data["failures"]
    assert failure["rule"] == "error/malformed-json-400"
    assert failure["probe"] == "errors/malformed-json"
    out = result.stdout.str()
    assert f"[{failure['check']}] rule error/malformed-json-400" in out
    assert "Received:" in out and "Expected:" in out


def test_mock_transport_seam_and_a_violating_provider(suite: pytest.Pytester) -> None:
    suite.makeconftest(MOCK_CONFTEST)
    result = run(suite, "--area", "errors")
    result.assert_outcomes(failed=1, passed=1)
    assert summary(suite)["failures"][0]["response_excerpt"]["status"] == 200


def test_warnings_and_observations_never_fail_a_probe(suite: pytest.Pytester) -> None:
    suite.makeconftest(WARN_ONLY_CONFTEST)
    result = run(suite, "--base-url", "inprocess://", "--area", "errors", "--area", "auth")
    result.assert_outcomes(passed=4)
    assert result.ret == pytest.ExitCode.OK
    data = summary(suite)
    assert data["counts"] == {"passed": 0, "failed": 0, "skipped": 0, "warned": 4}
    assert len(data["observations"]) == 4 and data["failures"] == []


def test_budget_skips_the_rest_unsent(suite: pytest.Pytester) -> None:
    result = run(suite, "--base-url", "inprocess://", "--area", "auth", "--area", "errors",
                 "--max-requests", "1", "-rs")  # fmt: skip
    result.assert_outcomes(passed=1, skipped=3)
    result.stdout.fnmatch_lines([
        "openai-compatible: requests 1/1 * · 3 probes not sent: budget spent",
        "SKIPPED * budget spent",
    ])  # fmt: skip
    data = summary(suite)
    assert data["requests"] == 1
    assert [p.get("skipped") for p in data["probes"]] == [None] + ["budget spent"] * 3


def test_without_key_auth_probes_skip(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--provider", "openai-compatible", "--api-key-env", "UNSET_VAR_X",
                             "--base-url", "inprocess://", "--area", "auth", "-rs")  # fmt: skip
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(["*no key configured: auth cannot be tested*"])


def test_no_credential_in_any_written_file(suite: pytest.Pytester) -> None:
    run(suite, "--base-url", "inprocess://", "--area", "auth", "--area", "errors",
        "--area", "streaming")  # fmt: skip
    files = [p for p in (suite.path / "reports").rglob("*") if p.is_file()]
    assert len(files) > 3
    for path in files:
        assert SECRET not in path.read_text("utf-8", errors="replace"), path


def test_several_providers_share_a_run_dir(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--provider", "openai-compatible", "--provider", "anyfast",
                             "--base-url", "inprocess://", "--area", "errors",
                             "--api-key-env", KEY_ENV, "--run-id", "r1")  # fmt: skip
    result.assert_outcomes(passed=4)
    index = json.loads((suite.path / "reports" / "r1" / "index.json").read_text())
    assert [e["provider"] for e in index["providers"]] == ["openai-compatible", "anyfast"]
    assert summary(suite, "anyfast")["provider"] == "anyfast"


def test_ids_are_probe_ids_and_progress_lines_show(suite: pytest.Pytester) -> None:
    result = run(suite, "--base-url", "inprocess://", "--area", "errors", "-v")
    result.stdout.fnmatch_lines([
        "chatconform openai-compatible · errors (2 probes) · requests 0/200*",
        "*test_probe?errors/malformed-json? PASSED*",
        "*test_probe?errors/method-get? PASSED*",
        "openai-compatible: requests 2/200 · completion tokens 0/5000",
    ])  # fmt: skip


def test_quiet_run_prints_no_progress(suite: pytest.Pytester) -> None:
    result = run(suite, "--base-url", "inprocess://", "--area", "errors", "-q")
    result.assert_outcomes(passed=2)
    assert "chatconform openai-compatible" not in result.stdout.str()


def test_allure_labels_are_filterable_at_collection(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--provider", "openai-compatible", "--provider", "anyfast",
                             "--base-url", "inprocess://", "--area", "errors",
                             "--allure-label", "provider=anyfast", "--run-id", "r1")  # fmt: skip
    result.assert_outcomes(passed=2, deselected=2)


def test_unknown_provider_is_a_usage_error(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--provider", "no-such-vendor")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*invalid choice: 'no-such-vendor'*"])


def test_xdist_is_refused(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--provider", "openai-compatible", "-n", "2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*chatconform runs do not support pytest-xdist (-n)*"])


def test_options_are_grouped_in_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["chatconform conformance runs:", "*--provider*"])


def test_markers_are_declared(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.chatconform(provider, area):*"])


def test_a_request_slower_than_the_timeout_fails_its_probe(suite: pytest.Pytester) -> None:
    suite.makeconftest(SLOW_CONFTEST)
    result = run(suite, "--area", "errors", "--timeout", "0.05")
    result.assert_outcomes(failed=2)
    assert "Timeout" in result.stdout.str()


def test_timeout_must_be_positive(suite: pytest.Pytester) -> None:
    result = run(suite, "--area", "errors", "--timeout", "0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
