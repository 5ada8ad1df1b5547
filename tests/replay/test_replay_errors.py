"""A replay that cannot be served says how to record, and never goes to the network.

Driven through ``chatconform run --mode replay`` (the shipped suite, the CLI's exit
codes), on a tiny set recorded from the reference server.
"""

from __future__ import annotations

import socket
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from tests.replay.runs import Run, run_chatconform, socket_guard

from chatconform.recording import cassette_path, set_dir
from chatconform.recording.plugin import RecordingState, _offline

PROVIDER, MODEL = "anyfast", "doubao-seed-evolving"
FLAGS = ("--provider", PROVIDER, "--examples", "0", "--area", "errors", "response")
PROBE = ("response/minimal", "response")


@pytest.fixture
def cassettes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    root = tmp_path / "cassettes"
    live = run_chatconform(
        monkeypatch, root, tmp_path / "reports", "live", *FLAGS,
        "--mode", "record", "--base-url", f"inprocess://{PROVIDER}",
    )  # fmt: skip
    assert live.code == 0
    assert cassette_path(root, PROVIDER, MODEL, *PROBE).is_file()
    return root


def replay(monkeypatch: pytest.MonkeyPatch, cassettes: Path) -> Run:
    return run_chatconform(
        monkeypatch, cassettes, cassettes.parent / "reports", "replay", *FLAGS, "--mode", "replay"
    )


def test_missing_cassette_fails_the_probe_with_how_to_record(
    monkeypatch: pytest.MonkeyPatch, cassettes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette_path(cassettes, PROVIDER, MODEL, *PROBE).unlink()
    run = replay(monkeypatch, cassettes)
    out = capsys.readouterr().out
    assert run.code == 1
    assert "replay: no cassette at " in out and "minimal.yaml" in out
    assert "replay never calls the network; record it with `chatconform run --mode record" in out
    assert f"for {PROVIDER}/{MODEL}" in out
    assert run.sockets == []


def test_unmatched_request_fails_the_probe_with_the_difference(
    monkeypatch: pytest.MonkeyPatch, cassettes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = cassette_path(cassettes, PROVIDER, MODEL, *PROBE)
    document = yaml.safe_load(path.read_text("utf-8"))
    request = document["interactions"][0]["request"]
    request["body"] = request["body"].replace('"user"', '"system"')
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    run = replay(monkeypatch, cassettes)
    out = capsys.readouterr().out
    assert run.code == 1
    assert "replay: no recorded request matches at " in out and "body differs" in out
    assert run.sockets == []


def test_set_without_manifest_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, cassettes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (set_dir(cassettes, PROVIDER, MODEL) / "manifest.json").unlink()
    run = replay(monkeypatch, cassettes)
    err = capsys.readouterr().err
    assert run.code == 2
    assert "this set was never recorded (record it with `chatconform run --mode record" in err


def test_a_complete_set_replays_cleanly(monkeypatch: pytest.MonkeyPatch, cassettes: Path) -> None:
    """The counterpart of the three above: the untouched set passes."""
    run = replay(monkeypatch, cassettes)
    assert run.code == 0 and run.bodies and run.sockets == []


def test_replay_guard_blocks_connections_without_pytest_recording() -> None:
    """``chatconform run --mode replay`` leaves pytest-recording out; the guard remains."""
    config = SimpleNamespace(
        pluginmanager=SimpleNamespace(is_registered=lambda plugin: False),
        getoption=lambda name, default=None: default,
    )
    state = RecordingState("replay", Path("."), "none")
    blocked = pytest.raises(RuntimeError, match="Network is disabled")
    with _offline(config, state), socket.socket() as sock, blocked:
        sock.connect(("127.0.0.1", 9))
    record = RecordingState("record", Path("."), "rewrite")
    refused = pytest.raises(ConnectionRefusedError)  # a real attempt, not blocked
    with _offline(config, record), socket.socket() as sock, refused:
        sock.connect(("127.0.0.1", 9))


def test_socket_guard_sees_a_socket() -> None:
    """The guard the replay tests rely on is not blind."""
    opened: list[object] = []
    with socket_guard(opened), socket.socket():
        pass
    assert len(opened) == 1
