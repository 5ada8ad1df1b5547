"""``chatconform run``: the pytest command line it builds and its exit status 0/1/2."""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import chatconform.checks  # noqa: F401  (registered once, before any inner run)
from chatconform._paths import data_dir
from chatconform.cli import build_parser, main
from chatconform.cli.run_cmd import NO_ARGUMENTS_MODE, pytest_args
from chatconform.contracts import contract_ids

KEY_ENV = "CHATCONFORM_CLI_TEST_KEY"
SECRET = "sk-cli-test-1234567890"


@pytest.fixture(autouse=True)
def forget_suite_modules() -> Iterator[None]:
    """Drop the shipped suites' modules an in-process run imported (``test_conformance``):
    a later pytester run of a same-named file would otherwise collide with them."""
    yield
    suites = str(data_dir("suites"))
    for name, module in list(sys.modules.items()):
        if (getattr(module, "__file__", None) or "").startswith(suites):
            del sys.modules[name]


@pytest.fixture
def reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(KEY_ENV, SECRET)
    return tmp_path / "reports"


def cli(reports: Path, *args: str) -> int:
    return main(["run", "--report-dir", str(reports), "--run-id", "r1",
                 "--api-key-env", KEY_ENV, *args, "--", "-q"])  # fmt: skip


def test_exit_0_when_no_check_fails(reports: Path) -> None:
    code = cli(reports, "--provider", "openai-compatible", "--base-url", "inprocess://",
               "--area", "errors", "auth")  # fmt: skip
    assert code == 0
    summary = json.loads((reports / "r1" / "summary.json").read_text())
    assert summary["counts"]["failed"] == 0 and summary["requests"] == 4


def test_exit_1_when_a_check_fails(reports: Path) -> None:
    faulty = "inprocess://?fault=malformed_json_accepted"
    code = cli(reports, "--provider", "openai-compatible", "--base-url", faulty, "--area", "errors")
    assert code == 1
    summary = json.loads((reports / "r1" / "summary.json").read_text())
    assert summary["failures"][0]["rule"] == "error/malformed-json-400"
    for path in reports.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text("utf-8", errors="replace"), path


def test_exit_2_unknown_provider_lists_the_known(
    reports: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(reports, "--provider", "no-such-vendor") == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "unknown provider 'no-such-vendor'; known: " in err
    assert all(known in err for known in contract_ids())


def test_exit_2_unreachable_base_url_is_one_line(
    reports: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code = cli(reports, "--provider", "openai-compatible", "--base-url",
               f"http://127.0.0.1:{port}/v1")  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"chatconform: error: cannot reach http://127.0.0.1:{port}/v1")
    assert "\n" not in err and "Traceback" not in err
    assert not reports.exists()


def test_exit_2_bad_base_url_and_negative_budget(reports: Path) -> None:
    assert cli(reports, "--provider", "openai-compatible", "--base-url", "ftp://x") == 2
    assert cli(reports, "--provider", "openai-compatible", "--max-requests", "-1") == 2


def test_exit_2_unknown_area_from_argparse() -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--area", "nonsense"])
    assert exit_info.value.code == 2


def test_no_arguments_replays_every_runnable_provider() -> None:
    args = build_parser().parse_args(["run"])
    argv = pytest_args(args)
    assert argv[argv.index("--mode") + 1] == NO_ARGUMENTS_MODE == "replay"
    providers = [argv[i + 1] for i, a in enumerate(argv) if a == "--provider"]
    assert providers == contract_ids()


def test_flags_reach_pytest() -> None:
    args = build_parser().parse_args([
        "run", "--provider", "anyfast", "--base-url", "inprocess://", "--model", "m1",
        "--examples", "3", "--area", "streaming", "tools", "--max-requests", "9",
        "--max-completion-tokens", "99", "--run-id", "x", "--", "-k", "minimal",
    ])  # fmt: skip
    argv = pytest_args(args)
    pairs = {argv[i]: argv[i + 1] for i in range(len(argv) - 1) if argv[i].startswith("--")}
    assert pairs["--mode"] == "live" and pairs["--model"] == "m1"
    assert pairs["--examples"] == "3" and pairs["--max-requests"] == "9"
    assert pairs["--max-completion-tokens"] == "99" and pairs["--run-id"] == "x"
    assert argv.count("--area") == 2 and argv[-2:] == ["-k", "minimal"]
    assert argv[0].endswith("suites")


def test_a_contract_without_an_endpoint_needs_a_base_url(
    reports: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["run", "--provider", "trinitydesk", "--mode", "live",
                 "--report-dir", str(reports)])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "trinitydesk: the page names no endpoint" in err and "--base-url" in err
    assert len(err.strip().splitlines()) == 1


def test_timeout_reaches_the_suite_and_must_be_positive(reports: Path) -> None:
    args = build_parser().parse_args(["run", "--provider", "anyfast", "--base-url",
                                      "inprocess://", "--timeout", "7.5"])  # fmt: skip
    argv = pytest_args(args)
    assert argv[argv.index("--timeout") + 1] == "7.5"
    assert cli(reports, "--provider", "anyfast", "--base-url", "inprocess://",
               "--timeout", "0") == 2  # fmt: skip


def test_options_without_a_verb_go_to_the_main_job(reports: Path) -> None:
    assert main(["--report-dir", str(reports), "--run-id", "r1", "--area", "errors"]) == 0
    index = json.loads((reports / "r1" / "index.json").read_text())
    assert {e["provider"] for e in index["providers"]} == set(contract_ids())
