"""The bundled cassette sets: complete, from the reference server, replayable, clean.

``chatconform`` with no arguments replays these sets; ``scripts/record-bundled`` remakes
them. The full main job runs under the ``slow`` marker; the default run replays every
provider's plain, streamed, error and auth probes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.replay.runs import run_chatconform, socket_guard

from chatconform._paths import data_dir
from chatconform.cli import main
from chatconform.contracts import contract_ids, load_contract
from chatconform.recording import default_root, read_manifest, scan_for_credentials, set_dir
from chatconform.recording.layout import SUFFIX

REPOSITORY = data_dir("contracts").parent
PROVIDERS = sorted(contract_ids())


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_provider_has_a_bundled_set_from_the_reference_server(provider: str) -> None:
    model = load_contract(provider).models.default
    directory = set_dir(default_root(), provider, model)
    manifest = read_manifest(directory, provider=provider, model=model)
    assert manifest.source_kind == "reference-server"
    assert manifest.base_url == f"inprocess://{provider}"
    assert manifest.record_mode == "rewrite"
    assert manifest.probe_count == sum(1 for _ in directory.rglob("*" + SUFFIX)) > 0


def test_bundled_sets_hold_only_current_providers() -> None:
    """A removed contract or model leaves no stale set behind (record-bundled prunes)."""
    expected = {(p, load_contract(p).models.default) for p in PROVIDERS}
    found = {
        (path.parent.parent.name, path.parent.name)
        for path in default_root().glob("*/*/manifest.json")
    }
    assert found == expected


def test_bundled_sets_replay_offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    flags = [a for p in PROVIDERS for a in ("--provider", p)]
    areas = ("--area", "response", "streaming", "errors", "auth")
    run = run_chatconform(
        monkeypatch, default_root(), tmp_path, "bundled", *flags, *areas, "--mode", "replay"
    )
    assert run.code == 0
    assert run.sockets == []
    assert len({key.split(" ")[0] for key in run.bodies}) == len(PROVIDERS)


@pytest.mark.slow
def test_main_job_replays_everything_and_passes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``chatconform`` with no arguments, no key, no network: exit 0 and every report."""
    monkeypatch.chdir(tmp_path)
    for provider in PROVIDERS:
        monkeypatch.delenv(load_contract(provider).api_key_env or "UNSET_KEY", raising=False)
    opened: list[object] = []
    with socket_guard(opened):
        code = main([])
    out = capsys.readouterr().out
    assert code == 0, out[-3000:]
    assert opened == []
    (run_dir,) = (tmp_path / "reports").iterdir()
    index = json.loads((run_dir / "index.json").read_text("utf-8"))
    assert [e["provider"] for e in index["providers"]] == PROVIDERS
    for entry in index["providers"]:
        assert (run_dir / entry["summary"]).is_file() and (run_dir / entry["junit"]).is_file()
        assert entry["counts"]["failed"] == 0 and entry["requests"] > 0
    assert any((run_dir / "allure-results").iterdir())
    assert "chatconform: no check failed" in out and f"reports: {run_dir}" in out


def _repository_files() -> list[Path]:
    """Text files of the repository a credential could leak into."""
    roots = [REPOSITORY / name for name in ("cassettes", "contracts", "docs", "reports")]
    files = [p for p in REPOSITORY.glob("*.md")]
    for root in roots:
        if root.is_dir():
            files += [p for p in root.rglob("*") if p.is_file() and p.suffix in _TEXT]
    return files


_TEXT = frozenset({".yaml", ".yml", ".json", ".md", ".xml", ".txt", ".html"})


def test_repository_holds_no_credential() -> None:
    files = _repository_files()
    assert any(p.suffix == SUFFIX for p in files)
    findings = scan_for_credentials(files)
    assert findings == [], "credentials in the repository:\n" + "\n".join(map(str, findings))


def test_the_scan_would_see_a_leaked_key(tmp_path: Path) -> None:
    leaked = tmp_path / "notes.md"
    leaked.write_text("curl -H 'Authorization: Bearer sk-live0123456789abcdefXYZ'\n")
    assert scan_for_credentials([leaked])


def test_a_replayed_summary_says_where_its_cassettes_came_from(tmp_path: Path) -> None:
    code = main(["run", "--provider", "powertokens-qwen", "--mode", "replay",
                 "--area", "errors", "--report-dir", str(tmp_path), "--run-id", "r1"])  # fmt: skip
    assert code == 0
    summary = json.loads((tmp_path / "r1" / "summary.json").read_text())
    recorded = summary["recorded_from"]
    assert recorded["source_kind"] == "reference-server"
    assert recorded["base_url"].startswith("inprocess://")
