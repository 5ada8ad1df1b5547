"""OpenAPI export, documentation lint, rule trace and the `contracts` CLI verbs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate

from chatconform.cli import main
from chatconform.contracts import contract_ids, load_contract, validators_for
from chatconform.contracts.docs_lint import lint_docs
from chatconform.contracts.openapi import export_openapi
from chatconform.contracts.trace import Uncovered, trace, uncovered_statements


@pytest.mark.parametrize("cid", contract_ids())
def test_openapi_validates_and_loads_in_schemathesis(cid: str) -> None:
    doc = export_openapi(load_contract(cid))
    validate(doc)  # raises on an invalid OpenAPI 3.1 document
    schema = schemathesis.openapi.from_dict(doc)
    operation = schema[load_contract(cid).path]["POST"]
    stream = doc["paths"][load_contract(cid).path]["post"]["responses"]["200"]["content"]
    assert {"const": "[DONE]"} in stream["text/event-stream"]["schema"]["anyOf"]
    assert operation is not None


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
    def check(case: schemathesis.Case) -> None:
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
    expected = {
        ("anyfast/response.json", "/choices/0/index", "response/choices-index", "finding"),
        ("anyfast/response.json", "/choices/0/finish_reason", "response/schema", "finding"),
        ("anyfast/response.json", "/usage/total_tokens", "response/usage-sum", "finding"),
        ("anyfast/request.json", "/tools/0/type", "request/tools[].type/required", "finding"),
        ("powertokens-qwen/response.json", "/choices/0/message/role", "response/schema", "finding"),
        (
            "powertokens-qwen/response.json",
            "/choices/0/finish_reason",
            "response/schema",
            "finding",
        ),
        (
            "powertokens-qwen/response.json",
            "/choices/0/message/tool_calls/0/id",
            "response/schema",
            "finding",
        ),
        ("trinitydesk/request.json", "/model", "request/model/enum", "note"),
    }
    assert expected <= found
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
