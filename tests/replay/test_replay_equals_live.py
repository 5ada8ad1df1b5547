"""Replay gives the verdicts live gave: record from the reference server, replay, compare.

Every contract is recorded from ``inprocess://<id>`` into a temporary cassette root and
replayed offline; the two ``summary.json`` files must agree on every probe and every
check outcome (timing and target fields aside), every response must replay byte for
byte (event streams included), and the replay must create no socket.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.replay.runs import Run, run_chatconform, verdicts

from chatconform.contracts import contract_ids

# Areas whose probes cover plain, streamed, generated, error and auth exchanges, with a
# small --examples: the whole plan is the bundled sets' job (see test_bundled.py).
AREAS = ("generated", "response", "streaming", "errors", "auth", "reasoning")
EXAMPLES = "2"


def record_then_replay(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, provider: str
) -> tuple[Run, Run]:
    cassettes, reports = tmp_path / "cassettes", tmp_path / "reports"
    common = ("--provider", provider, "--examples", EXAMPLES, "--area", *AREAS)
    live = run_chatconform(
        monkeypatch, cassettes, reports, "live", *common,
        "--mode", "record", "--base-url", f"inprocess://{provider}",
    )  # fmt: skip
    assert live.code in (0, 1), f"record run exited {live.code}"
    replay = run_chatconform(monkeypatch, cassettes, reports, "replay", *common, "--mode", "replay")
    return live, replay


@pytest.mark.parametrize("provider", sorted(contract_ids()))
def test_replay_verdicts_bodies_and_sockets_equal_live(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, provider: str
) -> None:
    live, replay = record_then_replay(monkeypatch, tmp_path, provider)
    assert replay.code == live.code
    recorded, replayed = live.summary(provider), replay.summary(provider)
    assert (recorded["mode"], replayed["mode"]) == ("record", "replay")
    assert recorded["probes"], "the record run sent nothing"
    outcomes = {p["id"]: p["outcomes"] for p in recorded["probes"]}
    assert outcomes == {p["id"]: p["outcomes"] for p in replayed["probes"]}
    assert verdicts(recorded) == verdicts(replayed)
    assert live.bodies.keys() == replay.bodies.keys() and live.bodies
    for key, body in live.bodies.items():
        assert replay.bodies[key] == body, f"{key}: replayed body differs"
    streamed = [k for k in live.bodies if " streaming/" in k]
    assert streamed and all(live.bodies[k].startswith(b"data:") for k in streamed)
    assert replay.sockets == [], f"replay created sockets: {replay.sockets}"


def test_the_comparison_can_fail(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A replay against different cassettes (a re-recorded, faulty server) is caught."""
    provider = "anyfast"
    cassettes, reports = tmp_path / "cassettes", tmp_path / "reports"
    common = ("--provider", provider, "--examples", "0", "--area", "errors")
    live = run_chatconform(
        monkeypatch, cassettes, reports, "live", *common,
        "--mode", "record", "--base-url", f"inprocess://{provider}",
    )  # fmt: skip
    faulty = run_chatconform(
        monkeypatch, cassettes, reports, "faulty", *common, "--mode", "record",
        "--base-url", f"inprocess://{provider}?fault=malformed_json_accepted",
    )  # fmt: skip
    replay = run_chatconform(monkeypatch, cassettes, reports, "replay", *common, "--mode", "replay")
    assert (live.code, faulty.code, replay.code) == (0, 1, 1)
    assert verdicts(replay.summary(provider)) != verdicts(live.summary(provider))
    assert verdicts(replay.summary(provider)) == verdicts(faulty.summary(provider))
