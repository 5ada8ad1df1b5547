"""The matrix runner itself: what counts as caught, how a run is classed, what it prints.

A matrix that called every failure a catch would prove nothing, so the verdict logic is
tested on hand-made outcomes first, then on small real runs (one contract, a few faults).
"""

from __future__ import annotations

import json
from pathlib import Path

from chatconform.contracts import load_contract
from chatconform.engine.evaluate import Outcome
from chatconform.engine.matrix import (
    FAITHFUL,
    Failure,
    MatrixResult,
    PairResult,
    right_checks,
    run_matrix,
    run_pair,
)
from chatconform.server import Fault, Trigger, get_fault

QWEN = "powertokens-qwen"  # the smallest plan: the quickest real runs


def _failed(check: str, rule: str) -> Outcome:
    return Outcome("p", check, "failed", rule, "", "boom")


def test_the_check_enforcing_the_broken_rule_catches() -> None:
    contract, fault = load_contract(QWEN), get_fault("stream_done_missing")
    assert fault.rule_ids(contract) == ["stream/done-last"]
    caught = right_checks(contract, fault, [_failed("stream_done_last", "stream/done-last")])
    assert caught == ("stream_done_last",)


def test_an_unrelated_check_does_not_catch() -> None:
    contract, fault = load_contract(QWEN), get_fault("stream_done_missing")
    unrelated = [_failed("stream_framing", "stream/framing"), _failed("response_id", "x")]
    assert right_checks(contract, fault, unrelated) == ()


def test_a_failure_naming_the_faults_precise_rule_catches() -> None:
    # A fault's first alternative may be more precise than any rule the contract states
    # (``response/id*|response/schema`` on a contract without field-level response
    # rules): a failure naming a rule of that alternative, from a check enforcing it,
    # is the right check.
    contract = load_contract(QWEN)
    fault = Fault(
        "synthetic",
        "response/id/never-stated*|stream/framing",
        "response",
        "a precise alternative no contract states",
        lambda c: Trigger(),
    )
    assert fault.rule_ids(contract) == ["stream/framing"]
    right = _failed("response_id", "response/id/never-stated-kind")
    wrong_rule = _failed("message_role", "response/choices[].message.role/const")
    assert right_checks(contract, fault, [right, wrong_rule]) == ("response_id",)
    # Naming the rule is not enough: the check must enforce it.
    named_by_other = _failed("message_role", "response/id/never-stated-kind")
    assert right_checks(contract, fault, [named_by_other]) == ()


def _result(
    fault: str, failures: tuple[Failure, ...] = (), caught: tuple[str, ...] = ()
) -> PairResult:
    return PairResult(
        QWEN, fault, ("r",) if caught or fault != FAITHFUL else (), failures, caught, 10, 0.1
    )


def test_status_of_each_kind_of_run() -> None:
    boom = (Failure("p", "c", "r", "m"),)
    assert _result(FAITHFUL).status == "clean"
    assert _result(FAITHFUL, boom).status == "false-positive"
    assert _result("f", boom, ("c",)).status == "caught"
    assert _result("f", boom).status == "wrong-check"
    assert _result("f").status == "missed"
    broken = PairResult(QWEN, "f", (), (), (), 0, 0.1, error="TypeError: x")
    assert broken.status == "error"


def test_table_and_problems_show_every_miss() -> None:
    boom = (Failure("positive/minimal", "stream_framing", "stream/framing", "Bad frame\n  x"),)
    result = MatrixResult(
        faithful=(_result(FAITHFUL, boom),),
        pairs=(_result("caught_fault", boom, ("stream_framing",)), _result("missed_fault")),
        seconds=1.5,
    )
    assert not result.ok and result.caught_pct == 50.0
    table = result.table()
    assert "FALSE+" in table and "MISSED" in table and "caught" in table
    assert "caught by the right check 1/2 (50.0%), false positives 1" in table
    problems = result.problems()
    assert "missed_fault x powertokens-qwen: missed" in problems
    assert "stream_framing on positive/minimal [stream/framing]: Bad frame" in problems
    assert "caught_fault" not in problems


def test_faithful_run_is_clean(tmp_path: Path) -> None:
    result = run_pair(QWEN, report_dir=tmp_path)
    assert result.status == "clean", result.failures[:3]
    summary = json.loads(Path(result.summary).read_text(encoding="utf-8"))
    assert summary["counts"]["failed"] == 0 and len(summary["probes"]) == result.probes


def test_faulty_run_is_caught_and_the_summary_names_the_check(tmp_path: Path) -> None:
    result = run_pair(QWEN, "stream_done_missing", report_dir=tmp_path)
    assert result.caught_by == ("stream_done_last",)
    summary = json.loads(Path(result.summary).read_text(encoding="utf-8"))
    assert "stream_done_last" in {f["check"] for f in summary["failures"]}
    assert "chatconform-matrix-key" not in Path(result.summary).read_text(encoding="utf-8")


def test_reusing_faithful_outcomes_changes_no_verdict() -> None:
    for fault in ("stream_done_missing", "accepts_wrong_type", "seed_ignored"):
        reused, fresh = run_pair(QWEN, fault), run_pair(QWEN, fault, reuse=False)
        assert reused.failures == fresh.failures and reused.caught_by == fresh.caught_by


def test_a_broken_run_is_an_entry_not_a_crash() -> None:
    # json_schema_ignored breaks a rule the Qwen page does not state: the server refuses it.
    result = run_pair(QWEN, "json_schema_ignored")
    assert result.status == "error" and "does not apply" in result.error


def test_run_matrix_selects_contracts_and_applicable_faults() -> None:
    result = run_matrix([QWEN], ["stream_done_missing", "json_schema_ignored"], processes=1)
    assert [r.contract for r in result.faithful] == [QWEN]
    assert [r.fault for r in result.pairs] == ["stream_done_missing"]  # the other: n/a
    assert result.ok and result.caught_pct == 100.0
