"""Allure wiring: filterable labels, per-check labels and request/response attachments.

Labels that ``--allure-label provider=X`` must be able to select have to be marks set
at collection (allure deselects on marks before any test runs; a label set from inside
the test is invisible to it), so provider and area go on the parameter; the check and
rule labels depend on the outcome and are set while the test runs. Every allure call is
a no-op when no ``--alluredir`` is given.
"""

from __future__ import annotations

import json
from typing import Any

import allure as _allure
import pytest

from chatconform.engine.runner import ProbeResult
from chatconform.report.redact import Scrubber
from chatconform.report.summary import request_record, response_excerpt

allure: Any = _allure  # allure-pytest ships no type hints


def label_marks(provider: str, area: str) -> list[pytest.MarkDecorator]:
    """Collection-time allure labels for a probe item (dropped if allure-pytest is absent)."""
    marks = [allure.label("provider", provider), allure.label("area", area)]
    return [m for m in marks if isinstance(m, pytest.MarkDecorator)]


def record_result(result: ProbeResult, scrubber: Scrubber) -> None:
    """Label the running test with its checks and rules; attach request and response."""
    allure.dynamic.title(result.probe.title or result.probe.id)
    allure.dynamic.parameter("probe", result.probe.id)
    for outcome in result.outcomes:
        if outcome.status in ("failed", "warned"):
            allure.dynamic.label("check", outcome.check)
            if outcome.rule:
                allure.dynamic.label("rule", outcome.rule)
    if result.probe.rule is not None:
        allure.dynamic.label("rule", result.probe.rule.id)
    if result.exchange is None:
        return
    _attach("request", request_record(result.exchange), scrubber)
    _attach("response", response_excerpt(result.exchange), scrubber)
    outcomes = {o.check: {"status": o.status, "rule": o.rule} for o in result.outcomes}
    _attach("outcomes", outcomes, scrubber)


def _attach(name: str, data: Any, scrubber: Scrubber) -> None:
    body = json.dumps(scrubber.data(data), ensure_ascii=False, indent=2)
    allure.attach(body, name=name, attachment_type=allure.attachment_type.JSON)
