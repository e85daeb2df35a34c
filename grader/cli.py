"""The `grade` command: parse arguments, call the pipeline, render, map errors to exit codes.

    grade SUBMISSION [--assignment NAME] [--json PATH] [--html PATH] [--seed N]
                     [--engine warm|fresh] [--sandbox auto|strict|off] [-j N] [--scratch DIR]
                     [--packs DIR] [--task ID]
    grade batch SUBMISSIONS_DIR --assignment NAME --out DIR [-j N] [--engine ...] [--force]

SUBMISSION is a folder, a .py module, a notebook, or a .zip/.tar.gz of one.

Exit status: 0 every check passed, 1 graded with failures, 2 could not grade.
"""
from __future__ import annotations

import argparse
import os
import sys

from rich.console import Console

from grader.engine import ENGINES
from grader.errors import GraderError
from grader.output import check_writable, write_text
from grader.pipeline import Options, grade
from grader.report import html, json_report, terminal
from grader.sandbox.layers import MODES

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2
DEFAULTS = Options()


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting."""

    def error(self, message: str):
        raise GraderError(message)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--assignment", metavar="NAME", help="assignment pack (default: "
                        "recognised from the file names)")
    parser.add_argument("--engine", choices=ENGINES, default=DEFAULTS.engine,
                        help="warm: pre-imported worker (default); fresh: new interpreter per task")
    parser.add_argument("--sandbox", choices=MODES, default=DEFAULTS.sandbox,
                        help="strict refuses to grade without Landlock and seccomp")
    parser.add_argument("-j", "--jobs", type=int, default=DEFAULTS.jobs, metavar="N",
                        help="tasks or submissions graded at once (default: cores)")
    parser.add_argument("--seed", type=int, help="reproduce a run's generated inputs")
    parser.add_argument("--scratch", metavar="DIR", help="where the tasks' scratch folders go "
                        "(default: /dev/shm when it has 1 GB free, else the temporary folder)")
    parser.add_argument("--packs", metavar="DIR", action="append", default=[],
                        help="a folder of assignment packs to look in first (repeatable; "
                        "also $GRADER_PACKS)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="grade", description="Grade a submission.")
    parser.add_argument("submission", metavar="SUBMISSION",
                        help="a folder, .py module, notebook, or .zip/.tar.gz of one")
    parser.add_argument("--json", metavar="PATH", help="write the JSON report (- for stdout)")
    parser.add_argument("--html", metavar="PATH", help="write the HTML report")
    parser.add_argument("--quiet", action="store_true", help="no table on the terminal")
    parser.add_argument("--task", metavar="ID", action="append", default=[],
                        help="grade only this task (repeatable)")
    _common(parser)
    return parser


def build_batch_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="grade batch", description="Grade every subfolder of a folder.")
    parser.add_argument("submissions", metavar="SUBMISSIONS_DIR")
    parser.add_argument("--out", required=True, metavar="DIR", help="where reports go")
    parser.add_argument("--force", action="store_true", help="re-grade up-to-date reports")
    _common(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv[:1] == ["batch"]:
            from grader.batch import run_batch
            args = build_batch_parser().parse_args(argv[1:])
            return run_batch(args, options_from(args))
        return _grade_one(build_parser().parse_args(argv))
    except GraderError as exc:
        print(f"grade: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("grade: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # the contract: one line, never a traceback
        if os.environ.get("GRADER_DEBUG"):
            raise
        print(f"grade: internal error: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR


def options_from(args: argparse.Namespace) -> Options:
    if args.jobs < 1:
        raise GraderError("-j must be at least 1")
    if args.scratch is not None and not os.path.isdir(args.scratch):
        raise GraderError(f"scratch folder not found: {args.scratch}")
    for folder in args.packs:
        if not os.path.isdir(folder):
            raise GraderError(f"packs folder not found: {folder}")
    return Options(assignment=args.assignment, seed=args.seed, engine=args.engine,
                   sandbox=args.sandbox, jobs=args.jobs, scratch=args.scratch,
                   packs=tuple(args.packs), tasks=tuple(getattr(args, "task", ())))


def _grade_one(args: argparse.Namespace) -> int:
    check_writable(args.json)
    check_writable(args.html)
    report = grade(args.submission, options_from(args))
    if args.json:
        write_text(args.json, json_report.render(report))
    if args.html:
        write_text(args.html, html.render(report))
    if not args.quiet and args.json != "-":
        terminal.render(report, Console(stderr=False))
    return EXIT_OK if report.full_marks and all(t.style_ok for t in report.tasks) \
        else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
