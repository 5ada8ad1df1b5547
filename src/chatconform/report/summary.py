"""The machine-readable result of a run: ``summary.json`` per provider and ``index.json``.

The summary is what other tools (the diff verb, dashboards, CI) read, so it is plain
JSON with a fixed key set, written once at the end of the session. It never holds a
credential: headers are redacted by the client and every string passes the scrubber.

Layout under ``<report-dir>/<run-id>/``: with one provider ``summary.json`` and
``junit.xml`` directly; with several, one sub-directory per provider holding both.
``index.json`` (always) lists the providers and where their summaries are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chatconform.engine.evaluate import Outcome
from chatconform.engine.exchange import Exchange
from chatconform.engine.message import assembled_usage
from chatconform.engine.runner import Budget, ProbeResult
from chatconform.report.junit import write_junit
from chatconform.report.redact import Scrubber
from chatconform.report.shape import exchange_shape

STATUSES = ("passed", "failed", "skipped", "warned")
EXCERPT = 2000  # characters of a body kept in a failure entry


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def default_run_id(moment: datetime | None = None) -> str:
    """The default run id: the UTC time the run started, ``YYYYMMDDTHHMMSSZ``."""
    return (moment or utc_now()).strftime("%Y%m%dT%H%M%SZ")


@dataclass
class ProviderRun:
    """Everything one provider's part of a session produced, in probe order."""

    provider: str
    model: str
    base_url: str
    mode: str
    budget: Budget
    started: datetime = field(default_factory=utc_now)
    finished: datetime | None = None
    results: list[ProbeResult] = field(default_factory=list)
    # Replay only: the cassette set's manifest (source kind, base URL, when, version), so a
    # report never presents answers recorded from the reference server as the vendor's.
    recorded_from: dict[str, Any] | None = None

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for result in self.results:
            for outcome in result.outcomes:
                counts[outcome.status] += 1
        return counts


def request_record(exchange: Exchange) -> dict[str, Any]:
    """The request as sent (credential headers already redacted by the client)."""
    sent = exchange.request
    return {
        "method": sent.method,
        "url": sent.url,
        "headers": dict(sent.headers),
        "body": _text(sent.body),
    }


def response_excerpt(exchange: Exchange) -> dict[str, Any]:
    received = exchange.response
    excerpt: dict[str, Any] = {
        "status": received.status,
        "content_type": received.content_type,
        "body": _text(received.body, EXCERPT),
    }
    if exchange.transport_error:
        excerpt["transport_error"] = exchange.transport_error
    return excerpt


def build_summary(run: ProviderRun, version: str) -> dict[str, Any]:
    """The summary document of one provider (not yet scrubbed)."""
    failures: list[dict[str, Any]] = []
    observations: list[dict[str, Any]] = []
    probes: list[dict[str, Any]] = []
    for result in run.results:
        for outcome in result.failed:
            failures.append(_failure(result, outcome))
        for note in result.observations:
            observations.append({"probe": result.probe.id, **note})
        probes.append(_probe_entry(result))
    document: dict[str, Any] = {
        "provider": run.provider,
        "model": run.model,
        "base_url": run.base_url,
        "mode": run.mode,
        "started": iso(run.started),
        "finished": iso(run.finished or utc_now()),
        "chatconform_version": version,
        "counts": run.counts(),
        "requests": run.budget.requests,
        "completion_tokens": run.budget.completion_tokens,
        "failures": failures,
        "observations": observations,
        "probes": probes,
    }
    if run.recorded_from is not None:
        document["recorded_from"] = run.recorded_from
    return document


def write_reports(
    report_dir: Path, run_id: str, runs: list[ProviderRun], scrubber: Scrubber, version: str
) -> Path:
    """Write every provider's summary.json and junit.xml, and index.json; the run dir."""
    run_dir = report_dir / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    entries = []
    for run in runs:
        target = run_dir if len(runs) == 1 else run_dir / run.provider
        target.mkdir(parents=True, exist_ok=True)
        summary = scrubber.data(build_summary(run, version))
        _write_json(target / "summary.json", summary)
        write_junit(target / "junit.xml", run.provider, run.results, scrubber)
        entries.append(
            {
                "provider": run.provider,
                "model": run.model,
                "summary": (target / "summary.json").relative_to(run_dir).as_posix(),
                "junit": (target / "junit.xml").relative_to(run_dir).as_posix(),
                "counts": summary["counts"],
                "requests": summary["requests"],
                "completion_tokens": summary["completion_tokens"],
            }
        )
    index = {"run_id": run_id, "chatconform_version": version, "providers": entries}
    _write_json(run_dir / "index.json", scrubber.data(index))
    return run_dir


def _failure(result: ProbeResult, outcome: Outcome) -> dict[str, Any]:
    assert result.exchange is not None  # only a sent probe can fail a check
    return {
        "check": outcome.check,
        "rule": outcome.rule,
        "citation": outcome.citation,
        "message": outcome.message,
        "request": request_record(result.exchange),
        "response_excerpt": response_excerpt(result.exchange),
        "probe": result.probe.id,
    }


def _probe_entry(result: ProbeResult) -> dict[str, Any]:
    exchange = result.exchange
    entry: dict[str, Any] = {
        "id": result.probe.id,
        "area": result.probe.area,
        "http_status": exchange.response.status if exchange else None,
        "elapsed_s": round(exchange.response.elapsed_s, 4) if exchange else None,
        "first_byte_s": _round(exchange.response.first_byte_s) if exchange else None,
        "usage": assembled_usage(exchange) if exchange else None,
        "shape": exchange_shape(exchange) if exchange else {},
        "outcomes": {o.check: o.status for o in result.outcomes},
    }
    if result.skipped:
        entry["skipped"] = result.skipped
    if exchange and exchange.transport_error:
        entry["transport_error"] = exchange.transport_error
    return entry


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _text(body: bytes, limit: int | None = None) -> str:
    text = body.decode("utf-8", errors="replace")
    return text if limit is None or len(text) <= limit else text[:limit] + "..."


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
