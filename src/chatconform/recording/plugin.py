"""The pytest side of cassettes: record a probe's exchange or replay it offline.

``chatconform.plugin`` imports this module when ``--mode`` is ``record`` or ``replay``
and sends each probe inside the context manager returned by
``pytest_chatconform_recorder``. One cassette per probe (``layout.py``), vcrpy
configured by ``config.py``, pytest-recording's options honoured: ``--record-mode``
(``record`` defaults to ``rewrite``, ``replay`` forces ``none``) and ``--block-network``
(forced on by ``replay``, so a request missing from a cassette can never go live). When
pytest-recording's plugin is not loaded (``chatconform run --mode replay`` leaves it out
for speed), the network guard is applied here, around each probe.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest
import pytest_recording.plugin
from pytest_recording.network import blocking_context
from vcr import VCR
from vcr.cassette import Cassette
from vcr.errors import CannotOverwriteExistingCassetteException

from chatconform.engine.probe import Probe
from chatconform.recording import layout
from chatconform.recording.config import MATCHER_NAME, Volatile, make_matcher, vcr_config
from chatconform.recording.manifest import (
    RECORD_HINT,
    ManifestError,
    SourceKind,
    new_manifest,
    read_manifest,
    source_kind,
    write_manifest,
)

Mode = Literal["record", "replay"]
CASSETTE_DIR_ENV = "CHATCONFORM_CASSETTE_DIR"


@dataclass
class RecordingState:
    """What this session records or replays; kept in ``config.stash``."""

    mode: Mode
    root: Path
    record_mode: str
    volatile: Volatile = field(default_factory=Volatile)
    kind: SourceKind | None = None  # None: guessed from each base URL (``kind_of``)
    # (provider, model) -> [base_url, kind, probes recorded]
    recorded: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    missed: set[str] = field(default_factory=set)  # cassette paths a request missed
    vcr: VCR | None = None  # built once per session (see ``_vcr``)
    config: dict[str, Any] = field(default_factory=vcr_config)


STATE = pytest.StashKey[RecordingState]()


def activate(
    config: pytest.Config,
    mode: Mode,
    *,
    cassette_dir: Path | None = None,
    volatile: Volatile | None = None,
    kind: SourceKind | None = None,
) -> RecordingState:
    """Set pytest-recording's options for ``mode`` and remember the session's state.

    The cassette root is ``cassette_dir``, else ``$CHATCONFORM_CASSETTE_DIR``, else the
    bundled ``cassettes/``. ``kind`` names what a record run records from when the base
    URL cannot tell (a reference server on a loopback port). Calling it twice returns
    the first state.
    """
    existing = config.stash.get(STATE, None)
    if existing is not None:
        return existing
    chosen = config.getoption("record_mode", default=None)
    if mode == "replay":
        if chosen not in (None, "none"):
            raise pytest.UsageError(
                f"--mode replay never records; --record-mode {chosen} contradicts it"
            )
        config.option.record_mode = "none"
        config.option.block_network = True
    elif chosen is None or chosen == "none":
        # "none" would make a record run replay; "rewrite" re-records each probe whole.
        config.option.record_mode = "rewrite"
    env_dir = os.environ.get(CASSETTE_DIR_ENV)
    root = cassette_dir or (Path(env_dir) if env_dir else layout.default_root())
    state = RecordingState(
        mode, root.resolve(), config.option.record_mode, volatile or Volatile(), kind
    )
    config.stash[STATE] = state
    return state


def pytest_configure(config: pytest.Config) -> None:
    mode = config.getoption("chatconform_mode", default=None)
    if mode in ("record", "replay") and config.getoption("chatconform_providers", default=None):
        activate(config, mode)


@contextmanager
def recorder(
    config: pytest.Config, *, provider: str, model: str, probe: Probe, base_url: str = ""
) -> Iterator[Cassette]:
    """The cassette ``probe`` is sent under; yields vcrpy's ``Cassette``.

    In replay, leaving it with recorded requests unsent is a failure: the probe no
    longer sends what was recorded.
    """
    state = config.stash.get(STATE, None)
    if state is None:
        raise RuntimeError("recording is not active: call activate(config, mode) first")
    name = layout.cassette_name(provider, model, probe.id, probe.area)
    path = state.root / (name + layout.SUFFIX)
    if state.record_mode == "rewrite":
        path.unlink(missing_ok=True)
    with (
        _offline(config, state),
        _vcr(config, state).use_cassette(name, **state.config) as cassette,
    ):
        yield cassette
    if state.mode == "record" and len(cassette) > 0:
        entry = state.recorded.setdefault((provider, model), [base_url, 0])
        entry[1] += 1
    elif state.mode == "replay" and not cassette.all_played and str(path) not in state.missed:
        sent, recorded = len(cassette.play_counts), len(cassette)
        pytest.fail(
            f"replay sent {sent} of the {recorded} requests recorded in {path}: the probe "
            f"changed since it was recorded (re-record with `{RECORD_HINT} ...`)",
            pytrace=False,
        )


def _vcr(config: pytest.Config, state: RecordingState) -> VCR:
    """The session's ``VCR``: configured (and offered to conftests) once, not per probe."""
    if state.vcr is None:
        record_mode = state.record_mode
        if record_mode == "rewrite":
            record_mode = "new_episodes"  # vcrpy does not know "rewrite"
        vcr = VCR(
            cassette_library_dir=str(state.root),
            record_mode=record_mode,
            path_transformer=VCR.ensure_suffix(layout.SUFFIX),
        )
        vcr.register_matcher(MATCHER_NAME, make_matcher(state.volatile))
        # pytest-recording's extension point: conftests may add matchers or persisters.
        configure = getattr(config.hook, "pytest_recording_configure", None)
        if configure is not None:
            configure(config=config, vcr=vcr)
        state.vcr = vcr
    return state.vcr


def _offline(config: pytest.Config, state: RecordingState) -> AbstractContextManager[None]:
    """In replay, block the network while a probe is sent.

    pytest-recording's ``block_network`` fixture does it when that plugin is loaded;
    ``chatconform run --mode replay`` leaves the plugin out (its four fixtures per test
    were a fifth of a replay's time), so the guard is applied here instead.
    """
    if state.mode != "replay" or config.pluginmanager.is_registered(pytest_recording.plugin):
        return nullcontext()
    hosts = config.getoption("allowed_hosts", default=None)
    allowed = hosts.split(",") if isinstance(hosts, str) else hosts
    return blocking_context(allowed_hosts=allowed)


@pytest.hookimpl(optionalhook=True)
def pytest_chatconform_recorder(request: pytest.FixtureRequest, case: Any, mode: str) -> Any:
    """The recorder for one case of ``chatconform.plugin``.

    Reads ``case.provider``, ``case.model``, ``case.probe`` and, when present,
    ``case.base_url`` (written to the manifest of a record run).
    """
    del mode
    return recorder(
        request.config,
        provider=str(case.provider),
        model=str(case.model),
        probe=case.probe,
        base_url=str(getattr(case, "base_url", "") or ""),
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A request no cassette holds becomes one clear failure that says how to record."""
    try:
        return (yield)
    except CannotOverwriteExistingCassetteException as error:
        path = str(getattr(error.cassette, "_path", "?"))
        state = item.config.stash.get(STATE, None)
        if state is not None:
            state.missed.add(path)
        missing = getattr(error, "reason", "") == "cassette_not_found"
        reason = "no cassette" if missing else "no recorded request matches"
        target = " for " + "/".join(sorted(_sets([item]))[0]) if _sets([item]) else ""
        # vcrpy's own advice (change record_mode) is wrong for us: keep its diagnosis only.
        detail = str(error).split("\nHow to fix:")[0].strip()
        raise pytest.fail.Exception(
            f"replay: {reason} at {path}\n"
            f"replay never calls the network; record it with `{RECORD_HINT} ...`{target}\n\n"
            f"{detail}",
            pytrace=False,
        ) from None


def pytest_collection_finish(session: pytest.Session) -> None:
    """In replay, every cassette set needs a manifest; show what each was recorded from."""
    state = session.config.stash.get(STATE, None)
    if state is None or state.mode != "replay":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    for provider, model in sorted(_sets(session.items)):
        directory = layout.set_dir(state.root, provider, model)
        try:
            manifest = read_manifest(directory, provider=provider, model=model)
        except ManifestError as error:
            raise pytest.UsageError(str(error)) from None
        if reporter is not None:
            reporter.write_line(f"replaying cassettes: {manifest.describe()}")


def pytest_sessionfinish(session: pytest.Session) -> None:
    """After a record run, write each recorded set's manifest."""
    state = session.config.stash.get(STATE, None)
    if state is None or state.mode != "record":
        return
    for (provider, model), (base_url, count) in sorted(state.recorded.items()):
        manifest = new_manifest(
            provider=provider,
            model=model,
            base_url=base_url,
            kind=state.kind or kind_of(base_url),
            record_mode=state.record_mode,
            probe_count=count,
        )
        write_manifest(layout.set_dir(state.root, provider, model), manifest)


def kind_of(base_url: str) -> SourceKind:
    """``inprocess://`` is the reference server; loopback a local peer; else the vendor."""
    if base_url.startswith("inprocess:"):
        return "reference-server"
    return source_kind(base_url)


def _sets(items: list[pytest.Item]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for item in items:
        callspec = getattr(item, "callspec", None)
        case = callspec.params.get("chatconform_case") if callspec is not None else None
        if case is not None and hasattr(case, "provider") and hasattr(case, "model"):
            found.add((str(case.provider), str(case.model)))
    return found
