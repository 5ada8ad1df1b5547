"""The output bound cheap requests carry: the one that actually bounds cost."""

import pytest

from chatconform.contracts import load_contract
from chatconform.engine._generate import budget_field


@pytest.mark.parametrize(
    ("contract_id", "field"),
    [
        # BytePlus: max_tokens counts the answer only, so it leaves reasoning unbounded.
        ("powertokens-byteplus", "max_completion_tokens"),
        # Elsewhere max_tokens bounds the whole output and is honoured most widely.
        ("openai-compatible", "max_tokens"),
        ("anyfast", "max_tokens"),
        ("trinitydesk", "max_tokens"),
        ("powertokens-qwen", "max_tokens"),
    ],
)
def test_budget_field(contract_id: str, field: str) -> None:
    assert budget_field(load_contract(contract_id)) == field
