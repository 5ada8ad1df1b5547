"""The ``chatconform`` command: one subcommand module per verb.

Exit status: 0 no check failed; 1 a check failed; 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from chatconform.cli import contracts_cmd, diff_cmd, report_cmd, run_cmd, serve_cmd
from chatconform.cli.errors import UsageError

_COMMANDS = (contracts_cmd, run_cmd, serve_cmd, diff_cmd, report_cmd)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chatconform",
        description="Conformance tests for OpenAI-compatible chat-completions endpoints.",
    )
    from chatconform import __version__

    parser.add_argument("--version", action="version", version=f"chatconform {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _COMMANDS:
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or (
        args_list[0].startswith("-") and args_list[0] not in ("-h", "--help", "--version")
    ):
        # No verb: the main job (offline replay of every bundled cassette set), with any
        # options given (`chatconform --report-dir out`) passed to `run`.
        args_list = ["run", *args_list]
    parser = build_parser()
    args = parser.parse_args(args_list)
    try:
        result: int = args.handler(args)
    except UsageError as error:
        print(f"chatconform: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("chatconform: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`chatconform contracts trace | head`): not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return result
