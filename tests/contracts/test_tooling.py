"""OpenAPI export, documentation lint, rule trace and the `contracts` CLI verbs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate

from chatconform.cli import main
from chatconform.contracts import contract_ids, load_contract, validators_for
from chatconform.contracts import trace as trace_module
from chatconform.contracts.docs_lint import lint_docs
from chatconform.contracts.openapi import export_openapi
from chatconform.contracts.trace import Uncovered, trace, uncovered_statements


def test_schemathesis_positive_cases_are_valid_requests() -> None:
    contract = load_contract("trinitydesk")
    operation = schemathesis.openapi.from_dict(export_openapi(contract))["/chat/completions"][
        "POST"
    ]
    validator = validators_for(contract).request

    @settings(
        max_examples=8,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        assert validator.is_valid(case.body), case.body

    check()


def test_openapi_carries_the_header_rule() -> None:
    doc = export_openapi(load_contract("trinitydesk"))
    [param] = [
        p
        for p in doc["paths"]["/chat/completions"]["post"]["parameters"]
        if p["name"] == "X-Request-Id"
    ]
    assert param["schema"]["maxLength"] == 128


def test_lint_docs_finds_the_known_documentation_findings() -> None:
    found = {(f.example, f.pointer, f.rule, f.severity) for f in lint_docs()}
    anyfast, qwen = "anyfast/response.json", "powertokens-qwen/response.json"
    expected = {
        (anyfast, "/choices/0/index", "response/choices-index", "finding"),
        (
            anyfast,
            "/choices/0/finish_reason",
            "response/choices[].finish_reason/required",
            "finding",
        ),
        (anyfast, "/usage/total_tokens", "response/usage-sum", "finding"),
        (anyfast, "/created", "response/created/minimum", "finding"),  # "created": 123
        ("anyfast/request.json", "/tools/0/type", "request/tools[].type/required", "finding"),
        (qwen, "/choices/0/message/role", "response/choices[].message.role/const", "finding"),
        (qwen, "/choices/0/finish_reason", "response/choices[].finish_reason/enum", "finding"),
        (
            qwen,
            "/choices/0/message/tool_calls/0/id",
            "response/choices[].message.tool_calls[].id/required",
            "finding",
        ),
        ("trinitydesk/request.json", "/model", "request/model/enum", "note"),
    }
    assert expected <= found
    # Every finding names a rule of its page's contract, the precise one where derived.
    for f in lint_docs():
        assert f.rule in {r.id for r in load_contract(f.contract).rules}, f
    assert not any(f.rule == "response/schema" for f in lint_docs())
    assert not any(f.example.startswith("powertokens-byteplus/") for f in lint_docs())


def test_lint_docs_cli_writes_the_report_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["contracts", "lint-docs", "--report-dir", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "lint-docs.json").read_text("utf-8"))
    assert report["counts"]["finding"] >= 8 and report["counts"]["note"] >= 1
    assert "choices[0].index is 123, expected 0" in capsys.readouterr().out


def test_trace_has_no_uncovered_statement(capsys: pytest.CaptureFixture[str]) -> None:
    assert uncovered_statements() == []
    assert main(["contracts", "trace"]) == 0
    out = capsys.readouterr().out
    assert "0 page statements without a contract rule" in out
    assert "/request/fields/temperature/schema/maximum" in out


def _arrows(lines: list[str]) -> list[tuple[str, str]]:
    """(pointer, checks) of each ``pointer -> checks`` line of a trace."""
    return [
        (left.strip(), right) for left, _, right in (ln.partition(" -> ") for ln in lines) if right
    ]


def test_trace_shows_response_and_stream_rules_with_their_checks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["contracts", "trace", "anyfast"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    at = lines.index("  response/created/maximum  (baseline#Non-streamed response, from baseline)")
    rows = {pointer: set(names.split(", ")) for pointer, names in _arrows(lines)}
    assert lines[at + 1].strip().startswith("/response/completion/properties/created/maximum ->")
    assert rows["/response/completion/properties/created/maximum"] == {
        "response_schema",
        "response_created",
        "schemathesis_conformance",
    }
    assert "stream_chunk_schema" in rows["/response/$defs/delta/properties/role/enum"]
    assert "/response/extras/usage/prompt_tokens_details/properties/cached_tokens/type" in out


def test_trace_ends_with_one_line_of_totals(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contracts", "trace", "trinitydesk"]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    contract = load_contract("trinitydesk")
    statements = json.loads(
        (Path(__file__).parents[2] / "contracts" / "statements" / "trinitydesk.json").read_text(
            "utf-8"
        )
    )["statements"]
    rules = len(contract.rules)
    assert last.startswith(f"{rules} rules, ")
    assert last.endswith(f"; {len(statements)}/{len(statements)} page statements held by a rule")
    enforced = int(last.split(", ")[1].split()[0])
    assert enforced == rules  # every rule trinitydesk states has a check enforcing it


def test_every_rule_of_every_contract_is_enforced(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contracts", "trace", "--uncovered"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line for line in out if "rule(s) no check enforces" in line] == [
        f"{cid}: 0 rule(s) no check enforces" for cid in contract_ids()
    ]
    assert out[-2] == "0 page statements without a contract rule"
    rules, enforced = (int(part.split()[0]) for part in out[-1].split(";")[0].split(", "))
    assert rules == enforced > 0


def test_trace_uncovered_lists_only_unenforced_rules(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Every rule has a check today: take two checks away to see what --uncovered shows.
    from chatconform.engine import registry, schemathesis_suite  # noqa: F401  (its check too)

    kept = list(registry.all_checks())
    dropped = {"request_id_header_enforced", "stream_include_usage"}
    monkeypatch.setattr(
        registry, "all_checks", lambda: iter(c for c in kept if c.name not in dropped)
    )
    assert main(["contracts", "trace", "trinitydesk", "--uncovered"]) == 0
    out = capsys.readouterr().out
    rules = len(load_contract("trinitydesk").rules)
    assert "trinitydesk: 2 rule(s) no check enforces" in out
    assert out.count(" -> -") == 2
    assert "semantic/request_id_header" in out and "semantic/include_usage" in out
    assert "response/created" not in out
    assert out.splitlines()[-1].startswith(f"{rules} rules, {rules - 2} enforced by a check")


def test_trace_exits_1_on_a_statement_without_a_rule(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = {
        "source": "anyfast",
        "contract": "anyfast",
        "statements": [
            {"field": "x", "quote": "held", "rules": ["request/temperature/maximum"]},
            {"field": "y", "quote": "unheld", "rules": ["request/nope/enum"]},
        ],
    }
    monkeypatch.setattr(trace_module, "load_statements", lambda: [inventory])
    assert main(["contracts", "trace", "anyfast"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert "UNCOVERED anyfast · y: 'unheld' (unknown rule ids: request/nope/enum)" in lines
    assert lines[-1].endswith("; 1/2 page statements held by a rule")


def test_trace_reports_a_statement_without_a_rule() -> None:
    inventory = [
        {
            "source": "anyfast",
            "contract": "anyfast",
            "statements": [
                {"field": "x", "quote": "a statement", "rules": []},
                {"field": "y", "quote": "another", "rules": ["request/nope/enum"]},
            ],
        }
    ]
    missing = uncovered_statements(inventory)
    assert missing == [
        Uncovered("anyfast", "x", "a statement", "no rule ids"),
        Uncovered("anyfast", "y", "another", "unknown rule ids: request/nope/enum"),
    ]


def test_trace_rows_list_covering_checks() -> None:
    contract = load_contract("anyfast")
    rows = trace(contract, lambda rule: ["a_check"] if rule.area == "stream" else [])
    assert {r.checks for r in rows if r.rule.area == "stream"} == {("a_check",)}


def test_every_statement_inventory_entry_names_existing_rules() -> None:
    for cid in ("powertokens-byteplus", "anyfast", "trinitydesk", "powertokens-qwen"):
        path = Path(__file__).parents[2] / "contracts" / "statements" / f"{cid}.json"
        data = json.loads(path.read_text("utf-8"))
        assert data["statements"], cid
        ids = {r.id for r in load_contract(cid).rules}
        for entry in data["statements"]:
            assert set(entry["rules"]) <= ids, entry


def test_cli_list_show_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contracts", "list"]) == 0
    assert "TRINITYDESK_API_KEY" in capsys.readouterr().out
    assert main(["contracts", "show", "trinitydesk"]) == 0
    out = capsys.readouterr().out
    assert "request/temperature/maximum [advice]" in out
    out_file = tmp_path / "anyfast.openapi.json"
    assert main(["contracts", "export-openapi", "anyfast", "-o", str(out_file)]) == 0
    validate(json.loads(out_file.read_text("utf-8")))


def test_cli_unknown_id_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contracts", "show", "nope"]) == 2
    assert "known: anyfast" in capsys.readouterr().err


@given(st.sampled_from(contract_ids()))
@settings(max_examples=5, deadline=None, database=None)
def test_compiled_schemas_are_valid_draft_2020_12(cid: str) -> None:
    from jsonschema import Draft202012Validator

    c = load_contract(cid)
    for schema in (c.request_schema, c.response_schema, c.chunk_schema, c.error_schema):
        Draft202012Validator.check_schema(schema)
