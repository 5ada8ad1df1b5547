"""Checks of the responses area."""
