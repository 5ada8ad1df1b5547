"""Every cassette committed to the repository is free of credentials."""

from __future__ import annotations

from chatconform.recording import default_root, scan_for_credentials


def test_committed_cassettes_hold_no_credential() -> None:
    findings = scan_for_credentials([default_root()])
    assert findings == [], "credentials in committed cassettes:\n" + "\n".join(map(str, findings))
