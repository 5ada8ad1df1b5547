"""Checks of the semantics area."""
