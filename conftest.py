"""Root conftest: only what must live at the root (pytester for the plugin's own tests)."""

pytest_plugins = ["pytester"]
