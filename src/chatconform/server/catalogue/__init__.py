"""The fault catalogue's entries, one module per area (types and lookup in ``faults.py``)."""

from __future__ import annotations


def load() -> None:
    """Register every area's faults (called once, on first catalogue access)."""
    from chatconform.server.catalogue import errors, requests, responses, semantics, streams

    for module in (requests, errors, responses, streams, semantics):
        module.register_all()
