"""Checks of the headers area."""
