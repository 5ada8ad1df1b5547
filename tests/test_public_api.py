"""The public API is what ``chatconform.__all__`` names, and every name there exists."""

import chatconform


def test_all_names_exist() -> None:
    missing = [name for name in chatconform.__all__ if not hasattr(chatconform, name)]
    assert missing == []


def test_all_is_sorted_and_unique() -> None:
    assert list(chatconform.__all__) == sorted(set(chatconform.__all__))


def test_public_callables_are_documented() -> None:
    undocumented = [
        name
        for name in chatconform.__all__
        if callable(getattr(chatconform, name)) and not getattr(chatconform, name).__doc__
    ]
    assert undocumented == []
