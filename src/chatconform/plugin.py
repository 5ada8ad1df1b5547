"""The pytest plugin: options, fixtures and hooks that run the shipped conformance suites.

It is loaded through the ``pytest11`` entry point into every pytest session, the
harness's own test sessions included, so it does nothing unless ``--provider`` is given.
The run's state lives in :class:`chatconform.report.session.ChatconformSession`,
registered as a plugin of the active session only.

Seams for other layers and for users:

- ``chatconform_transport`` (session fixture, default ``None``: the network). Override it
  in a conftest to return an ``httpx.BaseTransport`` (every provider) or a function
  ``Contract -> BaseTransport | None`` (per provider) and probes go through it without
  sockets, e.g. ``chatconform.server.transport(ReferenceServer(contract))``.
- ``--base-url inprocess://[<contract-id>][?fault=<name>]``: the reference server of
  ``<contract-id>`` (default: the provider's own contract), with one catalogue fault on
  if asked, in process. The one place a harness layer reaches into the server, lazily.
- ``pytest_chatconform_recorder`` (hook): the context manager a probe is sent under in
  ``--mode record|replay``. Those modes register :data:`RECORDING_PLUGIN`, which
  implements it; live mode never calls it.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest

from chatconform.report.session import ChatconformSession
from chatconform.report.settings import (
    MODES,
    SUITE_AREAS,
    Case,
    Settings,
    TransportSetting,
    provider_choices,
)

RECORDING_PLUGIN = "chatconform.recording.plugin"
SESSION_PLUGIN = "chatconform-session"
SESSION = pytest.StashKey[ChatconformSession]()
CASE_ARG = "chatconform_case"


class RecorderSpec:
    """Hook specifications a recording plugin implements."""

    @pytest.hookspec(firstresult=True)
    def pytest_chatconform_recorder(
        self, request: pytest.FixtureRequest, case: Case, mode: str
    ) -> AbstractContextManager[Any] | None:
        """The context manager a probe is sent under in ``record`` or ``replay`` mode."""
        raise NotImplementedError


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(RecorderSpec)


def pytest_addoption(parser: pytest.Parser) -> None:
    from chatconform.engine.planner import AREAS

    group = parser.getgroup("chatconform", "chatconform conformance runs")
    add = group.addoption
    add(
        "--provider",
        action="append",
        dest="chatconform_providers",
        default=[],
        choices=provider_choices(),
        help="contract id to test (repeatable); without it the plugin is inactive",
    )
    add(
        "--base-url",
        dest="chatconform_base_url",
        default=None,
        help="endpoint base URL, e.g. https://host/v1 (default: the contract's)",
    )
    add(
        "--model",
        dest="chatconform_model",
        default=None,
        help="model to request (default: the contract's default model)",
    )
    add(
        "--api-key-env",
        dest="chatconform_api_key_env",
        default=None,
        metavar="VAR",
        help="environment variable holding the key (default: the one the contract names)",
    )
    add(
        "--examples",
        dest="chatconform_examples",
        type=int,
        default=10,
        metavar="N",
        help="generated valid and invalid requests per provider (default 10)",
    )
    add(
        "--area",
        action="append",
        dest="chatconform_areas",
        default=[],
        choices=AREAS + SUITE_AREAS,
        help="probe area to run (repeatable; default every area)",
    )
    add(
        "--mode",
        dest="chatconform_mode",
        choices=MODES,
        default="live",
        help="live (default), record cassettes, or replay them offline",
    )
    add(
        "--report-dir",
        dest="chatconform_report_dir",
        default="reports",
        metavar="DIR",
        help="reports go to DIR/<run-id>/ (default ./reports)",
    )
    add(
        "--run-id",
        dest="chatconform_run_id",
        default=None,
        help="name of the run's report directory (default: UTC start, YYYYMMDDTHHMMSSZ)",
    )
    add(
        "--max-requests",
        dest="chatconform_max_requests",
        type=int,
        default=200,
        metavar="N",
        help="requests per provider; once spent, remaining probes are skipped (200)",
    )
    add(
        "--max-completion-tokens",
        dest="chatconform_max_completion_tokens",
        type=int,
        default=5000,
        metavar="N",
        help="completion tokens per provider; once spent, probes are skipped (5000)",
    )
    add(
        "--timeout",
        dest="chatconform_timeout",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="read timeout per request; a request that takes longer fails the probe (120)",
    )


@pytest.hookimpl(tryfirst=True)  # before allure-pytest reads its report dir
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "chatconform(provider, area): a conformance probe (set by the plugin)"
    )
    if not config.getoption("chatconform_providers", default=None):
        return
    if getattr(config.option, "numprocesses", None):
        # One budget and one set of reports per run: xdist workers would each spend
        # the whole budget and overwrite each other's summary.
        raise pytest.UsageError("chatconform runs do not support pytest-xdist (-n)")
    session = ChatconformSession(config, Settings.from_config(config))
    config.stash[SESSION] = session
    config.pluginmanager.register(session, SESSION_PLUGIN)
    if getattr(config.option, "allure_report_dir", "absent") is None:
        config.option.allure_report_dir = str(session.run_dir / "allure-results")
        config.option.clean_alluredir = True
    mode = session.settings.mode
    if mode != "live":
        if importlib.util.find_spec(RECORDING_PLUGIN) is None:
            raise pytest.UsageError(f"--mode {mode} needs {RECORDING_PLUGIN}, not installed")
        config.pluginmanager.import_plugin(RECORDING_PLUGIN)


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(SESSION, None)
    if session is not None and config.pluginmanager.is_registered(session):
        config.pluginmanager.unregister(session)


def parametrize_cases(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``chatconform_case`` over every (provider, probe) the run plans."""
    if CASE_ARG not in metafunc.fixturenames:
        return
    session = metafunc.config.stash.get(SESSION, None)
    if session is None:
        skip = pytest.mark.skip(reason="no --provider given: nothing to test")
        metafunc.parametrize(CASE_ARG, [pytest.param(None, marks=skip, id="no-provider")])
        return
    metafunc.parametrize(CASE_ARG, session.params())


@pytest.fixture(scope="session")
def chatconform_transport() -> TransportSetting:
    """The httpx transport probes go through (or a function of the contract); None: network."""
    return None


@pytest.fixture(scope="session")
def chatconform_session(
    request: pytest.FixtureRequest, chatconform_transport: TransportSetting
) -> ChatconformSession:
    """The run's state: settings, one runner per provider, results for the reports."""
    session = request.config.stash.get(SESSION, None)
    if session is None:
        pytest.skip("no --provider given: nothing to test")
    session.transport = chatconform_transport
    return session


@pytest.fixture
def chatconform_recorder(
    request: pytest.FixtureRequest, chatconform_case: Case, chatconform_session: ChatconformSession
) -> Iterator[None]:
    """Active while the probe is sent: nothing when live, a cassette in record/replay."""
    mode = chatconform_session.settings.mode
    if mode == "live":
        yield
        return
    manager = request.config.hook.pytest_chatconform_recorder(
        request=request, case=chatconform_case, mode=mode
    )
    if manager is None:
        pytest.fail(
            f"--mode {mode}: no plugin implements pytest_chatconform_recorder", pytrace=False
        )
    with manager:
        yield
