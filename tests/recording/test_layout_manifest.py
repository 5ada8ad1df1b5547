"""Cassette paths and the manifest beside each set."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chatconform.recording import layout
from chatconform.recording.manifest import (
    ManifestError,
    new_manifest,
    public_url,
    read_manifest,
    source_kind,
    write_manifest,
)


def test_cassette_path_is_provider_model_area_slug(tmp_path: Path) -> None:
    path = layout.cassette_path(
        tmp_path, "anyfast", "doubao-seed-evolving", "negative/request/temperature/maximum/above"
    )
    expected = "anyfast/doubao-seed-evolving/negative/request--temperature--maximum--above.yaml"
    assert path == tmp_path / expected


def test_unsafe_characters_get_a_hash_so_names_never_collide() -> None:
    one = layout.cassette_name("p", "m", "negative/request/messages[].role/enum")
    two = layout.cassette_name("p", "m", "negative/request/messages__.role/enum")
    assert one != two
    assert "[" not in one and one.startswith("p/m/negative/request--messages__.role--enum-")
    assert layout.slug("org/model") == "org--model"
    assert layout.slug("..") not in ("", ".", "..")


def test_default_root_is_the_bundled_cassettes_directory() -> None:
    assert layout.default_root().name == "cassettes"


def test_manifest_round_trip_without_credentials(tmp_path: Path) -> None:
    manifest = new_manifest(
        provider="anyfast",
        model="doubao-seed-evolving",
        base_url="https://user:sk-secret@www.anyfast.ai/v1?api_key=sk-x#frag",
        kind="vendor",
        record_mode="rewrite",
        probe_count=42,
        version="9.9.9",
        now=datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
    )
    directory = tmp_path / "anyfast" / "doubao-seed-evolving"
    path = write_manifest(directory, manifest)
    assert "sk-" not in path.read_text()
    loaded = read_manifest(directory)
    assert loaded == manifest
    assert loaded.base_url == "https://www.anyfast.ai/v1"
    assert loaded.recorded_at == "2026-11-01T12:00:00Z"
    assert "42 probes recorded from vendor https://www.anyfast.ai/v1" in loaded.describe()


def test_missing_manifest_says_how_to_record(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"never recorded.*chatconform run --mode record"):
        read_manifest(tmp_path, provider="p", model="m")


def test_broken_manifest_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"provider": "p"}))
    with pytest.raises(ManifestError, match="unreadable manifest"):
        read_manifest(tmp_path)


@pytest.mark.parametrize(
    ("url", "reference", "kind"),
    [
        ("https://api.powertokens.ai/v1", False, "vendor"),
        ("http://127.0.0.1:8080/v1", False, "local-peer"),
        ("http://localhost:8080/v1", True, "reference-server"),
        ("http://[::1]:8080/v1", False, "local-peer"),
    ],
)
def test_source_kind(url: str, reference: bool, kind: str) -> None:
    assert source_kind(url, reference_server=reference) == kind


def test_public_url_keeps_ipv6_host_and_port() -> None:
    assert public_url("http://[::1]:8080/v1?key=x") == "http://[::1]:8080/v1"
