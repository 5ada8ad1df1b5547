"""The schemathesis suite: schemathesis's positive and negative cases, judged twice.

Runs only with ``--area schemathesis``. Each case is drawn once with a fixed seed
(``--examples`` per mode and provider), sent like any other probe (same runner, budget,
cassettes and reports) and judged by every chatconform check plus schemathesis's own
response checks. See ``chatconform.engine.schemathesis_suite``.
"""

from __future__ import annotations

from typing import Any

import pytest

from chatconform.plugin import SESSION
from chatconform.report.session import ChatconformSession
from chatconform.report.settings import Case

CASE_ARG = "chatconform_case"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if CASE_ARG not in metafunc.fixturenames:
        return
    session = metafunc.config.stash.get(SESSION, None)
    areas = session.settings.areas if session is not None else None
    if session is None or not areas or "schemathesis" not in areas:
        skip = pytest.mark.skip(reason="schemathesis runs only with --area schemathesis")
        metafunc.parametrize(CASE_ARG, [pytest.param(None, marks=skip, id="not-selected")])
        return
    metafunc.parametrize(CASE_ARG, _params(session))


def _params(session: ChatconformSession) -> list[Any]:
    from chatconform.engine.schemathesis_suite import MODES, cases, probe_for

    params = []
    for provider in session.settings.providers:
        contract = session.contracts[provider]
        model = session.runs[provider].model
        for mode in MODES:
            drawn = cases(contract, model=model, examples=session.settings.examples, mode=mode)
            for index, case in enumerate(drawn):
                probe = probe_for(contract, case, index=index, mode=mode)
                params.append(session.param(provider, probe))
    return params


@pytest.mark.usefixtures("chatconform_recorder")
def test_case(chatconform_case: Case, chatconform_session: ChatconformSession) -> None:
    """Send the case; fail with every failed check (chatconform's and schemathesis's)."""
    chatconform_session.run_case(chatconform_case)
