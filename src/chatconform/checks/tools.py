"""Checks of the tools area."""
