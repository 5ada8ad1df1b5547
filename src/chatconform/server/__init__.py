"""The reference server: a contract-faithful local endpoint, and its fault catalogue.

``ReferenceServer(contract)`` answers ``POST /chat/completions`` and ``GET /models`` the
way the contract says a conformant endpoint does; ``transport(server)`` reaches it
in-process through httpx, ``run_http(server)`` on a loopback port. ``fault=NAME`` serves
one catalogue fault (``fault_names()``) so the harness can be shown to catch it.
"""

from __future__ import annotations

from chatconform.server.adapters import RunningServer, is_loopback, run_http, transport
from chatconform.server.core import ReferenceServer, ServerResponse
from chatconform.server.faults import (
    Fault,
    Trigger,
    UnknownFault,
    all_faults,
    fault_names,
    faults_for,
    get_fault,
)

__all__ = [
    "Fault",
    "ReferenceServer",
    "RunningServer",
    "ServerResponse",
    "Trigger",
    "UnknownFault",
    "all_faults",
    "fault_names",
    "faults_for",
    "get_fault",
    "is_loopback",
    "run_http",
    "transport",
]
