"""Find credentials in cassettes before they are committed.

Redaction at record time is the first line; this scanner is the proof. It reads each
cassette both as structured data (a credential header whose value is not the
redaction marker) and as text (bearer tokens, ``sk-`` style keys, ``api_key`` fields,
anywhere, bodies included). The repository's own test runs it over ``cassettes/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from chatconform.engine.client import REDACTED
from chatconform.recording.redact import (
    SECRET_QUERY_PARAMS,
    VALUE_PATTERNS,
    is_secret_field,
    is_secret_header,
)

_SUFFIXES = frozenset({".yaml", ".yml", ".json"})
# A credential field written as JSON ("api_key": "v") or YAML (api_key: v).
_FIELD = re.compile(r"""["']?([A-Za-z0-9_-]+)["']?\s*:\s*["']?([^"',}\s][^"',}\n]*)""")
_QUERY = re.compile(r"[?&]([A-Za-z0-9_-]+)=([^&\s'\"]+)")
# libyaml's safe loader when built with it: the bundled sets are megabytes of YAML.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BEARER = re.compile(r"^bearer\s+", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"<[^>]*>|^\$\{?[A-Za-z_]|^\{[^}]*\}|\.\.\.|…")
_VARIABLE = re.compile(r"[A-Z][A-Z0-9_]*")
_MARKERS = frozenset({REDACTED, "%3Credacted%3E", "", "null", "None", "~", "[]", "{}"})


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int  # 1-based; 0 when found in the parsed structure
    kind: str
    excerpt: str  # masked: never the full credential

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.kind}: {self.excerpt}"


def scan_for_credentials(paths: Iterable[Path | str]) -> list[Finding]:
    """Every credential-looking value in the given files (directories are walked)."""
    findings: list[Finding] = []
    for path in _files(paths):
        text = path.read_text(encoding="utf-8", errors="replace")
        findings.extend(_scan_text(path, text))
        findings.extend(_scan_structure(path, text))
    return findings


def is_placeholder(value: str) -> bool:
    """True for a value that stands for a credential in prose or examples, not one.

    The redaction marker, ``<token>``, ``$VAR`` / ``${VAR}`` / ``{key}``, an ellipsis,
    a variable name (``YOUR_API_KEY``), a plain word (``Bearer authentication ...``) or
    anything under 8 characters (``Bearer k``) once a ``Bearer`` prefix is set aside.
    """
    text = value.strip().strip("\"'`.,;)")
    if text in _MARKERS:
        return True
    # A header value is one token after the scheme; prose goes on with more words.
    words = _BEARER.sub("", text).split()
    secret = words[0].strip("\"'`.,;:)") if words else ""
    return (
        len(secret) < 8
        or bool(_PLACEHOLDER.search(secret))
        or bool(_VARIABLE.fullmatch(secret))
        or (secret.isalpha() and secret.islower())
    )


def mask(value: str) -> str:
    """Enough of a value to find it again, not enough to use it."""
    value = value.strip()
    return value[:4] + "..." + f"({len(value)} chars)" if len(value) > 4 else "****"


def _files(paths: Iterable[Path | str]) -> Iterator[Path]:
    for entry in paths:
        path = Path(entry)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in _SUFFIXES)
        elif path.is_file():
            yield path


def _scan_text(path: Path, text: str) -> Iterator[Finding]:
    for number, line in enumerate(text.splitlines(), start=1):
        for kind, pattern in VALUE_PATTERNS:
            for match in pattern.finditer(line):
                if not is_placeholder(match.group(0)):
                    yield Finding(path, number, kind, mask(match.group(0)))
        for match in _FIELD.finditer(line):
            name, value = match.group(1), match.group(2).strip()
            if is_secret_field(name) and not is_placeholder(value):
                yield Finding(path, number, f"credential field {name!r}", mask(value))
        for match in _QUERY.finditer(line):
            name, value = match.group(1), match.group(2)
            if name.lower() in SECRET_QUERY_PARAMS and not is_placeholder(value):
                yield Finding(path, number, f"credential query parameter {name!r}", mask(value))


def _scan_structure(path: Path, text: str) -> Iterator[Finding]:
    try:
        document = yaml.load(text, Loader=_LOADER)  # JSON is YAML too
    except yaml.YAMLError:
        return
    if not isinstance(document, dict):
        return
    for interaction in document.get("interactions") or []:
        if not isinstance(interaction, dict):
            continue
        for part in ("request", "response"):
            headers = (interaction.get(part) or {}).get("headers") or {}
            yield from _header_findings(path, part, headers)


def _header_findings(path: Path, part: str, headers: Any) -> Iterator[Finding]:
    if not isinstance(headers, dict):
        return
    for name, values in headers.items():
        if not is_secret_header(str(name)):
            continue
        for value in values if isinstance(values, list) else [values]:
            if str(value) not in _MARKERS:
                yield Finding(path, 0, f"{part} header {name!r} not redacted", mask(str(value)))
