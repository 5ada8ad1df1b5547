"""Re-record the bundled cassette sets (``cassettes/``) from the reference server.

``chatconform`` with no arguments replays these sets, so they must follow every change
to the planner, the checks or the server, and anyone must be able to remake them with
one command (``scripts/record-bundled``). Three properties make that command safe to
run at any time:

- all or nothing: each provider is recorded into a staging directory by a fresh
  ``chatconform run --mode record --base-url inprocess://<id>`` process and the bundled
  sets are replaced only once every provider recorded; a failure leaves them untouched;
- no stale files: a provider's whole directory is replaced, so a probe that no longer
  exists (or a model no longer the default) loses its cassettes;
- no noise: ``created`` is pinned (``SOURCE_DATE_EPOCH``) and a set whose cassettes did
  not change keeps its old manifest, so re-running on an unchanged tree changes no file.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from chatconform.cli.run_cmd import run_command
from chatconform.recording import layout
from chatconform.recording.manifest import FILE_NAME, read_manifest
from chatconform.recording.plugin import CASSETTE_DIR_ENV
from chatconform.recording.scan import scan_for_credentials

# 2026-01-01T00:00:00Z: the ``created`` of every recorded answer (a fixed, plausible time).
REFERENCE_EPOCH = 1767225600
_STAGING_PREFIX = ".staging-"
# Manifest fields that change on every recording even when nothing else did.
_VOLATILE_MANIFEST_FIELDS = ("recorded_at",)


class RecordError(Exception):
    """A bundled set could not be recorded; the bundled cassettes were left as they were."""


@dataclass(frozen=True)
class RecordedSet:
    provider: str
    model: str
    cassettes: int
    failed_checks: int  # checks that failed against the reference server while recording
    changed: bool  # False: byte-identical to the bundled set (its manifest was kept)


def record_bundled(
    root: Path | None = None,
    providers: Sequence[str] | None = None,
    *,
    python: str = sys.executable,
    log: TextIO | None = None,
) -> list[RecordedSet]:
    """Record every contract's default-model set (or only ``providers``) into ``root``.

    ``root`` defaults to the bundled ``cassettes/``. Raises :class:`RecordError`, with
    the recording run's output, when a provider cannot be recorded.
    """
    from chatconform.contracts import contract_ids

    out = log or sys.stderr
    root = (root or layout.default_root()).resolve()
    known = sorted(contract_ids())
    chosen = list(dict.fromkeys(providers or known))
    unknown = [p for p in chosen if p not in known]
    if unknown:
        raise RecordError(f"unknown provider {unknown[0]!r}; known: {', '.join(known)}")
    root.mkdir(parents=True, exist_ok=True)
    for leftover in root.glob(_STAGING_PREFIX + "*"):
        shutil.rmtree(leftover, ignore_errors=True)  # from an interrupted run
    staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=root))
    try:
        results = [_record_one(provider, staging, python, out) for provider in chosen]
        findings = scan_for_credentials([staging / layout.slug(p) for p in chosen])
        if findings:
            raise RecordError(
                "credentials in recorded cassettes:\n" + "\n".join(map(str, findings))
            )
        results = [
            replace(
                r,
                changed=_install(staging / layout.slug(r.provider), root / layout.slug(r.provider)),
            )
            for r in results
        ]
        if providers is None:
            _remove_unknown_sets(root, known)
        return results
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _record_one(provider: str, staging: Path, python: str, out: TextIO) -> RecordedSet:
    command = run_command(
        provider,
        f"inprocess://{provider}",
        mode="record",
        report_dir=staging / ".reports",
        run_id=provider,
        pytest_options=("-q", "--record-mode=rewrite"),
        python=python,
    )
    env = {**os.environ, CASSETTE_DIR_ENV: str(staging), "SOURCE_DATE_EPOCH": str(REFERENCE_EPOCH)}
    print(f"recording {provider} from inprocess://{provider} ...", file=out, flush=True)
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):  # 1: a check failed; the exchanges are still valid
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-30:])
        raise RecordError(f"recording {provider} exited {done.returncode}:\n{tail}")
    summary = json.loads((staging / ".reports" / provider / "summary.json").read_text("utf-8"))
    model = str(summary["model"])
    directory = layout.set_dir(staging, provider, model)
    manifest = read_manifest(directory, provider=provider, model=model)
    cassettes = sum(1 for _ in directory.rglob("*" + layout.SUFFIX))
    if manifest.source_kind != "reference-server" or cassettes != manifest.probe_count:
        raise RecordError(
            f"{provider}: {cassettes} cassettes for a manifest of {manifest.probe_count} "
            f"probes from {manifest.source_kind}"
        )
    failed = int(summary["counts"]["failed"])
    note = f", {failed} checks FAILED against the reference server" if failed else ""
    print(f"  {provider}/{model}: {cassettes} cassettes{note}", file=out, flush=True)
    return RecordedSet(provider, model, cassettes, failed, changed=True)


def _install(recorded: Path, bundled: Path) -> bool:
    """Replace ``bundled`` (one provider's directory) by ``recorded``; False if unchanged."""
    if bundled.is_dir() and _same_set(recorded, bundled):
        return False
    if bundled.exists():
        shutil.rmtree(bundled)
    shutil.move(str(recorded), str(bundled))
    return True


def _same_set(a: Path, b: Path) -> bool:
    files_a, files_b = _files(a), _files(b)
    if files_a.keys() != files_b.keys():
        return False
    for name, path in files_a.items():
        other = files_b[name]
        if path.name == FILE_NAME:
            if _stable_manifest(path) != _stable_manifest(other):
                return False
        elif path.read_bytes() != other.read_bytes():
            return False
    return True


def _files(directory: Path) -> dict[str, Path]:
    return {p.relative_to(directory).as_posix(): p for p in directory.rglob("*") if p.is_file()}


def _stable_manifest(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if k not in _VOLATILE_MANIFEST_FIELDS}


def _remove_unknown_sets(root: Path, known: Sequence[str]) -> None:
    """Drop provider directories no contract names any more (a removed contract)."""
    keep = {layout.slug(p) for p in known}
    for entry in root.iterdir():
        if entry.is_dir() and not entry.name.startswith(".") and entry.name not in keep:
            shutil.rmtree(entry)


def main(argv: Sequence[str] | None = None) -> int:
    """``scripts/record-bundled [--provider ID ...] [--root DIR]``: 0 recorded cleanly,
    1 recorded but a check failed against the reference server, 2 nothing replaced."""
    parser = argparse.ArgumentParser(
        prog="record-bundled",
        description="Re-record the bundled cassette sets from the in-process reference "
        "server (every contract, its default model, record mode rewrite).",
    )
    parser.add_argument("--provider", action="append", dest="providers", metavar="ID")
    parser.add_argument("--root", type=Path, help="cassette root (default: the bundled one)")
    args = parser.parse_args(argv)
    try:
        results = record_bundled(args.root, args.providers)
    except RecordError as error:
        print(
            f"record-bundled: error: {error}\n(bundled cassettes left unchanged)", file=sys.stderr
        )
        return 2
    for result in results:
        state = "updated" if result.changed else "unchanged"
        print(f"{result.provider}/{result.model}: {result.cassettes} cassettes, {state}")
    failed = sum(r.failed_checks for r in results)
    if failed:
        print(
            f"record-bundled: {failed} checks failed against the reference server: "
            "the bundled replay will fail until the server or the check is fixed",
            file=sys.stderr,
        )
        return 1
    return 0
