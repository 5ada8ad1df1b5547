"""The vendor evaluation: several providers' runs read side by side, ready to render.

A team choosing between gateways (or watching last night's runs of three of them)
needs one page, not five ``summary.json`` files. This module reads run directories
(never the network), puts every provider's run in one column, resolves each failed
rule to the vendor page that states it, keeps observations apart from failures, and
computes cost and latency. Rendering lives in ``evaluation_render``; the reader here
is what a dashboard or another format would reuse.

Everything read is scrubbed again: the run already redacted credentials, but a report
meant to be mailed around must not depend on that having worked.
"""

from __future__ import annotations

import json
import math
import os
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from chatconform.engine.secrets import REDACTED, is_secret_header
from chatconform.report.diff import SummaryError, load_summaries
from chatconform.report.evaluation_findings import (
    FailedRule,
    ObservationGroup,
    failed_rules,
    observation_groups,
)
from chatconform.report.redact import Scrubber
from chatconform.report.summary import STATUSES

__all__ = [
    "Column",
    "Evaluation",
    "FailedRule",
    "Latency",
    "ObservationGroup",
    "SummaryError",
    "cell_state",
    "load_evaluation",
    "seconds",
    "timing_note",
]

# Shapes a credential takes when a provider echoes one back somewhere unexpected.
_SECRET_PATTERNS = (
    # A token must hold a digit, so prose ("bearer tokens", "basic usage") is left alone.
    re.compile(r"(?i)\b(bearer|basic)\s+(?=[A-Za-z._~+/=-]*\d)[A-Za-z0-9._~+/=-]{6,}"),
    re.compile(r"\bsk-[A-Za-z0-9_-]{6,}"),
)
_SECRET_NAMES = re.compile(r"(?i)(key|token|secret|passw|auth|signature|sig$|cookie)")
_ENV_SECRET = re.compile(r"(?i)(API_KEY|TOKEN|SECRET)$")


@dataclass(frozen=True)
class Latency:
    """Elapsed time of one area's probes, in seconds."""

    count: int
    median: float
    p95: float


@dataclass
class Column:
    """One provider's run: a column of the matrix and a section of the report."""

    label: str
    provider: str
    model: str
    base_url: str
    mode: str
    run_id: str
    started: str
    finished: str
    version: str
    counts: dict[str, int]
    requests: int
    prompt_tokens: int
    completion_tokens: int
    matrix: dict[str, dict[str, int]]  # area -> status -> outcomes
    failures: list[FailedRule]
    observations: list[ObservationGroup]
    latency: dict[str, Latency] | None  # None: not a live run, timings mean nothing
    not_sent: dict[str, int]  # reason -> probes
    no_response: int

    @property
    def timed(self) -> bool:
        return self.latency is not None


@dataclass
class Evaluation:
    columns: list[Column]
    areas: list[str]

    @property
    def modes(self) -> list[str]:
        return sorted({c.mode for c in self.columns})

    @property
    def versions(self) -> list[str]:
        return sorted({c.version for c in self.columns if c.version})

    @property
    def started(self) -> str:
        return min((c.started for c in self.columns if c.started), default="")

    @property
    def finished(self) -> str:
        return max((c.finished for c in self.columns if c.finished), default="")


def load_evaluation(
    targets: Sequence[Path], environ: Mapping[str, str] | None = None
) -> Evaluation:
    """Read every run (a run directory or a summary.json) into one evaluation.

    Raises :class:`SummaryError` (one line) when a target cannot be read.
    """
    scrubber = _scrubber(os.environ if environ is None else environ)
    loaded: list[tuple[str, dict[str, Any]]] = []
    for target in targets:
        summaries = load_summaries(target)
        if not summaries:
            raise SummaryError(f"{target}: the run lists no provider")
        run_id = _run_id(target)
        for summary in summaries.values():
            _validate(target, summary)
            loaded.append((run_id, scrub(summary, scrubber)))
    providers = [s["provider"] for _, s in loaded]
    columns = []
    for run_id, summary in loaded:
        shared = providers.count(summary["provider"]) > 1
        label = f"{summary['provider']} ({run_id})" if shared else summary["provider"]
        columns.append(_column(label, run_id, summary))
    return Evaluation(columns, _areas(columns))


def scrub(value: Any, scrubber: Scrubber) -> Any:
    """``value`` with known keys, bearer tokens, ``sk-`` keys and secret headers removed."""
    if isinstance(value, str):
        text = scrubber.text(value)
        for pattern in _SECRET_PATTERNS:
            text = pattern.sub(_mask, text)
        return text
    if isinstance(value, dict):
        return {
            k: REDACTED if _is_secret_header(k, v) else scrub(v, scrubber) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub(v, scrubber) for v in value]
    return value


def safe_url(url: str) -> str:
    """``url`` without user info and with secret-looking query values redacted."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return REDACTED
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = [(k, REDACTED if _SECRET_NAMES.search(k) else v) for k, v in parse_qsl(parts.query)]
    text = f"{parts.scheme}://{netloc}{parts.path}" if parts.scheme else netloc + parts.path
    return text + (f"?{urlencode(query, safe='<>')}" if query else "")


def cell_state(counts: Mapping[str, int] | None) -> str:
    """The verdict of a matrix cell: failed, warned, passed, skipped, or none (not run)."""
    if not counts or not any(counts.values()):
        return "none"
    for state in ("failed", "warned", "passed"):
        if counts.get(state):
            return state
    return "skipped"


def timing_note(column: Column) -> str:
    """Why a column has no latency figures (empty when it has them)."""
    return "" if column.timed else f"{column.mode}: no timing"


def seconds(value: float) -> str:
    """A duration for a reader: milliseconds under a second, seconds above."""
    if value < 0.001:
        return "<1 ms"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: a value that was actually measured."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def _mask(match: re.Match[str]) -> str:
    scheme = match.group(1) if match.re.groups else ""
    return f"{scheme} {REDACTED}" if scheme else REDACTED


def _is_secret_header(name: str, value: Any) -> bool:
    return isinstance(value, str) and is_secret_header(name)


def _scrubber(environ: Mapping[str, str]) -> Scrubber:
    # The keys of this machine's own providers are the likeliest to leak, so every
    # variable a contract names, and any *_API_KEY, is scrubbed by value.
    names = {name for name in environ if _ENV_SECRET.search(name)}
    try:
        from chatconform.contracts import contract_ids, load_contract

        names |= {load_contract(cid).api_key_env for cid in contract_ids()}
    except Exception:  # a broken contract must not stop a report of finished runs
        pass
    return Scrubber(environ.get(name) for name in names if len(environ.get(name) or "") >= 6)


def _run_id(target: Path) -> str:
    directory = target.parent if target.is_file() else target
    index = directory / "index.json"
    if index.is_file():
        try:
            run_id = json.loads(index.read_text(encoding="utf-8")).get("run_id")
        except (OSError, ValueError, AttributeError):
            run_id = None
        if isinstance(run_id, str) and run_id:
            return run_id
    return directory.resolve().name


def _validate(target: Path, summary: dict[str, Any]) -> None:
    for key, kind in (("provider", str), ("probes", list), ("failures", list)):
        if not isinstance(summary.get(key), kind) or (kind is str and not summary.get(key)):
            raise SummaryError(f"{target}: not a chatconform summary (no valid {key!r})")


def _column(label: str, run_id: str, summary: dict[str, Any]) -> Column:
    probes = [p for p in summary["probes"] if isinstance(p, dict)]
    areas = {str(p.get("id")): str(p.get("area") or "other") for p in probes}
    mode = str(summary.get("mode") or "unknown")
    not_sent: dict[str, int] = {}
    for probe in probes:
        if probe.get("skipped"):
            reason = str(probe["skipped"])
            not_sent[reason] = not_sent.get(reason, 0) + 1
    return Column(
        label=label,
        provider=summary["provider"],
        model=str(summary.get("model") or ""),
        base_url=_target(summary),
        mode=mode,
        run_id=run_id,
        started=str(summary.get("started") or ""),
        finished=str(summary.get("finished") or ""),
        version=str(summary.get("chatconform_version") or ""),
        counts={s: _int(summary.get("counts", {}).get(s)) for s in STATUSES},
        requests=_int(summary.get("requests")),
        prompt_tokens=sum(_int((p.get("usage") or {}).get("prompt_tokens")) for p in probes),
        completion_tokens=_int(summary.get("completion_tokens")),
        matrix=_matrix(probes),
        failures=failed_rules(summary["provider"], summary["failures"], areas),
        observations=observation_groups(summary["provider"], summary.get("observations")),
        latency=_latency(probes) if mode == "live" else None,
        not_sent=not_sent,
        no_response=sum(1 for p in probes if p.get("transport_error")),
    )


def _matrix(probes: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    matrix: dict[str, dict[str, int]] = {}
    for probe in probes:
        cell = matrix.setdefault(str(probe.get("area") or "other"), dict.fromkeys(STATUSES, 0))
        outcomes = probe.get("outcomes")
        for status in (outcomes or {}).values() if isinstance(outcomes, dict) else ():
            if status in cell:
                cell[status] += 1
    return matrix


def _latency(probes: list[dict[str, Any]]) -> dict[str, Latency]:
    by_area: dict[str, list[float]] = {}
    for probe in probes:
        elapsed = probe.get("elapsed_s")
        if isinstance(elapsed, int | float) and not isinstance(elapsed, bool):
            by_area.setdefault(str(probe.get("area") or "other"), []).append(float(elapsed))
    return {
        area: Latency(len(values), statistics.median(values), percentile(values, 0.95))
        for area, values in by_area.items()
    }


def _areas(columns: list[Column]) -> list[str]:
    from chatconform.engine.planner import AREAS

    seen = {area for column in columns for area in column.matrix}
    return [a for a in AREAS if a in seen] + sorted(seen - set(AREAS))


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _target(summary: Mapping[str, Any]) -> str:
    """What the answers came from: for a replay, the recording's source, not the vendor."""
    recorded = summary.get("recorded_from")
    if isinstance(recorded, Mapping) and recorded.get("base_url"):
        kind = str(recorded.get("source_kind") or "recording")
        return f"{safe_url(str(recorded['base_url']))} (recorded from {kind})"
    return safe_url(str(summary.get("base_url") or ""))
