"""``scripts/record-bundled``: records from the reference server, all or nothing, no noise."""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path

import pytest

from chatconform.recording import read_manifest, set_dir
from chatconform.recording.bundled import RecordError, _install, main, record_bundled
from chatconform.recording.layout import SUFFIX

# The smallest plan; one real recording is enough to prove the pipeline.
PROVIDER, MODEL = "powertokens-qwen", "qwen3.5-flash"


def test_records_replaces_stale_files_and_reports_unchanged_sets(tmp_path: Path) -> None:
    root = tmp_path / "cassettes"
    stale = set_dir(root, PROVIDER, MODEL) / "gone" / "probe-removed-since.yaml"
    stale.parent.mkdir(parents=True)
    stale.write_text("interactions: []\n")
    old_model = set_dir(root, PROVIDER, "a-model-no-longer-default")
    old_model.mkdir(parents=True)
    log = io.StringIO()
    (result,) = record_bundled(root, [PROVIDER], log=log)
    directory = set_dir(root, PROVIDER, MODEL)
    assert (result.provider, result.model, result.changed) == (PROVIDER, MODEL, True)
    assert not stale.exists() and not old_model.exists()
    manifest = read_manifest(directory, provider=PROVIDER, model=MODEL)
    assert manifest.source_kind == "reference-server"
    assert manifest.probe_count == result.cassettes == len(list(directory.rglob("*" + SUFFIX)))
    assert f"recording {PROVIDER} from inprocess://{PROVIDER}" in log.getvalue()
    assert b'"created":1767225600' in (directory / "response" / "minimal.yaml").read_bytes()
    assert not list(root.glob(".staging-*"))
    # Recorded again (same cassettes, a newer recorded_at): the old set is kept as it was.
    again = tmp_path / "again"
    shutil.copytree(root / PROVIDER, again)
    manifest_path = again / MODEL / "manifest.json"
    recorded_at = f'"recorded_at": "{manifest.recorded_at}"'
    manifest_path.write_text(
        manifest_path.read_text().replace(recorded_at, '"recorded_at": "2099-01-01T00:00:00Z"')
    )
    assert "2099-01-01" in manifest_path.read_text()
    before = (directory / "manifest.json").read_bytes()
    assert _install(again, root / PROVIDER) is False
    assert (directory / "manifest.json").read_bytes() == before


def test_a_changed_cassette_replaces_the_set(tmp_path: Path) -> None:
    bundled, recorded = tmp_path / "bundled", tmp_path / "recorded"
    for directory, body in ((bundled, "old"), (recorded, "new")):
        (directory / "m" / "area").mkdir(parents=True)
        (directory / "m" / "area" / "p.yaml").write_text(body)
    assert _install(recorded, bundled) is True
    assert (bundled / "m" / "area" / "p.yaml").read_text() == "new"


def test_a_failed_recording_leaves_the_bundled_sets_untouched(tmp_path: Path) -> None:
    root = tmp_path / "cassettes"
    kept = set_dir(root, PROVIDER, MODEL) / "response" / "minimal.yaml"
    kept.parent.mkdir(parents=True)
    kept.write_text("interactions: []\n")
    failing = tmp_path / "python"
    failing.write_text(f"#!{sys.executable}\nimport sys\nprint('boom')\nsys.exit(2)\n")
    failing.chmod(0o755)
    with pytest.raises(RecordError, match=f"recording {PROVIDER} exited 2:\nboom"):
        record_bundled(root, [PROVIDER], python=str(failing), log=io.StringIO())
    assert kept.read_text() == "interactions: []\n"
    assert not list(root.glob(".staging-*"))


def test_unknown_provider_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--provider", "no-such-vendor", "--root", "/nonexistent/x"]) == 2
    err = capsys.readouterr().err
    assert "unknown provider 'no-such-vendor'" in err and "left unchanged" in err
