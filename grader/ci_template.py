"""`grade ci-template`: the CI job that grades a student's repository on every push.

It installs the grader, grades the repository's root with the assignment's
public pack (`grade export-public`, committed in the starter repository under
`.grader/packs/`), puts the Markdown summary on the job page, uploads the JSON,
HTML and JUnit reports as artifacts, annotates the files of failing tasks, and
fails when a correctness check fails (a style problem is an annotation, not a
failed job). It depends on nothing but plain GitHub Actions (`actions/checkout`,
`actions/setup-python`, `actions/upload-artifact`), or on GitLab CI and its
JUnit test report: GitHub Classroom's autograding service was retired in 2026.
"""
from __future__ import annotations

import json
import re
import shlex
import subprocess
from importlib import metadata
from string import Template

from grader import __version__
from grader.errors import GraderError
from grader.packs import REPO_ROOT

PROVIDERS = ("github", "gitlab")
DEFAULT_PACKS = ".grader/packs"
REPORTS = "grade-reports"
_SCP_LIKE = re.compile(r"^[\w.-]+@([\w.-]+):(.+)$")  # git@host:owner/repo.git

# A correctness check failed: the job fails (a failed requirement check alone does not).
_GATE = """python - <<'PY'
import json
import sys
tasks = json.load(open("$reports/report.json"))["tasks"]
failing = [task["id"] for task in tasks if not task["correct"]]
print("correctness checks fail in task(s): " + ", ".join(failing) if failing
      else "every correctness check passed")
sys.exit(1 if failing else 0)
PY"""

_GRADE = """mkdir -p $reports
status=0
grade . --assignment $assignment --packs $packs --quiet \\
  --json $reports/report.json --html $reports/report.html \\
  --markdown $reports/summary.md --junit $reports/junit.xml \\
  --annotations $reports/annotations.txt || status=$$?
if [ "$$status" -ge 2 ]; then
  echo "${error}the grader could not grade this repository (see the log)"
  exit "$$status"
fi"""

GITHUB = """\
# Grades this repository with the public checks of "$assignment" on every push.
# Written by `grade ci-template --assignment $assignment --provider github` (grader $version):
# save it as .github/workflows/grade.yml. The public pack (`grade export-public`) is
# committed under $packs/. Plain GitHub Actions only.
name: grade
on:
  push:
  pull_request:
  workflow_dispatch:
permissions:
  contents: read
jobs:
  grade:
    runs-on: ubuntu-24.04
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install the grader
        run: python -m pip install $source
      - name: Grade with the public checks
        run: |
$grade
      - name: Summary on the job page
        if: always()
        run: |
          if [ -f $reports/summary.md ]; then
            cat $reports/summary.md >> "$$GITHUB_STEP_SUMMARY"
          fi
      - name: Annotate failing files
        if: always()
        run: |
          if [ -f $reports/annotations.txt ]; then cat $reports/annotations.txt; fi
      - name: Upload the reports
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: $reports
          path: $reports/
          if-no-files-found: ignore
      - name: Fail when a correctness check failed
        run: |
$gate
"""

GITLAB = """\
# Grades this repository with the public checks of "$assignment" on every push.
# Written by `grade ci-template --assignment $assignment --provider gitlab` (grader $version):
# save it as .gitlab-ci.yml. The public pack (`grade export-public`) is committed under
# $packs/. Failing checks show in the merge request through GitLab's JUnit test report.
grade:
  image: python:3.11-slim-bookworm
  timeout: 30 minutes
  script:
    - python -m pip install $source
    - |
$grade
    - cat $reports/summary.md
    - |
$gate
  artifacts:
    when: always
    paths:
      - $reports/
    reports:
      junit: $reports/junit.xml
"""


def ci_template(assignment: str, provider: str = "github", packs: str = DEFAULT_PACKS,
                source: str | None = None) -> str:
    """The workflow (github) or pipeline (gitlab) file, as text. `source` is what pip
    installs (default: `grader_source()`)."""
    source = source or grader_source()
    if provider not in PROVIDERS:
        raise GraderError(f"unknown provider {provider!r} (known: {', '.join(PROVIDERS)})")
    if not assignment or any(c.isspace() for c in assignment):
        raise GraderError(f"bad assignment name {assignment!r}")
    names = {"assignment": shlex.quote(assignment), "packs": shlex.quote(packs),
             "reports": REPORTS, "source": shlex.quote(source), "version": __version__,
             "error": "::error title=grader::" if provider == "github" else "error: "}
    indent = " " * (10 if provider == "github" else 6)
    blocks = {key: _indented(Template(text).substitute(names), indent)
              for key, text in (("grade", _GRADE), ("gate", _GATE))}
    return Template(GITHUB if provider == "github" else GITLAB).substitute(names, **blocks)


def grader_source() -> str:
    """Where students' CI installs this very grader from: the git URL and commit it was
    installed from, else this checkout's `origin` at its HEAD commit. Never a bare package
    name: an index may hold someone else's `grader`."""
    try:
        direct = json.loads(metadata.distribution("grader").read_text("direct_url.json") or "{}")
    except (metadata.PackageNotFoundError, ValueError):
        direct = {}
    if "vcs_info" in direct:
        return f"git+{direct['url']}@{direct['vcs_info']['commit_id']}"
    try:
        remote = _git("remote", "get-url", "origin")
        commit = _git("rev-parse", "HEAD")
    except (OSError, subprocess.CalledProcessError):
        raise GraderError("cannot tell where students' CI should install the grader from "
                          "(this checkout has no git remote `origin`): give --grader-source, "
                          "e.g. git+https://host/course/grader@v1") from None
    scp = _SCP_LIKE.match(remote)
    url = f"https://{scp.group(1)}/{scp.group(2)}" if scp else remote
    return f"git+{url}@{commit}"


def _git(*arguments: str) -> str:
    return subprocess.run(["git", "-C", str(REPO_ROOT), *arguments], capture_output=True,
                          text=True, check=True, timeout=30).stdout.strip()


def _indented(text: str, indent: str) -> str:
    return "\n".join(indent + line if line else line for line in text.splitlines())
