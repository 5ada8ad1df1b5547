"""Keep the peer tests out of the default run: they start a real model server.

The default ``addopts`` already deselect ``peer``; this covers every other way in (``-m
""``, a ``-m`` of one's own, a node id): items marked ``peer`` run only when the ``-m``
expression names ``peer`` (``tox -e peer``) or ``CHATCONFORM_PEER=1`` is set, and are
otherwise skipped with the reason rather than silently passing.
"""

from __future__ import annotations

import os

import pytest

ENABLE_ENV = "CHATCONFORM_PEER"


def peer_selected(config: pytest.Config) -> bool:
    """Whether this session asked for the peer tests."""
    markexpr = str(config.getoption("markexpr", default="") or "")
    return "peer" in markexpr.replace("not peer", "") or os.environ.get(ENABLE_ENV) == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if peer_selected(config):
        return
    skip = pytest.mark.skip(
        reason=f"starts a llama.cpp server: select with -m peer or set {ENABLE_ENV}=1"
    )
    for item in items:
        if item.get_closest_marker("peer") is not None:
            item.add_marker(skip)
