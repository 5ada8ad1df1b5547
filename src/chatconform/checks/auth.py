"""Checks of the auth area."""
