"""The `grade` command: parse arguments, call the pipeline, render, map errors to exit codes.

    grade SUBMISSION [--assignment NAME] [--json PATH] [--html PATH] [--seed N]
                     [--engine warm|fresh] [--sandbox auto|strict|off] [-j N] [--scratch DIR]
                     [--packs DIR] [--task ID] [--audience student|instructor] [--quiet]
                     [--execute]
    grade batch SUBMISSIONS_DIR --assignment NAME --out DIR [-j N] [--engine ...] [--force]
                [--roster roster.csv] [--executor local|ray] [--ray-address ADDR]
    grade export-public | ci-template | collect | gradescope-bundle ...   (grader/verbs.py)
    grade --version

SUBMISSION is a folder, a .py module, a notebook, or a .zip/.tar.gz of one.

Exit status: 0 every check passed, 1 graded with failures, 2 could not grade.
"""
from __future__ import annotations

import argparse
import os
import sys

from rich.console import Console

from grader import __version__
from grader.engine import ENGINES
from grader.errors import GraderError
from grader.executors import EXECUTORS, make_executor
from grader.output import check_writable, write_text
from grader.pipeline import Options, grade
from grader.report import html, json_report, terminal
from grader.report.public import AUDIENCES
from grader.report.renderers import RENDERERS, render_as
from grader.sandbox.layers import MODES

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2
DEFAULTS = Options()
MAX_SEED = 2 ** 63  # a report's seed stays an exact JSON integer (and batch reuses it)

GRADE_USAGE = """grade SUBMISSION [options]
       grade batch SUBMISSIONS_DIR --assignment NAME --out DIR [options]
       grade export-public | ci-template | collect | gradescope-bundle [options]
       grade --version"""

GRADE_EPILOG = """\
grade a whole class:
  grade batch SUBMISSIONS_DIR --assignment NAME --out DIR   (see: grade batch --help)
grades leave the machine (see each verb's --help):
  grade export-public --assignment NAME --out DIR      a pack for students' repositories
  grade ci-template --assignment NAME                  their CI job (GitHub or GitLab)
  grade collect REPOS.txt --assignment NAME --out DIR  fetch at the deadline, grade all
  grade gradescope-bundle --assignment NAME --out ZIP  Gradescope's autograder zip

exit status:
  0  graded, every check passed
  1  graded, something failed
  2  could not grade (bad arguments, unknown assignment, missing submission):
     one line on stderr
"""

BATCH_EPILOG = """\
SUBMISSIONS_DIR holds one submission per student: a subfolder, or a file directly in
it (.py, .ipynb, .zip, .tar.gz); the student's name is the folder's name, or the file's
name without its extension. Reports go to OUT/<student>.json and OUT/<student>.html,
OUT/summary.json holds the class figures, OUT/grades.csv the gradebook (with --roster,
its students and columns) and OUT/index.html the class dashboard. A student whose
report was made from the same content (same files, pack, grader version, seed and
sandbox mode) is skipped.

exit status:
  0  every submission graded or up to date (students' failures are not errors)
  1  the grader itself failed on some submission (listed in summary.json)
  2  could not run the batch (bad arguments, no submissions), or interrupted (Ctrl-C):
     the reports already written are kept, and summary.json says "interrupted"
"""


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting."""

    def error(self, message: str):
        raise GraderError(message)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--engine", choices=ENGINES, default=DEFAULTS.engine,
                        help="warm: pre-imported worker (default); "
                        "fresh: new interpreter per task")
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
    parser.add_argument("--audience", choices=AUDIENCES, default=AUDIENCES[0],
                        help="who reads the HTML, Gradescope, JUnit, Markdown and annotation "
                        "reports: student (default) does not show the inputs and expected "
                        "values of hidden checks; the JSON report always holds everything")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="grade", usage=GRADE_USAGE, description="Grade a submission.",
                     epilog=GRADE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submission", metavar="SUBMISSION",
                        help="a folder, .py module, notebook, or .zip/.tar.gz of one")
    parser.add_argument("--assignment", metavar="NAME", help="assignment pack (default: "
                        "recognised from the file names)")
    parser.add_argument("--json", metavar="PATH", help="write the JSON report (- for stdout)")
    parser.add_argument("--html", metavar="PATH", help="write the HTML report")
    for name, renderer in RENDERERS.items():
        parser.add_argument(f"--{name}", metavar="PATH",
                            help=f"write {renderer.DESCRIPTION} (- for stdout)")
    parser.add_argument("--quiet", action="store_true",
                        help="no table on the terminal: only the one-line score")
    parser.add_argument("--task", metavar="ID", action="append", default=[],
                        help="grade only this task (repeatable)")
    parser.add_argument("--execute", action="store_true",
                        help="notebooks: also run the whole notebook top to bottom in the "
                        "sandbox (the \"runs top to bottom\" check)")
    parser.add_argument("--version", action="version", version=f"grade {__version__}")
    _common(parser)
    return parser


def build_batch_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="grade batch", description="Grade a whole class: every submission "
                     "in a folder.", epilog=BATCH_EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submissions", metavar="SUBMISSIONS_DIR",
                        help="one subfolder or file per student")
    parser.add_argument("--assignment", required=True, metavar="NAME",
                        help="assignment pack (required: a batch is never guessed)")
    parser.add_argument("--out", required=True, metavar="DIR", help="where reports go (required)")
    parser.add_argument("--force", action="store_true", help="re-grade up-to-date reports")
    parser.add_argument("--roster", metavar="CSV", help="who should hand in: first column the "
                        "submission's name, other columns copied to OUT/grades.csv")
    parser.add_argument("--executor", choices=EXECUTORS, default="local",
                        help="who grades: local (this machine, default) or ray (every node of "
                        "a Ray cluster, as many submissions at once as it has CPUs)")
    parser.add_argument("--ray-address", metavar="ADDR", help="the Ray cluster (default: "
                        "$RAY_ADDRESS, else a Ray instance started on this machine)")
    _common(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv[:1] == ["batch"]:
            from grader.batch import run_batch
            from grader.roster import read_roster
            args = build_batch_parser().parse_args(argv[1:])
            return run_batch(args.submissions, args.out, options_from(args), force=args.force,
                             audience=args.audience,
                             class_roster=read_roster(args.roster) if args.roster else None,
                             executor=make_executor(args.executor, args.ray_address))
        from grader.verbs import VERBS, run_verb
        if argv[:1] and argv[0] in VERBS:
            return run_verb(argv[0], argv[1:])
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
    if args.seed is not None and not 0 <= args.seed < MAX_SEED:
        raise GraderError(f"--seed must be between 0 and {MAX_SEED - 1}")
    if args.scratch is not None and not os.path.isdir(args.scratch):
        raise GraderError(f"scratch folder not found: {args.scratch}")
    for folder in args.packs:
        if not os.path.isdir(folder):
            raise GraderError(f"packs folder not found: {folder}")
    return Options(assignment=args.assignment, seed=args.seed, engine=args.engine,
                   sandbox=args.sandbox, jobs=args.jobs, scratch=args.scratch,
                   packs=tuple(args.packs), tasks=tuple(getattr(args, "task", ())),
                   execute=getattr(args, "execute", False))


def _grade_one(args: argparse.Namespace) -> int:
    formats = {name: getattr(args, name) for name in RENDERERS if getattr(args, name)}
    for path in (args.json, args.html, *formats.values()):
        check_writable(path)
    report = grade(args.submission, options_from(args))
    if args.json:
        write_text(args.json, json_report.render(report))
    if args.html:
        write_text(args.html, html.render(report, args.audience))
    if formats:
        data = json_report.to_dict(report)
        for name, path in formats.items():
            write_text(path, render_as(name, data, args.audience))
    if "-" not in (args.json, args.html, *formats.values()):  # stdout holds a report
        console = Console(stderr=False)
        if args.quiet:
            console.print(terminal.score_line(report), highlight=False)
        else:
            terminal.render(report, console)
    return EXIT_OK if report.full_marks and all(t.style_ok for t in report.tasks) \
        else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
