"""What a run is asked to do: the plugin's options as one value, and the suite's cases.

Kept apart from the session so the suites, the CLI and the recording layer can import
these small types without the machinery that runs probes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from chatconform.contracts.model import Contract
from chatconform.engine.probe import Probe
from chatconform.report.summary import default_run_id

MODES = ("live", "record", "replay")
# Areas served by a suite of their own rather than by the planner; run only when named.
SUITE_AREAS = ("schemathesis",)
INPROCESS = "inprocess://"
# What ``chatconform_transport`` may return: one transport for every provider, or a
# function of the contract (None: that provider goes over the network).
TransportSetting = httpx.BaseTransport | Callable[[Contract], httpx.BaseTransport | None] | None


@dataclass(frozen=True)
class Case:
    """One parametrized item of the suite: a probe for a provider (model, base URL)."""

    provider: str
    probe: Probe
    model: str = ""
    base_url: str = ""


@dataclass(frozen=True)
class Settings:
    providers: tuple[str, ...]
    base_url: str | None
    model: str | None
    api_key_env: str | None
    examples: int
    areas: tuple[str, ...] | None
    mode: str
    report_dir: Path
    run_id: str
    max_requests: int
    max_completion_tokens: int
    timeout: float = 120.0

    @classmethod
    def from_config(cls, config: pytest.Config) -> Settings:
        opt = config.getoption
        for name in ("examples", "max_requests", "max_completion_tokens"):
            if opt(f"chatconform_{name}") < 0:
                raise pytest.UsageError(f"--{name.replace('_', '-')} must be >= 0")
        if opt("chatconform_timeout") <= 0:
            raise pytest.UsageError("--timeout must be > 0")
        return cls(
            providers=tuple(dict.fromkeys(opt("chatconform_providers"))),
            base_url=opt("chatconform_base_url"),
            model=opt("chatconform_model"),
            api_key_env=opt("chatconform_api_key_env"),
            examples=opt("chatconform_examples"),
            areas=tuple(opt("chatconform_areas")) or None,
            mode=opt("chatconform_mode"),
            report_dir=Path(opt("chatconform_report_dir")).resolve(),
            run_id=opt("chatconform_run_id") or default_run_id(),
            max_requests=opt("chatconform_max_requests"),
            max_completion_tokens=opt("chatconform_max_completion_tokens"),
            timeout=opt("chatconform_timeout"),
        )


def provider_choices() -> list[str] | None:
    """Runnable contract ids for ``--provider``; None (no choices) if contracts won't load."""
    try:
        from chatconform.contracts import contract_ids

        return sorted(contract_ids())
    except Exception:  # a broken contract must not break unrelated pytest sessions
        return None


def inprocess_transport(url: str, contract: Contract, api_key: str | None) -> httpx.BaseTransport:
    """``inprocess://[<contract-id>][?fault=<name>]``: the reference server, no sockets.

    The server follows ``<contract-id>`` (default: the provider's own contract), so a
    provider's contract can be run against another's server, or against one fault.
    """
    from chatconform.contracts import ContractError, load_contract
    from chatconform.server import ReferenceServer, transport

    parts = urlsplit(url)
    fault = parse_qs(parts.query).get("fault", [None])[0]
    try:
        served = load_contract(parts.netloc) if parts.netloc else contract
        reference = transport(
            ReferenceServer(served, api_key=api_key, fault=fault, **_pinned_clock())
        )
    except (ContractError, KeyError, ValueError) as error:
        raise pytest.UsageError(f"--base-url {url}: {error}") from None
    # Wrapped in a MockTransport because that is a transport vcrpy knows how to record
    # and replay; a custom BaseTransport would be invisible to --mode record.
    return httpx.MockTransport(reference.handle_request)


def _pinned_clock() -> dict[str, Callable[[], float]]:
    """``SOURCE_DATE_EPOCH`` (the reproducible-builds variable), when set, is every
    ``created`` the reference server answers: re-recorded cassettes then differ only
    where behaviour did."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not value.isdigit():
        return {}
    moment = float(value)
    return {"clock": lambda: moment}
