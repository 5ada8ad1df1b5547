"""The credential scanner finds what redaction must have removed."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatconform.recording.scan import mask, scan_for_credentials

CLEAN = """interactions:
- request:
    body: '{"max_tokens":5,"messages":[{"content":"hi","role":"user"}],"model":"m"}'
    headers:
      authorization:
      - <redacted>
    method: POST
    uri: http://127.0.0.1:1/v1/chat/completions?api_key=%3Credacted%3E
  response:
    body:
      string: '{"usage": {"prompt_tokens": 3}, "logprobs": {"content": [{"token": "hi"}]}}'
    headers:
      set-cookie:
      - <redacted>
      x-ratelimit-remaining-tokens:
      - '999'
    status: {code: 200, message: OK}
version: 1
"""


def write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / "p" / "m" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_redacted_cassette_is_clean(tmp_path: Path) -> None:
    write(tmp_path, CLEAN)
    assert scan_for_credentials([tmp_path]) == []


@pytest.mark.parametrize(
    ("planted", "kind"),
    [
        (
            CLEAN.replace("      - <redacted>\n    method", "      - Bearer abc\n    method"),
            "request header 'authorization' not redacted",
        ),
        (
            CLEAN.replace("set-cookie:\n      - <redacted>", "set-cookie:\n      - s=1"),
            "response header 'set-cookie' not redacted",
        ),
        (
            CLEAN.replace('"model":"m"}', '"model":"m","api_key":"abcd1234"}'),
            "credential field 'api_key'",
        ),
        (CLEAN.replace('"hi"}]}}', '"sk-proj-0123456789abcdefghij"}]}}'), "sk-/ak- style key"),
        (CLEAN.replace('"hi"}]}}', '"Bearer eyJhbGciOi.xyz12345"}]}}'), "bearer token"),
        (CLEAN.replace("%3Credacted%3E", "live-key-123"), "credential query parameter 'api_key'"),
    ],
)
def test_planted_credentials_are_found(tmp_path: Path, planted: str, kind: str) -> None:
    path = write(tmp_path, planted)
    findings = scan_for_credentials([tmp_path])
    assert [f.kind for f in findings if f.kind == kind] == [kind], findings
    assert all(f.path == path for f in findings)


def test_json_files_are_scanned_and_findings_are_masked(tmp_path: Path) -> None:
    write(tmp_path, '{"access_token": "ya29.secretvalue"}', "manifest.json")
    (finding,) = scan_for_credentials([tmp_path])
    assert "secretvalue" not in str(finding) and finding.line == 1
    assert mask("ab") == "****"
