"""The errors a contract file can raise, each naming the file, the JSON pointer and the fault.

A contract is data written by hand from a vendor page; when it is wrong, the person
fixing it needs to land on the exact key, not read a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable


class ContractError(Exception):
    """A contract file is invalid: ``<file>: <pointer>: <what is wrong>``."""

    def __init__(self, file: str, pointer: str, problem: str) -> None:
        self.file = file
        self.pointer = pointer or "/"
        self.problem = problem
        super().__init__(f"{file}: {self.pointer}: {problem}")


class UnknownContract(ContractError, KeyError):
    """No contract has this id; the message lists the ids that exist."""

    def __init__(self, contract_id: str, known: Iterable[str]) -> None:
        self.contract_id = contract_id
        self.known = sorted(known)
        super().__init__(
            f"{contract_id}.json",
            "/",
            f"unknown contract {contract_id!r}; known: {', '.join(self.known) or '(none)'}",
        )

    def __str__(self) -> str:
        return self.problem


def pointer(*parts: object) -> str:
    """A JSON pointer (RFC 6901) from path parts."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)
