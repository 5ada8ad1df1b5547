"""The ``chatconform run`` subcommand: the shipped pytest suites, configured from flags.

The command is a thin front for ``pytest suites/``: everything it does is also
reachable with plain pytest and the plugin's options. What it adds is a usable exit
status (0 no check failed, 1 a check failed, 2 usage or configuration error, each
error one line) and checks done before pytest starts, so that a wrong provider id or
an unreachable endpoint is one line rather than a page of pytest output.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from chatconform._paths import data_dir
from chatconform.cli.errors import UsageError

MODES = ("live", "record", "replay")
INPROCESS = "inprocess://"  # the reference server in process (see chatconform.plugin)
# `chatconform` with no arguments at all runs `run` with no flags (see cli/__init__.py):
# that means this mode, over every runnable provider.
NO_ARGUMENTS_MODE = "replay"
_PREFLIGHT_TIMEOUT = 5.0


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "run",
        help="run the conformance suite against an endpoint",
        description="Run the conformance suite. Without --provider: every runnable "
        f"provider, in --mode {NO_ARGUMENTS_MODE} unless --mode is given. Arguments after "
        "`--` go to pytest unchanged.",
    )
    p.add_argument(
        "--provider",
        action="append",
        dest="providers",
        metavar="ID",
        help="contract id to test (repeatable; default: every runnable one)",
    )
    p.add_argument(
        "--base-url",
        help="endpoint base URL (default: the contract's); "
        "inprocess://[CONTRACT][?fault=NAME] for the reference server",
    )
    p.add_argument("--model", help="model to request (default: the contract's default)")
    p.add_argument(
        "--api-key-env",
        metavar="VAR",
        help="environment variable holding the key (default: the contract's)",
    )
    p.add_argument(
        "--examples",
        type=int,
        default=10,
        metavar="N",
        help="generated valid and invalid requests per provider (default 10)",
    )
    p.add_argument(
        "--area",
        action="extend",
        nargs="+",
        dest="areas",
        metavar="AREA",
        choices=_areas(),
        help="probe areas to run (default: every area)",
    )
    p.add_argument(
        "--mode",
        choices=MODES,
        help=f"live, record or replay (default: live with --provider, {NO_ARGUMENTS_MODE} without)",
    )
    p.add_argument(
        "--report-dir",
        default="reports",
        metavar="DIR",
        help="reports go to DIR/<run-id>/ (default ./reports)",
    )
    p.add_argument("--run-id", help="name of the run's report directory (default: UTC time)")
    p.add_argument(
        "--max-requests",
        type=int,
        default=200,
        metavar="N",
        help="requests per provider before remaining probes are skipped (200)",
    )
    p.add_argument(
        "--max-completion-tokens",
        type=int,
        default=5000,
        metavar="N",
        help="completion tokens per provider before probes are skipped (5000)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="read timeout per request (120); raise it for slow reasoning models",
    )
    p.add_argument("pytest_args", nargs="*", metavar="-- PYTEST_ARGS", help=argparse.SUPPRESS)
    p.set_defaults(handler=run)


def _areas() -> tuple[str, ...]:
    from chatconform.engine.planner import AREAS
    from chatconform.report.settings import SUITE_AREAS

    return AREAS + SUITE_AREAS


def run(args: argparse.Namespace) -> int:
    if not args.run_id:
        # Chosen here rather than by the plugin so the table below can find the reports.
        from chatconform.report.summary import default_run_id

        args.run_id = default_run_id()
    code = run_suite(pytest_args(args))
    from chatconform.cli.run_table import print_run_table

    print_run_table(Path(args.report_dir) / args.run_id, exit_code=code)
    return code


def pytest_args(args: argparse.Namespace) -> list[str]:
    """The pytest command line for ``args``; raises UsageError for a bad configuration."""
    known = _runnable_ids()
    providers = list(dict.fromkeys(args.providers or known))
    mode = args.mode or ("live" if args.providers else NO_ARGUMENTS_MODE)
    unknown = [p for p in providers if p not in known]
    if unknown:
        raise UsageError(f"unknown provider {unknown[0]!r}; known: {', '.join(known)}")
    if not providers:
        raise UsageError("no runnable contract found")
    for name in ("examples", "max_requests", "max_completion_tokens"):
        if getattr(args, name) < 0:
            raise UsageError(f"--{name.replace('_', '-')} must be >= 0")
    if args.timeout <= 0:
        raise UsageError("--timeout must be > 0 seconds")
    inprocess = (args.base_url or "").startswith(INPROCESS)
    if args.base_url is not None and not inprocess:
        _check_url(args.base_url)
    if mode != "replay" and not inprocess:
        for url in _targets(providers, args.base_url):
            _preflight(url)
    suites = data_dir("suites")
    argv = [str(suites), "-c", str(suites / "pytest.ini"), "--rootdir", str(suites)]
    # The suites assert nothing: rewriting every plugin module's asserts at each start
    # (uncached where bytecode is not written) cost two seconds of a replay.
    argv.append("--assert=plain")
    if mode == "replay":
        # Offline, the plugin set is fixed: no third-party plugin is imported, and
        # pytest-recording's per-test fixtures are left out (the recording plugin
        # blocks the network itself).
        argv.append("--disable-plugin-autoload")
    if mode == "replay" or os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        argv += ["-p", "chatconform.plugin", "-p", "allure_pytest.plugin"]
    for provider in providers:
        argv += ["--provider", provider]
    argv += ["--mode", mode, "--examples", str(args.examples), "--report-dir", args.report_dir]
    argv += ["--max-requests", str(args.max_requests)]
    argv += ["--max-completion-tokens", str(args.max_completion_tokens)]
    argv += ["--timeout", str(args.timeout)]
    for flag, value in (
        ("--base-url", args.base_url),
        ("--model", args.model),
        ("--api-key-env", args.api_key_env),
        ("--run-id", args.run_id),
    ):
        if value:
            argv += [flag, value]
    for area in args.areas or ():
        argv += ["--area", area]
    return argv + list(args.pytest_args)


def run_suite(argv: Sequence[str], plugins: Sequence[object] = ()) -> int:
    """Run pytest and map its exit code: 0 pass, 1 a check failed, 2 anything else."""
    # This process imported chatconform before pytest started, so pytest cannot
    # assertion-rewrite it and says so; under the suites' filterwarnings=error that
    # notice would abort the run. The suites assert nothing inside chatconform itself.
    argv = ["-W", "ignore::pytest.PytestAssertRewriteWarning", *argv]
    try:
        code = pytest.main(argv, plugins=list(plugins))
    except Exception as error:  # pytest failed to start: one line, not a traceback
        raise UsageError(f"pytest could not start: {type(error).__name__}: {error}") from None
    if code in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        return 0
    if code == pytest.ExitCode.TESTS_FAILED:
        return 1
    return 2


def _runnable_ids() -> list[str]:
    from chatconform.contracts import contract_ids

    return sorted(contract_ids())


def _targets(providers: Sequence[str], base_url: str | None) -> list[str]:
    if base_url is not None:
        return [base_url]
    from chatconform.contracts import load_contract

    missing = [p for p in providers if not load_contract(p).base_url]
    if missing:
        raise UsageError(
            f"{', '.join(missing)}: the page names no endpoint, so there is no default; "
            "pass --base-url (the gateway's URL, e.g. https://HOST/v1)"
        )
    return list(dict.fromkeys(load_contract(p).base_url for p in providers))


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--base-url {url!r} is not an http(s) URL")


def _preflight(url: str) -> None:
    """Open (and close) a TCP connection: a refused port or unknown host is one line."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        with socket.create_connection((host, port), timeout=_PREFLIGHT_TIMEOUT):
            pass
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        raise UsageError(f"cannot reach {url}: {reason}") from None


def run_command(
    provider: str,
    base_url: str,
    *,
    mode: str,
    report_dir: Path | str,
    run_id: str,
    options: Sequence[str] = (),
    pytest_options: Sequence[str] = ("-q",),
    python: str = sys.executable,
) -> list[str]:
    """The argv of ``chatconform run`` for one provider in a child process.

    Benchmarks, the peer tests and the bundled-cassette recorder run the CLI exactly as
    a user does; this is the one place that spells the command out.
    """
    return [
        python,
        "-m",
        "chatconform",
        "run",
        "--provider",
        provider,
        "--base-url",
        base_url,
        "--mode",
        mode,
        "--report-dir",
        str(report_dir),
        "--run-id",
        run_id,
        *options,
        "--",
        *pytest_options,
    ]
