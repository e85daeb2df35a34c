"""The `grade` verbs that take grades off the machine (../shared/contract/exports.md):

    grade export-public --assignment NAME --out DIR [--seed N] [--rtol R] [--atol A]
    grade ci-template --assignment NAME [--provider github|gitlab] [--packs-path P]
                      [--grader-source SPEC]
    grade collect REPOS.txt --assignment NAME --out OUT [--deadline ISO8601] [batch options]
    grade gradescope-bundle --assignment NAME --out autograder.zip

Each verb parses its arguments here and calls one function of its own module
(export_public, ci_template, collect, gradescope_bundle); the exit status and
errors follow grader/cli.py (0 done, 1 done with failures, 2 could not).
"""
from __future__ import annotations

import argparse
import sys

from grader.cli import EXIT_OK, _common, _Parser, options_from
from grader.pipeline import Options

VERBS = ("export-public", "ci-template", "collect", "gradescope-bundle")
COLLECT_DESCRIPTION = """\
Fetch every student's repository at its last commit before the deadline, then grade
them all as one batch (hidden checks included) into OUT, as grade batch does.

REPOS.txt: one git URL a line, optionally followed by the student's name.

exit status:
  0  every repository fetched and graded
  1  some repository could not be fetched (listed), or the grader failed on some
     submission
  2  could not run (bad arguments, no repository fetched)
"""


def run_verb(verb: str, argv: list[str]) -> int:
    return {"export-public": _export_public, "ci-template": _ci_template,
            "collect": _collect, "gradescope-bundle": _gradescope_bundle}[verb](argv)


def _export_public(argv: list[str]) -> int:
    from grader.export_public import DEFAULT_TOLERANCE, export_public
    parser = _Parser(prog="grade export-public",
                     description="Write a pack for students' repositories: the public cases "
                     "and their expected outputs only (no reference solution, no hidden case, "
                     "no code that computes an answer), to DIR/<assignment>/.")
    parser.add_argument("--assignment", required=True, metavar="NAME")
    parser.add_argument("--out", required=True, metavar="DIR", help="a folder of packs: "
                        "students grade with `grade --packs DIR`")
    parser.add_argument("--seed", type=int, default=0, help="the seed of the cases (default 0)")
    parser.add_argument("--rtol", type=float, default=DEFAULT_TOLERANCE["rtol"],
                        help="relative tolerance of the comparisons (default %(default)g)")
    parser.add_argument("--atol", type=float, default=DEFAULT_TOLERANCE["atol"],
                        help="absolute tolerance of the comparisons (default %(default)g)")
    parser.add_argument("--packs", metavar="DIR", action="append", default=[],
                        help="a folder of assignment packs to look in first (repeatable)")
    args = parser.parse_args(argv)
    exported = export_public(args.assignment, args.out,
                             Options(packs=tuple(args.packs), seed=args.seed),
                             {"rtol": args.rtol, "atol": args.atol})
    for task_id, names in exported.cases.items():
        print(f"task {task_id}: {len(names)} public case(s): {', '.join(names)}")
    for what, why in exported.left_out.items():
        print(f"left out: task {what}: {why}")
    print(f"public pack written to {exported.folder}")
    return EXIT_OK


def _ci_template(argv: list[str]) -> int:
    from grader.ci_template import DEFAULT_PACKS, PROVIDERS, ci_template
    parser = _Parser(prog="grade ci-template",
                     description="Print the CI job that grades a student's repository with "
                     "the assignment's public pack (see grade export-public).")
    parser.add_argument("--assignment", required=True, metavar="NAME")
    parser.add_argument("--provider", choices=PROVIDERS, default=PROVIDERS[0])
    parser.add_argument("--packs-path", default=DEFAULT_PACKS, metavar="PATH",
                        help="where the public pack is committed in the repository "
                        "(default %(default)s)")
    parser.add_argument("--grader-source", metavar="SPEC",
                        help="what pip installs: a git URL (git+https://...@TAG), a wheel's "
                        "URL or a package name (default: the git URL and commit of this "
                        "grader)")
    args = parser.parse_args(argv)
    sys.stdout.write(ci_template(args.assignment, args.provider, args.packs_path,
                                 args.grader_source))
    return EXIT_OK


def _collect(argv: list[str]) -> int:
    from grader.collect import collect
    parser = _Parser(prog="grade collect", formatter_class=argparse.RawDescriptionHelpFormatter,
                     description=COLLECT_DESCRIPTION)
    parser.add_argument("repos", metavar="REPOS.txt")
    parser.add_argument("--assignment", required=True, metavar="NAME")
    parser.add_argument("--out", required=True, metavar="DIR")
    parser.add_argument("--deadline", metavar="ISO8601",
                        help="e.g. 2026-03-01T23:59:00+01:00 (default: the last commit)")
    parser.add_argument("--force", action="store_true", help="re-grade up-to-date reports")
    _common(parser)
    args = parser.parse_args(argv)
    return collect(args.repos, args.out, options_from(args), deadline=args.deadline,
                   force=args.force, audience=args.audience)


def _gradescope_bundle(argv: list[str]) -> int:
    from grader.gradescope_bundle import gradescope_bundle
    parser = _Parser(prog="grade gradescope-bundle",
                     description="Write the autograder zip Gradescope expects (setup.sh, "
                     "run_autograder): it installs the grader and the pack, grades "
                     "/autograder/submission and writes /autograder/results/results.json.")
    parser.add_argument("--assignment", required=True, metavar="NAME")
    parser.add_argument("--out", required=True, metavar="ZIP")
    parser.add_argument("--packs", metavar="DIR", action="append", default=[],
                        help="a folder of assignment packs to look in first (repeatable)")
    args = parser.parse_args(argv)
    path = gradescope_bundle(args.assignment, args.out, tuple(args.packs))
    print(f"Gradescope autograder written to {path}")
    return EXIT_OK
