"""Cassettes: record through vcrpy (pytest-recording's options), redact, replay offline.

The pytest side lives in ``chatconform.recording.plugin`` (imported by
``chatconform.plugin`` for ``--mode record|replay``); this package's root names the
pieces other code calls.
"""

from chatconform.recording.config import MATCHER_NAME, Volatile, make_matcher, vcr_config
from chatconform.recording.layout import cassette_name, cassette_path, default_root, set_dir
from chatconform.recording.manifest import (
    Manifest,
    ManifestError,
    new_manifest,
    read_manifest,
    source_kind,
    write_manifest,
)
from chatconform.recording.scan import Finding, scan_for_credentials

__all__ = [
    "MATCHER_NAME",
    "Finding",
    "Manifest",
    "ManifestError",
    "Volatile",
    "cassette_name",
    "cassette_path",
    "default_root",
    "make_matcher",
    "new_manifest",
    "read_manifest",
    "scan_for_credentials",
    "set_dir",
    "source_kind",
    "vcr_config",
    "write_manifest",
]
