"""Checks of the requests area."""
