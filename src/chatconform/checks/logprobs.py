"""Checks of the logprobs area."""
