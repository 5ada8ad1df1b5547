"""Drift between two runs: what a provider changed since the last time it was tested.

Reads two ``summary.json`` documents (never the network) and reports checks newly
failing or passing, response shapes that changed per probe, token usage that moved
beyond a threshold and, when both runs were live, per-area latency medians that moved.
A regression (exit 1) is a newly failing check or a response field removed or retyped;
the rest is information.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

USAGE_FIELDS = ("prompt_tokens", "completion_tokens")


class SummaryError(Exception):
    """A run directory or summary file that cannot be read (a usage error)."""


@dataclass(frozen=True)
class Thresholds:
    usage: float = 0.2  # relative change in a probe's token count
    usage_min: int = 2  # and at least this many tokens, so 1 -> 2 is not news
    latency: float = 0.5  # relative change in an area's median elapsed time


@dataclass
class Drift:
    a: dict[str, Any]
    b: dict[str, Any]
    newly_failing: list[dict[str, Any]] = field(default_factory=list)
    newly_passing: list[dict[str, Any]] = field(default_factory=list)
    failing_new_checks: list[dict[str, Any]] = field(default_factory=list)
    shape_changes: list[dict[str, Any]] = field(default_factory=list)
    usage_changes: list[dict[str, Any]] = field(default_factory=list)
    latency_changes: list[dict[str, Any]] = field(default_factory=list)
    latency_compared: bool = False
    probes_added: list[str] = field(default_factory=list)
    probes_removed: list[str] = field(default_factory=list)

    @property
    def regressed(self) -> bool:
        return bool(self.newly_failing) or any(
            c["change"] in ("removed", "retyped") for c in self.shape_changes
        )

    def as_dict(self) -> dict[str, Any]:
        return {"regressed": self.regressed, **asdict(self)}


def load_summaries(target: Path) -> dict[str, dict[str, Any]]:
    """Provider -> summary, from a summary.json, a run directory or a multi-provider run."""
    if target.is_file():
        summary = _read_json(target)
        return {str(summary.get("provider", "")): summary}
    if (target / "summary.json").is_file():
        return load_summaries(target / "summary.json")
    if (target / "index.json").is_file():
        index = _read_json(target / "index.json")
        found: dict[str, dict[str, Any]] = {}
        for entry in index.get("providers") or []:
            summary = _read_json(target / str(entry.get("summary", "")))
            found[str(summary.get("provider", entry.get("provider", "")))] = summary
        return found
    raise SummaryError(f"{target}: no summary.json or index.json there")


def compare(a: dict[str, Any], b: dict[str, Any], thresholds: Thresholds | None = None) -> Drift:
    """The drift from run ``a`` (before) to run ``b`` (after) of one provider."""
    limits = thresholds or Thresholds()
    drift = Drift(a=_header(a), b=_header(b))
    probes_a, probes_b = _probes(a), _probes(b)
    drift.probes_added = sorted(set(probes_b) - set(probes_a))
    drift.probes_removed = sorted(set(probes_a) - set(probes_b))
    messages = {
        (f.get("probe"), f.get("check")): f.get("message", "") for f in _list(b, "failures")
    }
    for probe_id in sorted(set(probes_a) | set(probes_b)):
        pa, pb = probes_a.get(probe_id), probes_b.get(probe_id)
        if pb is not None:
            _outcomes(drift, probe_id, pa, pb, messages)
        if pa is not None and pb is not None:
            _shapes(drift, probe_id, pa, pb)
            _usage(drift, probe_id, pa, pb, limits)
    if a.get("mode") == "live" and b.get("mode") == "live":
        drift.latency_compared = True
        _latency(drift, list(probes_a.values()), list(probes_b.values()), limits)
    return drift


def _outcomes(
    drift: Drift,
    probe_id: str,
    pa: dict[str, Any] | None,
    pb: dict[str, Any],
    messages: dict[tuple[Any, Any], Any],
) -> None:
    before = (pa or {}).get("outcomes") or {}
    for check, after in sorted((pb.get("outcomes") or {}).items()):
        was = before.get(check)
        entry = {"probe": probe_id, "check": check, "before": was, "after": after}
        if after == "failed" and was is None:
            drift.failing_new_checks.append({**entry, "message": messages.get((probe_id, check))})
        elif after == "failed" and was != "failed":
            drift.newly_failing.append({**entry, "message": messages.get((probe_id, check))})
        elif after == "passed" and was == "failed":
            drift.newly_passing.append(entry)


def _shapes(drift: Drift, probe_id: str, pa: dict[str, Any], pb: dict[str, Any]) -> None:
    sa, sb = pa.get("shape") or {}, pb.get("shape") or {}
    if not sa or not sb:
        return  # no body on one side (not sent, transport error): nothing to compare
    for path in sorted(set(sa) | set(sb)):
        before, after = sa.get(path), sb.get(path)
        if before == after:
            continue
        change = "added" if before is None else "removed" if after is None else "retyped"
        drift.shape_changes.append(
            {"probe": probe_id, "path": path, "change": change, "before": before, "after": after}
        )


def _usage(
    drift: Drift, probe_id: str, pa: dict[str, Any], pb: dict[str, Any], limits: Thresholds
) -> None:
    ua, ub = pa.get("usage"), pb.get("usage")
    if not isinstance(ua, dict) or not isinstance(ub, dict):
        return
    for name in USAGE_FIELDS:
        before, after = ua.get(name), ub.get(name)
        if not isinstance(before, int) or not isinstance(after, int):
            continue
        delta = after - before
        if abs(delta) >= limits.usage_min and abs(delta) > limits.usage * max(before, 1):
            drift.usage_changes.append(
                {"probe": probe_id, "field": name, "before": before, "after": after}
            )


def _latency(
    drift: Drift, probes_a: list[dict[str, Any]], probes_b: list[dict[str, Any]], limits: Thresholds
) -> None:
    ma, mb = _medians(probes_a), _medians(probes_b)
    for area in sorted(set(ma) & set(mb)):
        before, after = ma[area], mb[area]
        if before > 0 and abs(after - before) > limits.latency * before:
            drift.latency_changes.append(
                {"area": area, "metric": "median elapsed_s", "before": before, "after": after}
            )


def _medians(probes: list[dict[str, Any]]) -> dict[str, float]:
    by_area: dict[str, list[float]] = {}
    for probe in probes:
        elapsed = probe.get("elapsed_s")
        if isinstance(elapsed, int | float) and not isinstance(elapsed, bool):
            by_area.setdefault(str(probe.get("area", "")), []).append(float(elapsed))
    return {area: round(statistics.median(values), 4) for area, values in by_area.items()}


def _probes(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(p["id"]): p for p in _list(summary, "probes") if isinstance(p, dict) and "id" in p}


def _list(summary: dict[str, Any], key: str) -> list[Any]:
    value = summary.get(key)
    return value if isinstance(value, list) else []


def _header(summary: dict[str, Any]) -> dict[str, Any]:
    keys = ("provider", "model", "base_url", "mode", "started", "counts")
    return {key: summary.get(key) for key in keys}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SummaryError(f"{path}: {error.strerror or error}") from None
    except ValueError as error:
        raise SummaryError(f"{path}: not JSON ({error})") from None
    if not isinstance(data, dict):
        raise SummaryError(f"{path}: expected a JSON object")
    return data
