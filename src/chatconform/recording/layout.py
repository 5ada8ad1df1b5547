"""Where a probe's cassette lives: ``<root>/<provider>/<model>/<area>/<probe-slug>.yaml``.

One cassette per probe keeps a re-recording of one probe from touching the others and
makes a review diff read like the probe list. Probe ids are stable (``<area>/<what>``),
so the file name is derived from the id alone, deterministically.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from chatconform._paths import data_dir

SUFFIX = ".yaml"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def default_root() -> Path:
    """The bundled ``cassettes/`` directory (packaged data or the checkout's)."""
    return data_dir("cassettes")


def slug(text: str) -> str:
    """A file-name-safe form of ``text``; ``/`` becomes ``--``.

    When another character had to be replaced, an 8-digit hash of ``text`` is appended
    so that two ids differing only in such characters never share a file.
    """
    joined = text.strip("/").replace("/", "--")
    safe = _UNSAFE.sub("_", joined)
    if safe != joined or not safe or safe.startswith("."):
        digest = hashlib.sha1(text.encode()).hexdigest()[:8]
        safe = f"{safe.lstrip('.') or 'x'}-{digest}"
    return safe


def probe_area_and_slug(probe_id: str, area: str | None = None) -> tuple[str, str]:
    """Split a probe id into its area directory and file slug.

    Ids are shaped ``<area>/<what>``: the area is the first segment unless given.
    """
    head, _, rest = probe_id.partition("/")
    if area is None:
        area = head
        remainder = rest or head
    else:
        remainder = rest if head == area and rest else probe_id
    return slug(area), slug(remainder)


def set_dir(root: Path, provider: str, model: str) -> Path:
    """The directory of one cassette set (one provider and model), manifest beside."""
    return root / slug(provider) / slug(model)


def cassette_name(provider: str, model: str, probe_id: str, area: str | None = None) -> str:
    """The cassette path relative to the root, without suffix (pytest-recording's name)."""
    area_dir, name = probe_area_and_slug(probe_id, area)
    return f"{slug(provider)}/{slug(model)}/{area_dir}/{name}"


def cassette_path(
    root: Path, provider: str, model: str, probe_id: str, area: str | None = None
) -> Path:
    """The cassette file of one probe."""
    return root / (cassette_name(provider, model, probe_id, area) + SUFFIX)
