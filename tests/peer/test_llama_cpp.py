"""The harness against a real model: llama.cpp serving gemma3 270M on 127.0.0.1.

One full live run (module scope, a few minutes) and one keyed auth run. The verdicts are
held against the baseline table in ``docs/peer-findings.md``: every ``required`` row is
reported, and nothing fails that no row allows. A change in either direction is news: a
new false positive of the harness, a lost check, or a llama.cpp release that changed.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatconform.engine.runner import NO_KEY
from tests.peer import baseline
from tests.peer.launcher import PeerUnavailable, llama_server
from tests.peer.runs import LiveRun, live_run

pytestmark = pytest.mark.peer

# Small, but enough to reach every area: the planner's fixed probes plus two generated
# requests each way. Tokens are free locally; llama.cpp ignores max_completion_tokens, so
# the token budget must not be what ends the run.
RUN_ARGS = ("--examples", "2", "--max-requests", "150", "--max-completion-tokens", "50000")
KEY_ENV = "CHATCONFORM_PEER_KEY"


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveRun]:
    """Start a peer without a key, run every default area against it, stop it."""
    work = tmp_path_factory.mktemp("peer")
    try:
        with llama_server(work / "server.log") as peer:
            yield live_run(peer.base_url, work / "reports", RUN_ARGS)
    except PeerUnavailable as reason:
        pytest.skip(str(reason))


def test_run_completes(full_run: LiveRun) -> None:
    summary = full_run.summary
    assert full_run.returncode in (0, 1), full_run.output
    assert summary["requests"] > 50, full_run.output
    unsent = [p["id"] for p in summary["probes"] if p.get("skipped") not in (None, NO_KEY)]
    assert unsent == [], f"probes not sent (budget?): {unsent}"
    errors = [p["id"] for p in summary["probes"] if p.get("transport_error")]
    assert errors == [], f"no response for {errors}"


def test_auth_probes_skip_without_a_key(full_run: LiveRun) -> None:
    # Started without --api_key, llama.cpp accepts anyone: a configuration, not a
    # deviation. The run has no key either, so auth cannot be judged and must say so.
    for probe_id in ("auth/none", "auth/wrong"):
        entry = full_run.probe(probe_id)
        assert entry["skipped"] == NO_KEY
        assert set(entry["outcomes"].values()) == {"skipped"}


def test_known_deviations_are_reported(full_run: LiveRun) -> None:
    lost = baseline.missing(full_run.failures, baseline.load())
    assert lost == [], "required verdicts not reported:\n" + "\n".join(
        f"  {e.finding}: {e.check} @ {e.probes}" for e in lost
    )


def test_no_failure_outside_the_baseline(full_run: LiveRun) -> None:
    extra = baseline.unexpected(full_run.failures, baseline.load())
    assert extra == [], "failures no row of docs/peer-findings.md allows:\n  " + "\n  ".join(extra)


def test_checks_pass_on_what_llama_cpp_gets_right(full_run: LiveRun) -> None:
    # The other half of a regression baseline: verdicts that must stay "passed".
    assert full_run.probe("semantics/max_tokens/cut")["outcomes"]["max_tokens_honoured"] == (
        "passed"
    )
    # llama.cpp forces a named function by grammar; the arguments are the model's (F17).
    named = full_run.probe("tools/choice/function")["outcomes"]
    assert named["tool_choice_named_function"] == "passed"
    assert named["tool_call_shape"] == "passed"
    for probe_id in ("response/minimal", "streaming/minimal"):
        outcomes = full_run.probe(probe_id)["outcomes"]
        shape = "response_schema" if probe_id.startswith("response") else "stream_chunk_schema"
        assert outcomes[shape] == "passed", outcomes


def test_auth_is_judged_with_a_key(tmp_path: Path) -> None:
    key = secrets.token_hex(16)
    try:
        with llama_server(tmp_path / "server.log", api_key=key) as peer:
            run = live_run(
                peer.base_url,
                tmp_path / "reports",
                ("--area", "auth", "--api-key-env", KEY_ENV),
                env={**os.environ, KEY_ENV: key},
            )
    except PeerUnavailable as reason:
        pytest.skip(str(reason))
    assert key not in (tmp_path / "reports" / "peer" / "summary.json").read_text()
    for probe_id, check in (
        ("auth/none", "auth_missing_key_rejected"),
        ("auth/wrong", "auth_wrong_key_rejected"),
    ):
        entry = run.probe(probe_id)
        assert entry["http_status"] == 401
        assert entry["outcomes"][check] == "passed"
        # llama.cpp answers {"detail": "Invalid API key"}, not the OpenAI error object.
        assert entry["outcomes"]["error_body_shape"] == "failed"
    assert baseline.unexpected(run.failures, baseline.load()) == []
