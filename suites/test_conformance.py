"""The conformance suite: one test per (provider, probe) the planner derives from a contract.

Deliberately thin: what to send comes from ``chatconform.engine.planner``, the verdict from
the registered checks, reporting from ``chatconform.plugin``. Run it with
``chatconform run --provider ID`` or ``pytest suites --provider ID``.
"""

from __future__ import annotations

import pytest

from chatconform.plugin import parametrize_cases
from chatconform.report.session import ChatconformSession
from chatconform.report.settings import Case


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    parametrize_cases(metafunc)


@pytest.mark.usefixtures("chatconform_recorder")
def test_probe(chatconform_case: Case, chatconform_session: ChatconformSession) -> None:
    """Send the probe; fail with every failed check, skip when no check could decide."""
    chatconform_session.run_case(chatconform_case)
