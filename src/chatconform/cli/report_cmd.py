"""The ``chatconform report`` subcommand: a vendor evaluation from finished runs.

It reads run directories written by ``chatconform run`` (never the network) and writes
``evaluation.md`` and/or ``evaluation.html`` with the providers side by side. Exit 0
when written, 2 when a run cannot be read or the output cannot be written.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chatconform.cli.errors import UsageError

FORMATS = ("md", "html", "both")
STEM = "evaluation"


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "report",
        help="write a side-by-side vendor evaluation (Markdown, HTML) from runs",
        description="Write a vendor evaluation report from one or more runs. RUN_DIR is a "
        "run directory written by `chatconform run` (index.json or summary.json inside) or "
        "a summary.json file.",
    )
    p.add_argument("runs", nargs="+", metavar="RUN_DIR", type=Path)
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="DIR",
        help="directory for evaluation.md / evaluation.html "
        "(default: the run directory when only one is given)",
    )
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="both",
        help="md, html or both (default both)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    for path in write_report(args.runs, args.output, args.format):
        print(path)
    return 0


def write_report(runs: Sequence[Path], output: Path | None, fmt: str = "both") -> list[Path]:
    """Read ``runs``, write the report in ``fmt`` under ``output``; the files written.

    Raises :class:`UsageError` (one line) for a run that cannot be read or an output
    directory that cannot be written.
    """
    from chatconform import __version__
    from chatconform.report.evaluation import SummaryError, load_evaluation
    from chatconform.report.evaluation_html import render_html
    from chatconform.report.evaluation_md import render_markdown

    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r}: choose from {', '.join(FORMATS)}")
    try:
        evaluation = load_evaluation(runs)
    except SummaryError as error:
        raise UsageError(str(error)) from None
    target = output if output is not None else _default_output(runs)
    renderers = {"md": render_markdown, "html": render_html}
    chosen = ("md", "html") if fmt == "both" else (fmt,)
    written = []
    try:
        target.mkdir(parents=True, exist_ok=True)
        for suffix in chosen:
            path = target / f"{STEM}.{suffix}"
            path.write_text(renderers[suffix](evaluation, __version__), encoding="utf-8")
            written.append(path)
    except OSError as error:
        raise UsageError(f"{target}: cannot write ({error.strerror or error})") from None
    return written


def _default_output(runs: Sequence[Path]) -> Path:
    if len(runs) == 1:
        return runs[0].parent if runs[0].is_file() else runs[0]
    raise UsageError("several runs: say where the report goes with -o DIR")
