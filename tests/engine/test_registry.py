"""The check registry refuses a second function under a taken name."""

import pytest

import chatconform.checks  # noqa: F401  (registers the built-in checks before any patching)
from chatconform.engine import registry
from chatconform.engine.exchange import Exchange
from chatconform.engine.registry import CheckContext, all_checks, check, get_check


def _never(ctx: CheckContext, exchange: Exchange) -> bool:
    return False


def test_duplicate_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))

    def invalid_request_rejected(ctx: CheckContext, exchange: Exchange) -> None:
        """A second check under a taken name."""

    list(all_checks())  # the built-in checks are registered
    with pytest.raises(ValueError, match="registered twice"):
        check(area="x", enforces=("x/*",), citation="x", applies=_never)(invalid_request_rejected)


def test_same_function_registered_again_replaces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_REGISTRY", {})

    def probe_check(ctx: CheckContext, exchange: Exchange) -> None:
        """Registered twice, as a re-import does."""

    decorate = check(area="x", enforces=("x/*",), citation="x", applies=_never)
    decorate(probe_check)
    decorate(probe_check)
    assert list(registry._REGISTRY) == ["probe_check"]


def test_unknown_check_lists_known_names() -> None:
    with pytest.raises(KeyError, match="invalid_request_rejected"):
        get_check("no_such_check")


def test_every_check_cites_and_enforces_something() -> None:
    for chk in all_checks():
        assert chk.citation, chk.name
        assert chk.enforces, chk.name
        assert chk.doc, f"{chk.name} has no docstring"
