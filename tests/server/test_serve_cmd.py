"""``chatconform serve``: listing faults, refusing bad options, serving until Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx
import pytest

from chatconform.cli import main


def test_list_faults_prints_name_rule_and_contracts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--list-faults"]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith("accepts_long_request_id "))
    assert "header/X-Request-Id/maxLength" in line and line.rstrip().endswith("trinitydesk")
    assert out.rstrip().endswith("faults")


def test_list_faults_for_one_provider(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--list-faults", "--provider", "anyfast"]) == 0
    out = capsys.readouterr().out
    assert "accepts_long_request_id" not in out and "response_cached_tokens_not_integer" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["serve", "--provider", "anyfast", "--host", "0.0.0.0"],
        ["serve", "--provider", "anyfast", "--fault", "no_such_fault"],
        ["serve", "--provider", "anyfast", "--fault", "accepts_long_request_id"],
        ["serve", "--provider", "no-such-provider"],
        ["serve"],
    ],
)
def test_bad_usage_exits_2_with_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("chatconform: error: ") and err.count("\n") == 1


def test_serves_until_interrupted() -> None:
    env = {k: v for k, v in os.environ.items() if k != "POWERTOKENS_API_KEY"}
    argv = [sys.executable, "-m", "chatconform", "serve", "--provider", "powertokens-qwen"]
    with subprocess.Popen(
        [*argv, "--port", "0", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert "no auth" in line
            url = line.split(" at ", 1)[1].split(" ", 1)[0]
            body = {"model": "qwen3-max", "messages": [{"role": "user", "content": "hi"}]}
            assert httpx.post(f"{url}/chat/completions", json=body).status_code == 200
        finally:
            process.send_signal(signal.SIGINT)
            code = process.wait(timeout=10)
    assert code == 0
