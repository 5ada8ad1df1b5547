"""The loader: every bundled contract compiles; broken files fail with file, pointer, what."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

import chatconform.contracts as contracts
from chatconform.contracts import (
    ContractError,
    UnknownContract,
    contract_ids,
    load_contract,
    load_contract_file,
    validators_for,
)
from chatconform.contracts.loader import contracts_dir

RUNNABLE = [
    "anyfast",
    "openai-compatible",
    "powertokens-byteplus",
    "powertokens-qwen",
    "trinitydesk",
]


def test_all_is_honest() -> None:
    for name in contracts.__all__:
        assert hasattr(contracts, name), name


def test_ids() -> None:
    assert contract_ids() == RUNNABLE
    assert contract_ids(include_abstract=True) == sorted([*RUNNABLE, "baseline"])


@pytest.mark.parametrize("cid", RUNNABLE)
def test_compiles_with_cited_rules(cid: str) -> None:
    c = load_contract(cid)
    assert load_contract(cid) is c  # compiled once
    assert c.api_key_env and c.models.default and c.parent == "baseline"
    assert len({r.id for r in c.rules}) == len(c.rules)
    for rule in c.rules:
        assert rule.citation.quote, rule.id
        assert rule.citation.source in {*c.sources, "baseline"}, rule.id
        assert rule.pointer.startswith("/") and rule.origin in (cid, "baseline"), rule.id


def test_key_variables_and_model_lists() -> None:
    env = {cid: load_contract(cid).api_key_env for cid in RUNNABLE}
    assert env == {
        "anyfast": "ANYFAST_API_KEY",
        "openai-compatible": "OPENAI_API_KEY",
        "powertokens-byteplus": "POWERTOKENS_API_KEY",
        "powertokens-qwen": "POWERTOKENS_API_KEY",
        "trinitydesk": "TRINITYDESK_API_KEY",
    }
    closed = {cid: load_contract(cid).models.closed for cid in RUNNABLE}
    assert closed == {
        "anyfast": True,
        "openai-compatible": False,
        "powertokens-byteplus": True,
        "powertokens-qwen": True,
        "trinitydesk": False,
    }
    assert len(load_contract("powertokens-byteplus").models.ids) == 8


def test_strengths_follow_the_page_wording() -> None:
    td = load_contract("trinitydesk")
    assert td.rule("request/temperature/maximum").strength == "advice"  # 常用 0~2
    assert td.rule("request/reasoning_effort/enum").strength == "open"  # ... 等
    assert td.rule("request/model/enum").strength == "open"  # 以 模型广场 ... 为准
    assert load_contract("anyfast").rule("request/temperature/maximum").strength == "hard"


def test_undocumented_baseline_fields_stay_but_are_marked() -> None:
    qwen = load_contract("powertokens-qwen")
    assert not qwen.fields["top_logprobs"].documented
    assert qwen.request_schema["properties"]["top_logprobs"]["x-documented"] is False
    assert not qwen.rule("request/top_logprobs/maximum").documented
    assert qwen.fields["seed"].documented and qwen.has_semantic("seed")
    assert not qwen.has_semantic("logprobs")  # Qwen's page does not document logprobs


def test_inherited_rule_keeps_the_baseline_citation() -> None:
    bp = load_contract("powertokens-byteplus")
    assert bp.rule("request/max_tokens/minimum").origin == "baseline"  # page gives no range
    assert bp.rule("request/temperature/maximum").citation.source == "powertokens-byteplus"
    assert bp.semantics["max_completion_tokens"]["overrides_max_tokens"] is True
    assert bp.semantics["max_tokens"]["counts"] == "answer"


def test_validators_are_built_once() -> None:
    c = load_contract("anyfast")
    assert validators_for(c) is validators_for(c)
    assert validators_for(c).request.is_valid(
        {"model": "doubao-seed-evolving", "messages": [{"role": "user", "content": "hi"}]}
    )


def test_unknown_contract_lists_the_known_ids() -> None:
    with pytest.raises(UnknownContract) as caught:
        load_contract("nope")
    assert "unknown contract 'nope'" in str(caught.value)
    assert "anyfast" in str(caught.value) and "trinitydesk" in str(caught.value)


def _write(tmp: Path, name: str, doc: dict[str, Any]) -> Path:
    path = tmp / f"{name}.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    return path


def _copy(tmp: Path, cid: str) -> dict[str, Any]:
    shutil.copy(contracts_dir() / f"{cid}.json", tmp / f"{cid}.json")
    return dict(json.loads((contracts_dir() / f"{cid}.json").read_text("utf-8")))


@pytest.mark.parametrize(
    ("edit", "pointer", "what"),
    [
        (
            lambda d: d["request"]["fields"]["temperature"].pop("cite"),
            "/request/fields/temperature",
            "'cite' is a required property",
        ),
        (lambda d: d["models"].update(closed="yes"), "/models/closed", "is not of type 'boolean'"),
        (lambda d: d.update(surprise=1), "/", "Additional properties are not allowed"),
        (
            lambda d: d["request"]["fields"]["top_p"]["cite"].update(source="nowhere"),
            "/request/fields/top_p/cite/source",
            "unknown source 'nowhere'",
        ),
        (
            lambda d: d["request"]["fields"]["top_p"]["schema"].update(minimum="zero"),
            "/request/fields/top_p/schema/minimum",
            "not a valid JSON Schema",
        ),
        (lambda d: d.update(extends="no-such-parent"), "/extends", "unknown contract"),
        (
            lambda d: d["models"].update(default="not-listed"),
            "/models/default",
            "not in the closed list",
        ),
    ],
)
def test_broken_contract_names_file_pointer_and_fault(
    tmp_path: Path, edit: Any, pointer: str, what: str
) -> None:
    doc = _copy(tmp_path, "anyfast")
    edit(doc)
    path = _write(tmp_path, "anyfast", doc)
    with pytest.raises(ContractError) as caught:
        load_contract_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {pointer}:"), message
    assert what in message


def test_not_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"id": "broken",\n  oops}', "utf-8")
    with pytest.raises(ContractError, match=r"broken\.json: /: not JSON: .* \(line 2"):
        load_contract_file(path)


def test_child_in_its_own_directory_inherits_from_the_bundled_baseline(tmp_path: Path) -> None:
    doc = _copy(tmp_path, "anyfast")
    doc["request"]["fields"]["top_p"]["schema"]["maximum"] = 0.5
    c = load_contract_file(_write(tmp_path, "anyfast", doc))
    assert c.rule("request/top_p/maximum").params == {"maximum": 0.5}
    assert c.rule("request/stop/maxItems").origin == "baseline"
