"""Checks of the streaming area."""
