"""`grade gradescope-bundle`: the autograder zip Gradescope builds its image from.

The zip's root holds what Gradescope runs (its "autograder specifications"):
- `setup.sh`, run once as root when the image is built: Python, libseccomp2,
  a virtualenv at /autograder/venv with the grader's locked dependencies, and
  the grader itself from `grader-source/` (this checkout's code, with only the
  assignment's pack in its `assignments/`);
- `run_autograder`, run for each submission: grades /autograder/submission with
  every check (hidden ones included) and writes
  /autograder/results/results.json (grader/report/gradescope.py, as students
  may read it); a submission that cannot be graded still gets a results.json
  that says why, with score 0;
- `solutions/<name>/`: the reference solutions, which the hidden checks need.
  Students' code runs in the grader's sandbox, which cannot read them (Landlock).

Paths can be moved for a local test: AUTOGRADER_ROOT (default /autograder) and
GRADE (default $AUTOGRADER_ROOT/venv/bin/grade). Gradescope's Ubuntu 24.04
base image has the Python (3.12) the grader needs (3.11 or newer).
"""
from __future__ import annotations

import os
import shlex
import shutil
import tempfile
import zipfile
from pathlib import Path
from string import Template

from grader.errors import GraderError
from grader.packs import REPO_ROOT, load_pack

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
ROOT="$${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$$ROOT/source"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv libseccomp2
python3 -m venv "$$ROOT/venv"
"$$ROOT/venv/bin/python" -m pip install --quiet --upgrade pip
"$$ROOT/venv/bin/python" -m pip install --quiet -r "$$SOURCE/grader-source/requirements.lock"
"$$ROOT/venv/bin/python" -m pip install --quiet --no-deps "$$SOURCE/grader-source"
"$$ROOT/venv/bin/grade" --version
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission: grade it with every check of "$assignment"
# and write results/results.json (a submission that cannot be graded gets one that says why).
set -uo pipefail
ROOT="$${AUTOGRADER_ROOT:-/autograder}"
GRADE="$${GRADE:-$$ROOT/venv/bin/grade}"
SOURCE="$$ROOT/source"
RESULTS="$$ROOT/results/results.json"
mkdir -p "$$ROOT/results"
export GRADER_PACKS="$$SOURCE/grader-source/assignments"
export GRADER_SOLUTIONS="$$SOURCE/solutions"
errors="$$(mktemp)"
status=0
"$$GRADE" "$$ROOT/submission" --assignment $assignment --audience student --quiet \\
  --gradescope "$$RESULTS" 2> "$$errors" || status=$$?
cat "$$errors" >&2
if [ "$$status" -ge 2 ] || [ ! -s "$$RESULTS" ]; then
  python3 - "$$RESULTS" "$$errors" <<'PY'
import json
import sys
message = open(sys.argv[2], encoding="utf-8", errors="replace").read().strip()
message = message.removeprefix("grade: error: ") or "the grader could not run"
with open(sys.argv[1], "w", encoding="utf-8") as results:
    json.dump({"score": 0, "output": "Your submission could not be graded: " + message,
               "tests": []}, results)
PY
fi
rm -f "$$errors"
exit 0
"""

_SOURCE_FILES = ("pyproject.toml", "requirements.lock")
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")


def gradescope_bundle(assignment: str, out: str, packs: tuple[str, ...] = ()) -> Path:
    """Write the autograder zip for `assignment` to `out`; its path."""
    pack = load_pack(assignment, packs)
    if pack.solutions is None:
        raise GraderError(f"assignment {assignment!r}: its reference solutions were not found "
                          f"(the hidden checks need them)")
    missing = [name for name in _SOURCE_FILES if not (REPO_ROOT / name).is_file()]
    if missing:
        raise GraderError(f"gradescope-bundle needs the grader's source checkout "
                          f"({', '.join(missing)} not found in {REPO_ROOT})")
    target = Path(out)
    if target.is_dir():
        raise GraderError(f"cannot write {out}: it is a folder")
    with tempfile.TemporaryDirectory(prefix="grade-bundle-") as scratch:
        root = Path(scratch)
        source = root / "grader-source"
        shutil.copytree(REPO_ROOT / "grader", source / "grader", ignore=_IGNORED)
        for name in _SOURCE_FILES:
            shutil.copy2(REPO_ROOT / name, source / name)
        shutil.copytree(pack.root, source / "assignments" / pack.name, ignore=_IGNORED)
        shutil.copytree(pack.solutions, root / "solutions" / pack.name, ignore=_IGNORED)
        scripts = {"setup.sh": Template(SETUP).substitute(),
                   "run_autograder": Template(RUN).substitute(assignment=shlex.quote(pack.name))}
        staged = root / "autograder.zip"
        with zipfile.ZipFile(staged, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in scripts.items():
                info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
                info.external_attr = 0o100755 << 16
                archive.writestr(info, text)
            for path in sorted(p for p in root.rglob("*") if p.is_file() and p != staged):
                archive.write(path, path.relative_to(root).as_posix())
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(staged, target)
        except OSError as exc:
            raise GraderError(f"cannot write {out}: {exc.strerror}") from None
    os.chmod(target, 0o644)
    return target
