"""The runner: budget, repeats, keys, and what a probe result carries."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from tests.support import sse_body

from chatconform.contracts.model import Contract, ModelSet
from chatconform.engine import runner as runner_module
from chatconform.engine.evaluate import Outcome
from chatconform.engine.exchange import Exchange
from chatconform.engine.probe import Probe, RequestSpec
from chatconform.engine.registry import CheckContext
from chatconform.engine.runner import (
    BUDGET_SPENT,
    NO_KEY,
    Budget,
    Runner,
    completion_tokens,
    resolve_api_key,
)


@pytest.fixture(scope="module")
def contract() -> Contract:
    """A bare contract: the runner reads only its id, key variable and path."""
    return Contract(
        id="test", title="test", parent=None, sources={}, base_url="http://test/v1",
        path="/chat/completions", api_key_env="TEST_KEY",
        models=ModelSet(ids=("m",), closed=False, default="m"),
        request_schema={}, response_schema={}, chunk_schema={}, error_schema={},
        fields={}, rules=(), semantics={},
    )  # fmt: skip


@pytest.fixture(autouse=True)
def one_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace the check registry by one check that passes and notes an observation."""

    def fake_evaluate(ctx: CheckContext, exchange: Exchange) -> list[Outcome]:
        ctx.observe("seen", status=exchange.response.status)
        return [Outcome(exchange.probe.id, "fake", "passed", "", "baseline")]

    monkeypatch.setattr(runner_module, "evaluate", fake_evaluate)


class Server:
    """A MockTransport handler that answers with a fixed usage and counts requests."""

    def __init__(self, completion: int | None = 3, stream: bool = False) -> None:
        self.requests: list[httpx.Request] = []
        self.completion = completion
        self.stream = stream

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        usage = None
        if self.completion is not None:
            usage = {"prompt_tokens": 1, "completion_tokens": self.completion,
                     "total_tokens": 1 + self.completion}  # fmt: skip
        if self.stream:
            chunk = {"id": "c", "object": "chat.completion.chunk", "choices": []}
            body = sse_body(chunk, {**chunk, "usage": usage})
            return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)
        return httpx.Response(200, json={"id": "c", "choices": [], "usage": usage})


def probe(
    pid: str = "positive/x",
    *,
    area: str = "positive",
    body: Any = None,
    request: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Probe:
    body = body or {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    spec = RequestSpec(body=body, **(request or {}))
    return Probe(id=pid, area=area, title=pid, request=spec, **kwargs)


def make_runner(
    contract: Contract, server: Server, budget: Budget | None = None, key: str | None = "k-123"
) -> Runner:
    client = httpx.Client(transport=httpx.MockTransport(server))
    return Runner(contract, base_url="http://test/v1", model="m", api_key=key,
                  client=client, budget=budget or Budget())  # fmt: skip


def test_result_carries_exchange_outcomes_and_observations(contract: Contract) -> None:
    server = Server()
    result = make_runner(contract, server).run_probe(probe())
    assert result.exchange is not None and result.exchange.response.status == 200
    assert [o.status for o in result.outcomes] == ["passed"]
    assert result.observations == [{"message": "seen", "status": 200}]
    assert server.requests[0].headers["authorization"] == "Bearer k-123"


def test_request_budget_skips_remaining_probes_unsent(contract: Contract) -> None:
    server = Server()
    runner = make_runner(contract, server, Budget(max_requests=2))
    results = [runner.run_probe(probe(f"positive/{i}")) for i in range(3)]
    assert len(server.requests) == 2
    assert [r.skipped for r in results] == ["", "", BUDGET_SPENT]
    assert results[2].exchange is None
    assert results[2].outcomes[0].status == "skipped"
    assert results[2].outcomes[0].message == BUDGET_SPENT


def test_token_budget_counts_usage_and_stops(contract: Contract) -> None:
    server = Server(completion=30)
    runner = make_runner(contract, server, Budget(max_completion_tokens=50))
    results = [runner.run_probe(probe(f"positive/{i}")) for i in range(3)]
    assert runner.budget.completion_tokens == 60
    assert runner.budget.requests == 2
    assert results[2].skipped == BUDGET_SPENT


def test_stream_usage_is_counted_from_the_last_usage_chunk(contract: Contract) -> None:
    server = Server(completion=7, stream=True)
    body = {"model": "m", "messages": [], "stream": True}
    result = make_runner(contract, server).run_probe(probe(body=body))
    assert result.exchange is not None
    assert completion_tokens(result.exchange) == 7


def test_missing_usage_is_charged_the_request_bound(contract: Contract) -> None:
    server = Server(completion=None)
    runner = make_runner(contract, server)
    runner.run_probe(probe(body={"model": "m", "messages": [], "max_tokens": 8}))
    assert runner.budget.completion_tokens == 8


def test_rejected_request_costs_no_tokens(contract: Contract) -> None:
    def reject(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": {"message": "no", "type": "x"}})

    runner = make_runner(contract, reject)  # type: ignore[arg-type]
    runner.run_probe(probe(body={"model": "m", "max_tokens": 8}))
    assert (runner.budget.requests, runner.budget.completion_tokens) == (1, 0)


def test_repeat_sends_n_times_and_attaches_the_repeats(contract: Contract) -> None:
    server = Server()
    runner = make_runner(contract, server)
    result = runner.run_probe(probe(params={"repeat": 3}))
    assert len(server.requests) == 3
    assert result.exchange is not None and len(result.exchange.related) == 2
    assert all(r.response.status == 200 for r in result.exchange.related)
    assert runner.budget.requests == 3


def test_repeat_that_does_not_fit_the_budget_is_not_sent_at_all(contract: Contract) -> None:
    server = Server()
    result = make_runner(contract, server, Budget(max_requests=2)).run_probe(
        probe(params={"repeat": 3})
    )
    assert server.requests == []
    assert result.skipped == BUDGET_SPENT


def test_without_key_auth_probes_skip_and_others_send_no_authorization(
    contract: Contract,
) -> None:
    server = Server()
    runner = make_runner(contract, server, key=None)
    auth = runner.run_probe(probe("auth/none", area="auth", expect="auth-reject",
                                  request={"auth": "none"}))  # fmt: skip
    plain = runner.run_probe(probe())
    assert auth.skipped == NO_KEY and auth.outcomes[0].message == NO_KEY
    assert len(server.requests) == 1
    assert "authorization" not in server.requests[0].headers
    assert plain.exchange is not None


def test_key_resolution(contract: Contract) -> None:
    env = {"TEST_KEY": "from-contract", "OTHER": "from-option", "EMPTY": ""}
    assert resolve_api_key(contract, None, env) == "from-contract"
    assert resolve_api_key(contract, "OTHER", env) == "from-option"
    assert resolve_api_key(contract, "EMPTY", env) is None
    assert resolve_api_key(contract, "UNSET", env) is None


def test_the_key_never_shows_in_repr_or_the_recorded_request(contract: Contract) -> None:
    server = Server()
    runner = make_runner(contract, server, key="sk-secret-value")
    result = runner.run_probe(probe())
    assert "sk-secret-value" not in repr(runner)
    assert result.exchange is not None
    assert "sk-secret-value" not in json.dumps(result.exchange.request.headers)
