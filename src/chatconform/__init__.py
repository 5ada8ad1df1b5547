"""chatconform: conformance and contract tests for OpenAI-compatible chat completions."""

from chatconform.contracts import contract_ids, load_contract
from chatconform.contracts.model import Citation, Contract, Rule
from chatconform.engine.evaluate import Outcome, evaluate
from chatconform.engine.exchange import Exchange, ReceivedResponse, SentRequest, SSEEvent
from chatconform.engine.failures import CheckFailed, CheckSkipped
from chatconform.engine.probe import Probe, RequestSpec
from chatconform.engine.registry import Check, CheckContext, all_checks, check

__version__ = "0.1.0"

__all__ = [
    "Check",
    "CheckContext",
    "CheckFailed",
    "CheckSkipped",
    "Citation",
    "Contract",
    "Exchange",
    "Outcome",
    "Probe",
    "ReceivedResponse",
    "RequestSpec",
    "Rule",
    "SSEEvent",
    "SentRequest",
    "__version__",
    "all_checks",
    "check",
    "contract_ids",
    "evaluate",
    "load_contract",
]
