"""The manifest of a cassette set: where and how its cassettes were recorded.

A replayed result is only as good as what was recorded. ``manifest.json`` beside the
cassettes (``<root>/<provider>/<model>/manifest.json``) says whether the set came from
the bundled reference server, a local peer or the vendor itself, when, with which
chatconform and record mode, so a replay report can say what it stands on. A set with
no manifest is not replayed: nobody could say what it proves.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit, urlunsplit

FILE_NAME = "manifest.json"
SourceKind = Literal["reference-server", "local-peer", "vendor"]
RECORD_HINT = "chatconform run --mode record"  # with the provider and model of the set


class ManifestError(Exception):
    """A cassette set's manifest is missing or unreadable (a usage error, exit 2)."""


@dataclass(frozen=True)
class Manifest:
    provider: str
    model: str
    source_kind: SourceKind
    base_url: str  # credentials, query and fragment removed
    recorded_at: str  # ISO 8601, UTC
    chatconform_version: str
    record_mode: str
    probe_count: int

    def describe(self) -> str:
        """One line for the terminal and reports."""
        return (
            f"{self.provider}/{self.model}: {self.probe_count} probes recorded from "
            f"{self.source_kind} {self.base_url} at {self.recorded_at} "
            f"(chatconform {self.chatconform_version}, record mode {self.record_mode})"
        )


def public_url(url: str) -> str:
    """``url`` without user info, query or fragment (where a key could hide)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def source_kind(base_url: str, *, reference_server: bool = False) -> SourceKind:
    """``vendor`` for a remote host; for loopback, the reference server or a local peer."""
    host = urlsplit(base_url).hostname or ""
    if host == "localhost":
        loopback = True
    else:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
    if not loopback:
        return "vendor"
    return "reference-server" if reference_server else "local-peer"


def new_manifest(
    *,
    provider: str,
    model: str,
    base_url: str,
    kind: SourceKind,
    record_mode: str,
    probe_count: int,
    version: str | None = None,
    now: datetime | None = None,
) -> Manifest:
    if version is None:
        from chatconform import __version__

        version = __version__
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return Manifest(
        provider=provider,
        model=model,
        source_kind=kind,
        base_url=public_url(base_url),
        recorded_at=moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        chatconform_version=version,
        record_mode=record_mode,
        probe_count=probe_count,
    )


def write_manifest(directory: Path, manifest: Manifest) -> Path:
    """Write ``manifest.json`` into the set directory; the file written."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / FILE_NAME
    text = json.dumps(asdict(manifest), indent=2, sort_keys=True, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def read_manifest(directory: Path, *, provider: str = "", model: str = "") -> Manifest:
    """The set's manifest; :class:`ManifestError` saying how to record when it is absent."""
    path = directory / FILE_NAME
    target = f"{provider or '<provider>'}/{model or '<model>'}"
    hint = f"`{RECORD_HINT} ...` against {target}"
    if not path.is_file():
        raise ManifestError(
            f"no cassette set manifest at {path}: this set was never recorded "
            f"(record it with {hint})"
        )
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        manifest = Manifest(**data)
    except (ValueError, TypeError) as error:
        raise ManifestError(
            f"unreadable manifest {path}: {error} (re-record with {hint})"
        ) from None
    if manifest.source_kind not in get_args(SourceKind):
        raise ManifestError(f"manifest {path}: unknown source_kind {manifest.source_kind!r}")
    return manifest
