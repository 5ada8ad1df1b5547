"""Where the project's data directories are, found from this file, never from the cwd.

In a wheel they are packaged under ``chatconform/_data/``; in a source checkout (the
editable install the README uses) they are the top-level ``contracts/``, ``suites/`` and
``cassettes/`` beside ``src/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

DataDir = Literal["contracts", "suites", "cassettes"]

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent.parent


def data_dir(name: DataDir) -> Path:
    """The directory holding the project's ``name`` data."""
    packaged = _PACKAGE / "_data" / name
    if packaged.is_dir():
        return packaged
    return _CHECKOUT / name
