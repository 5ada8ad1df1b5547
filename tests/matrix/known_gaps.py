"""Defects the matrix has found and not yet seen fixed, keyed by (fault or "faithful",
contract). Each entry is a strict xfail: the day the defect is fixed the test passes,
the xfail fails, and the entry must go. Never add an entry to make a new failure quiet:
name the defect, the file that holds it and why, e.g.

    (FAITHFUL, "openai-compatible"): "checks/semantics.py length_when_cut: output equal "
    "to the bound is taken for a cut (generated/valid/003)",

Empty: every fault is caught by the right check and no contract has a false positive.
"""

from __future__ import annotations

KNOWN_GAPS: dict[tuple[str, str], str] = {}
