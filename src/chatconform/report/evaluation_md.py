"""The evaluation as Markdown: one file that a code host renders (GitHub, GitLab).

Tables for the side-by-side parts, fenced blocks for messages and requests, and
``<details>`` for the bulky reproductions, which both hosts render without scripts.
Text from a provider goes into fenced blocks or escaped cells only, so a response body
can neither break a table nor smuggle HTML into the page.
"""

from __future__ import annotations

import re

from chatconform.report.evaluation import (
    Column,
    Evaluation,
    cell_state,
    seconds,
    timing_note,
)
from chatconform.report.evaluation_findings import FailedRule, request_text, response_text
from chatconform.report.summary import STATUSES

MARKS = {"failed": "❌", "warned": "⚠️", "passed": "✅", "skipped": "⏭️", "none": "—"}
PROBES_SHOWN = 3


def render_markdown(evaluation: Evaluation, version: str) -> str:
    """The whole report; ``version`` is the chatconform that wrote the report."""
    out: list[str] = [f"# Vendor evaluation: {', '.join(c.label for c in evaluation.columns)}", ""]
    out += _header(evaluation, version)
    out += _glance(evaluation)
    out += _matrix(evaluation)
    out += _latency(evaluation)
    for column in evaluation.columns:
        out += _provider(column)
    return "\n".join(out).rstrip() + "\n"


def cell(text: object) -> str:
    """``text`` safe inside a table cell: no pipe, no newline, no raw HTML."""
    value = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value.replace("|", "\\|").replace("\n", "<br>")


def code(text: str) -> str:
    """Inline code that survives backticks inside ``text``."""
    ticks = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def fence(text: str, lang: str = "text") -> list[str]:
    """A fenced block longer than any backtick run in ``text``."""
    ticks = "`" * max(3, max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    return [f"{ticks}{lang}", text, ticks, ""]


def _header(evaluation: Evaluation, version: str) -> list[str]:
    runs = list(dict.fromkeys(c.run_id for c in evaluation.columns))
    written = ", ".join(evaluation.versions) or "unknown"
    return [
        "| | |",
        "|---|---|",
        f"| Runs | {cell(', '.join(runs))} |",
        f"| When | {cell(evaluation.started)} to {cell(evaluation.finished)} (UTC) |",
        f"| Mode | {cell(', '.join(evaluation.modes))} |",
        f"| chatconform | runs by {cell(written)}; report by {cell(version)} |",
        "",
        "Failures break a rule a vendor page or the OpenAI-compatible baseline states. "
        "Observations break no stated rule; they are listed apart and never count as failures.",
        "",
    ]


def _glance(evaluation: Evaluation) -> list[str]:
    out = [
        "## At a glance",
        "",
        "| provider | model | base URL | mode | failed rules | observations "
        "| requests | prompt tokens | completion tokens |",
        "|---|---|---|---|--:|--:|--:|--:|--:|",
    ]
    for c in evaluation.columns:
        failed = f"❌ {len(c.failures)}" if c.failures else "✅ 0"
        url = code(c.base_url).replace("|", "\\|")  # a pipe ends a cell even in code
        out.append(
            f"| {cell(c.label)} | {cell(c.model)} | {url} "
            f"| {cell(c.mode)} "
            f"| {failed} | {len(c.observations)} | {c.requests} | {c.prompt_tokens} "
            f"| {c.completion_tokens} |"
        )
    return [*out, ""]


def _counts(counts: dict[str, int] | None) -> str:
    state = cell_state(counts)
    if counts is None or state == "none":
        return MARKS["none"]
    figures = " · ".join(
        f"**{counts[s]}**" if s == "failed" and counts[s] else str(counts[s]) for s in STATUSES
    )
    return f"{MARKS[state]} {figures}"


def _matrix(evaluation: Evaluation) -> list[str]:
    columns = evaluation.columns
    out = [
        "## Matrix: area × provider",
        "",
        "Check outcomes per cell: passed · failed · skipped · warned. "
        "❌ a check failed, ⚠️ warned only, ✅ passed, ⏭️ skipped only, — not run.",
        "",
        "| area | " + " | ".join(cell(c.label) for c in columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for area in evaluation.areas:
        row = " | ".join(_counts(c.matrix.get(area)) for c in columns)
        out.append(f"| {cell(area)} | {row} |")
    out.append("| **total** | " + " | ".join(_counts(c.counts) for c in columns) + " |")
    return [*out, ""]


def _latency(evaluation: Evaluation) -> list[str]:
    columns = evaluation.columns
    out = [
        "## Latency",
        "",
        "Time per request, median / p95 (probes measured), live runs only.",
        "",
        "| area | " + " | ".join(cell(c.label) for c in columns) + " |",
        "|---|" + "--:|" * len(columns),
    ]
    for area in evaluation.areas:
        cells = []
        for c in columns:
            stat = (c.latency or {}).get(area)
            if not c.timed:
                cells.append(cell(timing_note(c)))
            elif stat is None:
                cells.append(MARKS["none"])
            else:
                cells.append(f"{seconds(stat.median)} / {seconds(stat.p95)} ({stat.count})")
        out.append(f"| {cell(area)} | " + " | ".join(cells) + " |")
    return [*out, ""]


def _provider(column: Column) -> list[str]:
    out = [
        f"## {column.label}",
        "",
        f"Model {code(column.model)} at {code(column.base_url)}, {cell(column.mode)} run "
        f"{code(column.run_id)} from {cell(column.started)} to {cell(column.finished)}, "
        f"chatconform {cell(column.version or 'unknown')}.",
        "",
        f"Cost: {column.requests} requests, {column.prompt_tokens} prompt tokens, "
        f"{column.completion_tokens} completion tokens."
        + (f" Latency: {cell(timing_note(column))}." if not column.timed else ""),
        "",
    ]
    for reason, count in sorted(column.not_sent.items()):
        out += [f"Not sent: {count} probe(s), {cell(reason)}.", ""]
    if column.no_response:
        out += [f"No response (transport error): {column.no_response} probe(s).", ""]
    out += [f"### Failed rules ({len(column.failures)})", ""]
    if not column.failures:
        out += ["No stated rule was broken.", ""]
    area = None
    for failure in column.failures:
        if failure.area != area:
            area = failure.area
            out += [f"#### {cell(area)}", ""]
        out += _failure(failure)
    out += _observations(column)
    return out


def _failure(failure: FailedRule) -> list[str]:
    probes = failure.probes[:PROBES_SHOWN]
    more = len(failure.probes) - len(probes)
    out = [
        f"- **Rule {code(failure.rule or '(unnamed)')}**, found by check {code(failure.check)} "
        f"on {len(failure.probes)} probe(s): "
        + ", ".join(code(p) for p in probes)
        + (f" and {more} more" if more > 0 else ""),
        "",
    ]
    for cite in failure.citations:
        where = " · ".join(cell(x) for x in (cite["vendor"], cite["page"]) if x)
        field = f", field {code(cite['field'])}" if cite["field"] else ""
        quote = f": “{cell(cite['quote'])}”" if cite["quote"] else ""
        out += [f"  > {where}{field}{quote}", ""]
    out += _indent(fence(failure.message))
    out += [
        "  <details><summary>Minimal request and response</summary>",
        "",
        *_indent(fence(request_text(failure.request), "http")),
        *_indent(fence(response_text(failure.response), "http")),
        "  </details>",
        "",
    ]
    return out


def _observations(column: Column) -> list[str]:
    out = [f"### Observations ({len(column.observations)}, not failures)", ""]
    if not column.observations:
        return [*out, "None.", ""]
    out += ["| kind | observation | probes |", "|---|---|--:|"]
    for group in column.observations:
        out.append(f"| {cell(group.kind)} | {cell(group.message)} | {len(group.probes)} |")
    return [*out, ""]


def _indent(lines: list[str]) -> list[str]:
    return [("  " + line.replace("\n", "\n  ")) if line else "" for line in lines]
