"""Checks of the errors area."""
