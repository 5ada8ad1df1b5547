"""The evaluation as one self-contained HTML file: inline CSS, no script, no fetch.

The file is mailed around and opened from disk or an artefact store, often offline,
so it loads nothing: no stylesheet link, no script, no font, no image. Collapsible
reproductions use ``<details>``, which needs no JavaScript. Every string from a run is
escaped, so a response body cannot inject markup.
"""

from __future__ import annotations

from html import escape

from chatconform.report.evaluation import (
    Column,
    Evaluation,
    cell_state,
    seconds,
    timing_note,
)
from chatconform.report.evaluation_findings import FailedRule, request_text, response_text
from chatconform.report.summary import STATUSES

PROBES_SHOWN = 3
CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI","Noto Sans","Noto Sans CJK SC",
sans-serif;color:#1f2328;margin:0;background:#f6f8fa}
main{max-width:1200px;margin:0 auto;padding:24px 32px 48px;background:#fff}
h1{font-size:24px;margin:0 0 12px}h2{font-size:19px;margin:32px 0 10px;
border-bottom:1px solid #d0d7de;padding-bottom:4px}h3{font-size:16px;margin:20px 0 8px}
h4{font-size:14px;margin:16px 0 6px;color:#57606a;text-transform:uppercase;letter-spacing:.04em}
table{border-collapse:collapse;margin:6px 0 14px;font-variant-numeric:tabular-nums}
th,td{border:1px solid #d0d7de;padding:5px 9px;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}td.num{text-align:right}
code,pre{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
code{background:#eff1f3;padding:1px 4px;border-radius:4px;overflow-wrap:anywhere}
pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:10px;
overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere;margin:6px 0}
.cell{min-width:150px}.cell b{font-size:15px}.cell small{display:block;color:#57606a}
.failed{background:#ffebe9}.failed b{color:#cf222e}.warned{background:#fff8c5}
.passed{background:#dafbe1}.skipped,.none{background:#f6f8fa;color:#57606a}
.note{color:#57606a}.tag{display:inline-block;border-radius:10px;padding:0 8px;
font-size:12px;font-weight:600}.tag.failed{color:#cf222e}.tag.passed{color:#1a7f37}
.finding{border:1px solid #ffcecb;border-left:4px solid #cf222e;border-radius:6px;
padding:8px 12px;margin:10px 0}blockquote{margin:6px 0;padding:4px 10px;
border-left:3px solid #d0d7de;color:#424a53}details summary{cursor:pointer;color:#0969da}
.obs th:first-child{width:220px}td>code.id{white-space:nowrap}
"""


def render_html(evaluation: Evaluation, version: str) -> str:
    """The whole report; ``version`` is the chatconform that wrote the report."""
    labels = ", ".join(c.label for c in evaluation.columns)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Vendor evaluation: {escape(labels)}</title>",
        f"<style>{CSS}</style></head><body><main>",
        f"<h1>Vendor evaluation: {escape(labels)}</h1>",
        _header(evaluation, version),
        _glance(evaluation),
        _matrix(evaluation),
        _latency(evaluation),
        *(_provider(c) for c in evaluation.columns),
        "</main></body></html>",
    ]
    return "\n".join(parts) + "\n"


def _e(value: object) -> str:
    return escape(str(value))


def _code(value: object) -> str:
    return f"<code>{_e(value)}</code>"


def _header(evaluation: Evaluation, version: str) -> str:
    runs = ", ".join(dict.fromkeys(c.run_id for c in evaluation.columns))
    rows = [
        ("Runs", _e(runs)),
        ("When", f"{_e(evaluation.started)} to {_e(evaluation.finished)} (UTC)"),
        ("Mode", _e(", ".join(evaluation.modes))),
        (
            "chatconform",
            f"runs by {_e(', '.join(evaluation.versions) or 'unknown')}; report by {_e(version)}",
        ),
    ]
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return (
        f"<table>{body}</table><p class=note>Failures break a rule a vendor page or the "
        "OpenAI-compatible baseline states. Observations break no stated rule; they are "
        "listed apart and never count as failures.</p>"
    )


def _glance(evaluation: Evaluation) -> str:
    head = (
        "<tr><th>provider</th><th>model</th><th>base URL</th><th>mode</th><th>failed rules</th>"
        "<th>observations</th><th>requests</th><th>prompt tokens</th>"
        "<th>completion tokens</th></tr>"
    )
    rows = []
    for c in evaluation.columns:
        state = "failed" if c.failures else "passed"
        rows.append(
            f"<tr><td>{_e(c.label)}</td><td><code class=id>{_e(c.model)}</code></td>"
            f"<td>{_code(c.base_url)}</td>"
            f"<td>{_e(c.mode)}</td><td class='num {state}'><b>{len(c.failures)}</b></td>"
            f"<td class=num>{len(c.observations)}</td><td class=num>{c.requests}</td>"
            f"<td class=num>{c.prompt_tokens}</td><td class=num>{c.completion_tokens}</td></tr>"
        )
    return f"<h2>At a glance</h2><table>{head}{''.join(rows)}</table>"


def _cell(counts: dict[str, int] | None) -> str:
    state = cell_state(counts)
    if counts is None or state == "none":
        return "<td class='cell none'>not run</td>"
    # The headline is the verdict that matters (failures, else what passed); warned
    # outcomes are observations, so they colour the cell but do not take the headline.
    lead = "failed" if state == "failed" else "skipped" if state == "skipped" else "passed"
    rest = " · ".join(f"{counts[s]} {s}" for s in STATUSES)
    return f"<td class='cell {state}'><b>{counts[lead]} {lead}</b><small>{rest}</small></td>"


def _matrix(evaluation: Evaluation) -> str:
    columns = evaluation.columns
    head = "<tr><th>area</th>" + "".join(f"<th>{_e(c.label)}</th>" for c in columns) + "</tr>"
    rows = [
        f"<tr><th>{_e(area)}</th>" + "".join(_cell(c.matrix.get(area)) for c in columns) + "</tr>"
        for area in evaluation.areas
    ]
    rows.append("<tr><th>total</th>" + "".join(_cell(c.counts) for c in columns) + "</tr>")
    return (
        "<h2>Matrix: area × provider</h2><p class=note>Check outcomes per area; a cell is red "
        "when a check failed, yellow when one only warned (an observation), green when the "
        "rest passed.</p>"
        f"<table>{head}{''.join(rows)}</table>"
    )


def _latency(evaluation: Evaluation) -> str:
    columns = evaluation.columns
    head = "<tr><th>area</th>" + "".join(f"<th>{_e(c.label)}</th>" for c in columns) + "</tr>"
    rows = []
    for area in evaluation.areas:
        cells = []
        for c in columns:
            stat = (c.latency or {}).get(area)
            if not c.timed:
                cells.append(f"<td class=note>{_e(timing_note(c))}</td>")
            elif stat is None:
                cells.append("<td class=note>not run</td>")
            else:
                cells.append(
                    f"<td class=num>{seconds(stat.median)} / {seconds(stat.p95)} "
                    f"<span class=note>({stat.count})</span></td>"
                )
        rows.append(f"<tr><th>{_e(area)}</th>{''.join(cells)}</tr>")
    return (
        "<h2>Latency</h2><p class=note>Time per request, median / p95 (probes measured), "
        f"live runs only.</p><table>{head}{''.join(rows)}</table>"
    )


def _provider(column: Column) -> str:
    parts = [
        f"<h2 id='{_e(column.label)}'>{_e(column.label)}</h2>",
        f"<p>Model {_code(column.model)} at {_code(column.base_url)}, {_e(column.mode)} run "
        f"{_code(column.run_id)} from {_e(column.started)} to {_e(column.finished)}, "
        f"chatconform {_e(column.version or 'unknown')}.</p>",
        f"<p>Cost: {column.requests} requests, {column.prompt_tokens} prompt tokens, "
        f"{column.completion_tokens} completion tokens."
        + (f" Latency: {_e(timing_note(column))}." if not column.timed else "")
        + "</p>",
    ]
    for reason, count in sorted(column.not_sent.items()):
        parts.append(f"<p class=note>Not sent: {count} probe(s), {_e(reason)}.</p>")
    if column.no_response:
        parts.append(f"<p class=note>No response: {column.no_response} probe(s).</p>")
    parts.append(f"<h3>Failed rules ({len(column.failures)})</h3>")
    if not column.failures:
        parts.append("<p>No stated rule was broken.</p>")
    area = None
    for failure in column.failures:
        if failure.area != area:
            area = failure.area
            parts.append(f"<h4>{_e(area)}</h4>")
        parts.append(_failure(failure))
    parts.append(_observations(column))
    return "\n".join(parts)


def _failure(failure: FailedRule) -> str:
    probes = failure.probes[:PROBES_SHOWN]
    more = len(failure.probes) - len(probes)
    listed = ", ".join(_code(p) for p in probes) + (f" and {more} more" if more > 0 else "")
    cites = []
    for cite in failure.citations:
        where = " · ".join(_e(x) for x in (cite["vendor"], cite["page"]) if x)
        field = f", field {_code(cite['field'])}" if cite["field"] else ""
        quote = f": “{_e(cite['quote'])}”" if cite["quote"] else ""
        cites.append(f"<blockquote>{where}{field}{quote}</blockquote>")
    return (
        f"<div class=finding><div><b>Rule {_code(failure.rule or '(unnamed)')}</b>, found by "
        f"check {_code(failure.check)} on {len(failure.probes)} probe(s): {listed}</div>"
        f"{''.join(cites)}<pre>{_e(failure.message)}</pre>"
        "<details><summary>Minimal request and response</summary>"
        f"<div class=note>Request</div><pre>{_e(request_text(failure.request))}</pre>"
        f"<div class=note>Response</div><pre>{_e(response_text(failure.response))}</pre>"
        "</details></div>"
    )


def _observations(column: Column) -> str:
    title = f"<h3>Observations ({len(column.observations)}, not failures)</h3>"
    if not column.observations:
        return title + "<p>None.</p>"
    rows = "".join(
        f"<tr><td>{_e(g.kind)}</td><td>{_e(g.message)}</td><td class=num>{len(g.probes)}</td></tr>"
        for g in column.observations
    )
    head = "<tr><th>kind</th><th>observation</th><th>probes</th></tr>"
    return f"{title}<table class=obs>{head}{rows}</table>"
