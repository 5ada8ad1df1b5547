"""Cassettes: record through pytest-recording, redact, replay offline."""
