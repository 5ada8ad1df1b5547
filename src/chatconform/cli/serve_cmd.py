"""The ``chatconform serve`` subcommand: run the reference server on a loopback port.

A contract-faithful stand-in is useful beyond the harness's own tests: a client under
development can be pointed at it, and ``--fault`` shows what that client does when an
endpoint breaks one rule.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from typing import Any

from chatconform.cli.errors import UsageError


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "serve",
        help="run the reference server for a contract on a loopback port",
        description="Serve POST /v1/chat/completions and GET /v1/models exactly as the "
        "contract states, optionally with one catalogue fault. Serves until Ctrl-C.",
    )
    p.add_argument("--provider", metavar="ID", help="contract id (chatconform contracts list)")
    p.add_argument("--fault", metavar="NAME", help="serve with this fault (see --list-faults)")
    p.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port (default 0: a free port)")
    p.add_argument(
        "--api-key",
        metavar="KEY",
        help="require this bearer key (default: the contract's key variable if set, else no auth)",
    )
    p.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host (the server has no real security)",
    )
    p.add_argument(
        "--list-faults",
        action="store_true",
        help="print each fault's name, the rule it breaks and where it applies",
    )
    p.add_argument("--quiet", action="store_true", help="do not log request lines")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from chatconform.contracts import ContractError, load_contract
    from chatconform.server import ReferenceServer, UnknownFault, run_http

    if args.list_faults:
        return _list_faults(args.provider)
    if not args.provider:
        raise UsageError("serve needs --provider ID (or --list-faults)")
    try:
        contract = load_contract(args.provider)
    except ContractError as error:
        raise UsageError(str(error).splitlines()[0]) from None
    api_key = args.api_key if args.api_key is not None else os.environ.get(contract.api_key_env)
    try:
        server = ReferenceServer(contract, api_key=api_key or None, fault=args.fault)
    except (UnknownFault, ValueError) as error:
        raise UsageError(str(error)) from None
    log = None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    try:
        running = run_http(server, args.host, args.port, allow_remote=args.allow_remote, log=log)
    except ValueError as error:
        raise UsageError(f"{error} (use --allow-remote to insist)") from None
    except OSError as error:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {error}") from None
    auth = f"bearer key required (${contract.api_key_env})" if api_key else "no auth"
    if api_key and args.api_key is not None:
        auth = "bearer key required (--api-key)"
    fault = f", fault {args.fault}" if args.fault else ""
    print(
        f"chatconform: serving {contract.id} at {running.url} ({auth}{fault}); Ctrl-C to stop",
        flush=True,
    )
    with running:
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("chatconform: stopped", file=sys.stderr)
    return 0


def _list_faults(provider: str | None) -> int:
    from chatconform.contracts import ContractError, contract_ids, load_contract
    from chatconform.server import all_faults

    try:
        ids = [provider] if provider else list(contract_ids())
        contracts = [load_contract(i) for i in ids]
    except ContractError as error:
        raise UsageError(str(error).splitlines()[0]) from None
    rows: list[tuple[str, str, str, str]] = []
    for fault in all_faults():
        applies = [c.id for c in contracts if fault.applies_to(c)]
        if provider and not applies:
            continue
        rows.append((fault.name, fault.rule, ", ".join(applies) or "-", fault.description))
    width = max(len(r[0]) for r in rows)
    rule_width = max(len(r[1]) for r in rows)
    for name, rule, where, description in rows:
        print(f"{name:<{width}}  {rule:<{rule_width}}  {where}")
        print(f"{'':<{width}}  {description}")
    print(f"{len(rows)} faults")
    return 0
