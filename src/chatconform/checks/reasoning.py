"""Checks of the reasoning area."""
