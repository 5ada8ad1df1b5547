"""One pytest session's conformance run: settings, runners, results, and the reports.

The plugin creates one :class:`ChatconformSession` per active pytest session and
registers it as a plugin of that session only, so its hooks (progress lines, report
writing) never fire in another session, nested ``pytester`` runs included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from chatconform.contracts.model import Contract
from chatconform.engine.probe import Probe
from chatconform.engine.runner import (
    BUDGET_SPENT,
    Budget,
    ProbeResult,
    Runner,
    resolve_api_key,
)
from chatconform.report.allure_labels import label_marks, record_result
from chatconform.report.junit import failure_text, skip_text
from chatconform.report.progress import Progress
from chatconform.report.redact import Scrubber
from chatconform.report.settings import (
    INPROCESS,
    Case,
    Settings,
    TransportSetting,
    inprocess_transport,
)
from chatconform.report.summary import ProviderRun, utc_now, write_reports

CONNECT_TIMEOUT = 10.0
REPLAY_BASE_URL = "http://replay.invalid"  # never contacted: replay blocks the network
CASSETTE_API_KEY = "chatconform-placeholder-key"  # stands in for an unset key (record/replay)


class ChatconformSession:
    """The state of one run; also a pytest plugin registered for this session only."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        from chatconform.contracts import ContractError, load_contract

        self.config = config
        self.settings = settings
        self.transport: TransportSetting = None
        self.scrubber = Scrubber()
        self.contracts: dict[str, Contract] = {}
        self.runs: dict[str, ProviderRun] = {}
        self._plans: dict[str, list[Probe]] = {}
        self._runners: dict[str, Runner] = {}
        self._clients: list[httpx.Client] = []
        self._items: dict[str, Case] = {}
        self._area_sizes: dict[tuple[str, str], int] = {}
        self._keys: dict[str, str | None] = {}
        self._inprocess: dict[str, httpx.BaseTransport] = {}
        self.progress = Progress(self._terminal)
        for provider in settings.providers:
            try:
                contract = load_contract(provider)
            except (ContractError, KeyError, ValueError, OSError) as error:
                raise pytest.UsageError(f"--provider {provider}: {error}") from None
            self.contracts[provider] = contract
            key = resolve_api_key(contract, settings.api_key_env)
            if key is None and settings.mode in ("record", "replay"):
                # Cassettes hold the redaction marker for any key, and a request with
                # no key would not match one recorded with a key: with cassettes, a
                # stand-in key is always sent, so any set replays on a machine with none.
                key = CASSETTE_API_KEY
            self._keys[provider] = key
            self.scrubber.add(key)
            if (settings.base_url or "").startswith(INPROCESS):
                self._inprocess[provider] = inprocess_transport(
                    settings.base_url or "", contract, key
                )
            self.runs[provider] = ProviderRun(
                provider=provider,
                model=settings.model or contract.models.default,
                base_url=settings.base_url or contract.base_url,
                mode=settings.mode,
                budget=Budget(settings.max_requests, settings.max_completion_tokens),
            )

    def _terminal(self) -> Any:
        if self.config.get_verbosity() < 0:
            return None
        return self.config.pluginmanager.get_plugin("terminalreporter")

    @property
    def run_dir(self) -> Path:
        return self.settings.report_dir / self.settings.run_id

    # -- collection ------------------------------------------------------------------

    def plan(self, provider: str) -> list[Probe]:
        """The provider's probes (planned once per session)."""
        if provider not in self._plans:
            from chatconform.engine.planner import AREAS, plan

            areas = self.settings.areas
            planned = None if areas is None else [a for a in areas if a in AREAS]
            self._plans[provider] = (
                []
                if planned == []
                else plan(
                    self.contracts[provider],
                    model=self.runs[provider].model,
                    examples=self.settings.examples,
                    areas=planned,
                )
            )
        return self._plans[provider]

    def params(self) -> list[Any]:
        """A ``param`` per (provider, probe) the planner gives, in provider order."""
        return [self.param(p, probe) for p in self.settings.providers for probe in self.plan(p)]

    def param(self, provider: str, probe: Probe) -> Any:
        """The ``pytest.param`` of one probe: id the probe id (provider-prefixed when
        several providers run), marks the filterable allure labels."""
        run = self.runs[provider]
        marks = [
            pytest.mark.chatconform(provider=provider, area=probe.area),
            *label_marks(provider, probe.area),
        ]
        ident = f"{provider}/{probe.id}" if len(self.settings.providers) > 1 else probe.id
        return pytest.param(Case(provider, probe, run.model, run.base_url), marks=marks, id=ident)

    # -- running ---------------------------------------------------------------------

    def runner(self, provider: str) -> Runner:
        if provider not in self._runners:
            contract = self.contracts[provider]
            setting = self.transport
            transport = setting(contract) if callable(setting) else setting
            run = self.runs[provider]
            base_url = run.base_url
            if transport is None and provider in self._inprocess:
                transport = self._inprocess[provider]
                base_url = "http://inprocess.invalid" + urlsplit(contract.base_url).path
            elif not base_url and run.mode == "replay":
                # Replay matches on path, never host: a contract with no fixed endpoint
                # (a gateway) replays what was recorded from the reference server.
                base_url = REPLAY_BASE_URL
            timeout = httpx.Timeout(self.settings.timeout, connect=CONNECT_TIMEOUT)
            client = httpx.Client(transport=transport, timeout=timeout)
            self._clients.append(client)
            self._runners[provider] = Runner(
                contract,
                base_url=base_url,
                model=run.model,
                api_key=self._keys[provider],
                client=client,
                budget=run.budget,
            )
        return self._runners[provider]

    def run_case(self, case: Case) -> ProbeResult:
        """Run one probe; fail with every failed check, skip when nothing could decide."""
        run = self.runs[case.provider]
        result = self.runner(case.provider).run_probe(case.probe)
        run.results.append(result)
        record_result(result, self.scrubber)
        exchange = result.exchange
        if exchange is not None and exchange.transport_error:
            self._abort_if_unreachable(run, exchange.transport_error)
        if result.failed:
            pytest.fail(self.scrubber.text(failure_text(result)), pytrace=False)
        if exchange is not None and exchange.transport_error:
            pytest.fail(
                self.scrubber.text(f"no response: {exchange.transport_error}"), pytrace=False
            )
        if all(o.status == "skipped" for o in result.outcomes):
            pytest.skip(self.scrubber.text(skip_text(result)))
        return result

    def _abort_if_unreachable(self, run: ProviderRun, error: str) -> None:
        # Nothing has answered yet and the connection was refused: every remaining
        # probe would fail the same way, so stop with one line instead of hundreds.
        answered = any(r.exchange and r.exchange.response.status for r in run.results)
        if not answered and error.startswith(("ConnectError", "ConnectTimeout")):
            pytest.exit(f"chatconform: cannot reach {run.base_url}: {error}", returncode=2)

    # -- hooks (this session only) ---------------------------------------------------

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            callspec = getattr(item, "callspec", None)
            case = callspec.params.get("chatconform_case") if callspec else None
            if isinstance(case, Case):
                self._items[item.nodeid] = case
                key = (case.provider, case.probe.area)
                self._area_sizes[key] = self._area_sizes.get(key, 0) + 1

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logstart(self, nodeid: str) -> None:
        case = self._items.get(nodeid)
        if case is not None:
            size = self._area_sizes[(case.provider, case.probe.area)]
            budget = self.runs[case.provider].budget
            self.progress.item_starting(case.provider, case.probe.area, size, budget)

    def pytest_sessionfinish(self) -> None:
        for client in self._clients:
            client.close()
        runs = list(self.runs.values())
        for run in runs:
            run.finished = utc_now()
            if run.mode == "replay":
                run.recorded_from = self._recorded_from(run.provider, run.model)
        if any(run.results for run in runs):
            from chatconform import __version__

            write_reports(
                self.settings.report_dir, self.settings.run_id, runs, self.scrubber, __version__
            )

    def _recorded_from(self, provider: str, model: str) -> dict[str, Any] | None:
        """The manifest of the set a replay read, as the recording layer found it."""
        from chatconform.recording.layout import set_dir
        from chatconform.recording.manifest import ManifestError, read_manifest
        from chatconform.recording.plugin import STATE

        state = self.config.stash.get(STATE, None)
        if state is None:
            return None
        try:
            manifest = read_manifest(set_dir(state.root, provider, model))
        except ManifestError:
            return None
        return {
            "source_kind": manifest.source_kind,
            "base_url": manifest.base_url,
            "recorded_at": manifest.recorded_at,
            "chatconform_version": manifest.chatconform_version,
        }

    def pytest_terminal_summary(self) -> None:
        runs = [
            (run.provider, run.budget, sum(r.skipped == BUDGET_SPENT for r in run.results))
            for run in self.runs.values()
        ]
        written = self.run_dir if any(run.results for run in self.runs.values()) else None
        self.progress.finished(runs, written)
