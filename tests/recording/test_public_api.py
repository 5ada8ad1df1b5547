"""``chatconform.recording.__all__`` names exactly what the package root offers."""

from __future__ import annotations

import chatconform.recording as recording


def test_all_is_honest() -> None:
    public = {
        name
        for name, value in vars(recording).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("chatconform.")
    }
    assert public <= set(recording.__all__)
    assert all(hasattr(recording, name) for name in recording.__all__)
    assert recording.__all__ == sorted(recording.__all__, key=lambda n: (not n.isupper(), n))
