"""Record against a loopback server, then replay offline: the guarantees of issue 5.

Each test runs a tiny suite of its own inside pytest (pytester), sending through
``chatconform.engine.client.send`` under ``chatconform.recording.plugin.recorder`` the
way the shipped suite does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from tests.recording.loopback import LEAKY_KEY, SSE_BODY, Loopback, loopback_server

from chatconform.engine.client import encode_body
from chatconform.recording import read_manifest, scan_for_credentials
from chatconform.recording.layout import cassette_path, set_dir

pytest_plugins = ["pytester"]

CONFTEST = """
import os
import socket
from pathlib import Path

import pytest

from chatconform.recording.plugin import activate

def pytest_configure(config):
    activate(config, os.environ["CC_MODE"], cassette_dir=Path(os.environ["CC_DIR"]))

@pytest.fixture(autouse=True)
def sockets(monkeypatch):
    '''Every socket the test creates, by family: replay must create none.'''
    opened = []
    original = socket.socket.__init__
    def guarded(self, family=-1, type=-1, proto=-1, fileno=None):
        opened.append(family)
        original(self, family, type, proto, fileno)
    monkeypatch.setattr(socket.socket, "__init__", guarded)
    return opened
"""

SUITE = """
import os
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from chatconform.engine.client import send
from chatconform.engine.probe import Probe, RequestSpec
from chatconform.recording.plugin import pytest_chatconform_recorder

BASE = os.environ["CC_BASE"]
CONTRACT = SimpleNamespace(path="/chat/completions", base_url=BASE)
USER = os.environ.get("CC_CONTENT", "hi")
MESSAGES = [{"role": "user", "content": USER}]
BODY = {"model": "m-1", "messages": MESSAGES}
PROBES = [
    Probe("response/basic", "response", "plain", RequestSpec(body=BODY)),
    Probe("streaming/basic", "streaming", "stream", RequestSpec(body={**BODY, "stream": True})),
    Probe("negative/request/temperature/maximum/above", "negative", "too hot",
          RequestSpec(body={**BODY, "temperature": 2.5}), expect="reject"),
]

CASES = [SimpleNamespace(provider="ref", model="m-1", probe=p, base_url=BASE) for p in PROBES]

@pytest.mark.parametrize("chatconform_case", CASES, ids=[p.id for p in PROBES])
def test_probe(request, chatconform_case, sockets):
    probe = chatconform_case.probe
    mode = os.environ["CC_MODE"]
    with pytest_chatconform_recorder(request, chatconform_case, mode) as cassette:
        if os.environ.get("CC_SEND", "yes") == "no":
            return
        with httpx.Client() as client:
            exchange = send(client, CONTRACT, probe, api_key="sk-test-key-0123456789abcdef")
    assert exchange.transport_error is None
    name = probe.id.replace("/", "_") + "." + os.environ["CC_MODE"]
    Path(os.environ["CC_OUT"], name).write_bytes(exchange.response.body)
    if os.environ["CC_MODE"] == "replay":
        assert sockets == [], f"replay opened sockets: {sockets}"
        assert cassette.play_count == len(cassette) > 0
"""


@pytest.fixture
def server() -> Iterator[Loopback]:
    with loopback_server() as record:
        yield record


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, server: Loopback) -> Path:
    cassettes = pytester.path / "cassettes"
    out = pytester.path / "out"
    out.mkdir()
    monkeypatch.setenv("CC_DIR", str(cassettes))
    monkeypatch.setenv("CC_OUT", str(out))
    monkeypatch.setenv("CC_BASE", server.url)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_suite=SUITE)
    return cassettes


def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, mode: str) -> pytest.RunResult:
    monkeypatch.setenv("CC_MODE", mode)
    return pytester.runpytest("-p", "no:chatconform", "-p", "chatconform.recording.plugin")


def recorded(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    run(pytester, monkeypatch, "record").assert_outcomes(passed=3)
    return pytester.path / "cassettes"


def test_record_writes_one_cassette_per_probe_and_a_manifest(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, suite: Path, server: Loopback
) -> None:
    cassettes = recorded(pytester, monkeypatch)
    assert len(server.requests) == 3
    path = cassette_path(cassettes, "ref", "m-1", "streaming/basic", "streaming")
    assert path == cassettes / "ref" / "m-1" / "streaming" / "basic.yaml"
    assert path.is_file()
    assert len(list(cassettes.rglob("*.yaml"))) == 3
    manifest = read_manifest(set_dir(cassettes, "ref", "m-1"))
    assert (manifest.source_kind, manifest.probe_count, manifest.record_mode) == (
        "local-peer",
        3,
        "rewrite",
    )
    assert manifest.base_url == server.url


def test_recorded_cassettes_hold_no_credential(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, suite: Path, server: Loopback
) -> None:
    cassettes = recorded(pytester, monkeypatch)
    text = "\n".join(p.read_text(encoding="utf-8") for p in cassettes.rglob("*.yaml"))
    assert "sk-test-key" not in text and LEAKY_KEY not in text and "abc123" not in text
    assert scan_for_credentials([cassettes]) == []
    # The server did receive the key: redaction happens on the way to the file only.
    assert server.requests[0][2]["authorization"] == "Bearer sk-test-key-0123456789abcdef"


def test_replay_sends_the_recorded_requests_and_opens_no_socket(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, suite: Path, server: Loopback
) -> None:
    cassettes = recorded(pytester, monkeypatch)
    monkeypatch.setenv("CC_BASE", "http://127.0.0.1:9/v1")  # nothing listens there
    result = run(pytester, monkeypatch, "replay")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        ["replaying cassettes: ref/m-1: 3 probes recorded from local-peer*"]
    )
    interaction = yaml.safe_load(
        cassette_path(cassettes, "ref", "m-1", "response/basic", "response").read_text()
    )["interactions"][0]
    sent = {"model": "m-1", "messages": [{"role": "user", "content": "hi"}]}
    assert interaction["request"]["body"] == encode_body(sent).decode()
    assert len(server.requests) == 3  # the three of the record run, none since


def test_sse_body_replays_byte_identical(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, suite: Path
) -> None:
    recorded(pytester, monkeypatch)
    run(pytester, monkeypatch, "replay").assert_outcomes(passed=3)
    out = pytester.path / "out"
    live = (out / "streaming_basic.record").read_bytes()
    assert live == SSE_BODY
    assert (out / "streaming_basic.replay").read_bytes() == live


def test_gzip_body_is_stored_decoded_and_replays_the_same(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, suite: Path
) -> None:
    recorded(pytester, monkeypatch)
    run(pytester, monkeypatch, "replay").assert_outcomes(passed=3)
    out = pytester.path / "out"
    name = "negative_request_temperature_maximum_above"
    live, replayed = (out / f"{name}.record").read_bytes(), (out / f"{name}.replay").read_bytes()
    assert json.loads(live)["error"]["param"] == "temperature"
    assert replayed == live


def test_missing_cassette_is_a_clear_error_never_a_live_call(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, suite: Path, server: Loopback
) -> None:
    cassettes = recorded(pytester, monkeypatch)
    cassette_path(cassettes, "ref", "m-1", "response/basic", "response").unlink()
    result = run(pytester, monkeypatch, "replay")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*replay: no cassette at *basic.yaml",
            "*replay never calls the network; record it with `chatconform run --mode record ...`"
            " for ref/m-1",
        ]
    )
    assert len(server.requests) == 3


def test_unmatched_request_is_a_clear_error_never_a_live_call(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, suite: Path, server: Loopback
) -> None:
    recorded(pytester, monkeypatch)
    monkeypatch.setenv("CC_CONTENT", "a changed prompt")
    result = run(pytester, monkeypatch, "replay")
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(["*replay: no recorded request matches at *", "*body differs*"])
    assert len(server.requests) == 3


def test_replay_of_a_set_without_manifest_is_an_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, suite: Path
) -> None:
    cassettes = recorded(pytester, monkeypatch)
    (set_dir(cassettes, "ref", "m-1") / "manifest.json").unlink()
    result = run(pytester, monkeypatch, "replay")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*no cassette set manifest at *m-1*manifest.json: this set was never recorded"
            " (record it with `chatconform run --mode record ...` against ref/m-1)"
        ]
    )


def test_replay_refuses_a_record_mode_that_would_record(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, suite: Path
) -> None:
    monkeypatch.setenv("CC_MODE", "replay")
    result = pytester.runpytest(
        "-p", "no:chatconform", "-p", "chatconform.recording.plugin", "--record-mode=all"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--mode replay never records; --record-mode all contradicts it"])


def test_replay_that_sends_fewer_requests_than_recorded_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, suite: Path
) -> None:
    recorded(pytester, monkeypatch)
    monkeypatch.setenv("CC_SEND", "no")
    result = run(pytester, monkeypatch, "replay")
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(["*replay sent 0 of the 1 requests recorded in *basic.yaml*"])
