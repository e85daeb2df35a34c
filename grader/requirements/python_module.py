"""File-module requirements: shebang, executable bit, docstrings, imports, pycodestyle.

Judged on the task file's text, never by running it. Parsing uses `ast` (no
code runs) and pycodestyle as a library.

Carriage returns: only the shebang check mentions them. A first line ending
in `\\r` (Windows CRLF, or old-Mac CR endings) cannot run as a script on Unix
(`/usr/bin/env: 'python3\\r': No such file or directory`), so the shebang
check fails and says how to fix it. The other checks judge such a file as
the curriculum's tools do, and do not repeat the news: Python parses CRLF
source, "ends with a newline" accepts a final `\\r\\n`, and the pycodestyle
command reads files with universal newlines, so it reports nothing about
`\\r` (pycodestyle 2.15 given CRLF lines in memory reports nothing either).
pycodestyle is given the lines exactly as its command would read them from
disk (universal newlines, split on line ends only): CR-only files and form
feeds inside a line would otherwise be split differently and draw errors the
command never reports.
"""
from __future__ import annotations

import ast
import functools
import io

import pycodestyle

from grader.formats.model import Submission, SubmittedFile
from grader.models import REQUIREMENT, CheckResult, Task

SHEBANG = "#!/usr/bin/env python3"


def check(task: Task, submission: Submission) -> list[CheckResult]:
    """Every requirement check of the task's file; none when the file is absent."""
    item = submission.module if task.file is None else submission.get(task.file)
    if item is None:
        return []  # the pipeline reports the missing file itself
    text = item.text
    results = [
        _shebang(item),
        _result("executable bit", item.executable,
                f"{item.name} must be executable (chmod +x {item.name})"),
        _result("ends with a newline", text.endswith("\n"),
                "the file must end with a newline character"),
    ]
    try:
        tree = ast.parse(text, filename=item.name)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        msg = f"cannot parse the file: {exc.__class__.__name__}: {getattr(exc, 'msg', exc)}"
        results += [_result(name, False, msg) for name in
                    ("module docstring", "function docstrings", "allowed imports")]
    else:
        results += [_module_docstring(tree), _function_docstrings(tree),
                    _imports(tree, task.allowed_imports)]
    results.append(_pycodestyle(item))
    return results


def _shebang(item: SubmittedFile) -> CheckResult:
    """The first line is exactly the shebang, with a Unix line end."""
    first = item.text.split("\n", 1)[0]
    if first == SHEBANG:
        return _result("shebang line", True, "")
    message = f"the first line must be exactly `{SHEBANG}`"
    if "\r" in first:
        head, _, after = item.text.partition("\r")
        crlf = after.startswith("\n")  # else CR-only (old Mac) line ends
        endings = "Windows (CRLF)" if crlf else "carriage-return (CR)"
        tool = "dos2unix" if crlf else "mac2unix"
        fix = f"save it with Unix (LF) line endings (e.g. `{tool} {item.name}`)"
        if head == SHEBANG:
            program = "python3\\r" if crlf else "python3\\r..."
            message = (f"the file has {endings} line endings: `/usr/bin/env` looks for "
                       f"`{program}` and the script cannot run; {fix}")
        else:
            message += (f"; the file also has {endings} line endings, which break any "
                        f"shebang: {fix}")
    return _result("shebang line", False, message)


def _result(name: str, passed: bool, message: str) -> CheckResult:
    return CheckResult(name=name, kind=REQUIREMENT, passed=passed,
                       message="" if passed else message)


def _module_docstring(tree: ast.Module) -> CheckResult:
    return _result("module docstring", bool(ast.get_docstring(tree)),
                   "the module needs a docstring (a string literal before any code)")


def _function_docstrings(tree: ast.Module) -> CheckResult:
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    missing = [f"{node.name} (line {node.lineno})" for node in ast.walk(tree)
               if isinstance(node, kinds) and not ast.get_docstring(node)]
    return _result("function docstrings", not missing,
                   "every function and class needs a docstring; missing: " + ", ".join(missing))


def _import_forms(node: ast.Import | ast.ImportFrom) -> list[tuple[str, str]]:
    """(written form, bound name) for each name an import statement binds."""
    forms = []
    for alias in node.names:
        if isinstance(node, ast.Import):
            written = f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
            bound = alias.asname or alias.name.split(".")[0]
        else:
            module = "." * node.level + (node.module or "")
            written = f"from {module} import {alias.name}" + (
                f" as {alias.asname}" if alias.asname else "")
            bound = alias.asname or alias.name
        forms.append((written, bound))
    return forms


def _imports(tree: ast.Module, allowed: tuple[str, ...]) -> CheckResult:
    """Only the allowed import statements, and each one used."""
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for written, bound in _import_forms(node):
                if written not in allowed:
                    problems.append(f"`{written}` is not allowed (line {node.lineno})")
                elif bound != "*" and bound not in used:
                    problems.append(f"`{written}` is never used (line {node.lineno})")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id == "__import__"):
            problems.append(f"`__import__(...)` is not allowed (line {node.lineno})")
    allowed_text = " or ".join(f"`{a}`" for a in allowed) or "no import"
    return _result("allowed imports", not problems,
                   "; ".join(problems) + f". Allowed: {allowed_text}")


def _pycodestyle(item: SubmittedFile) -> CheckResult:
    """pycodestyle's default checks, run on the in-memory lines (no file is read)."""
    # as pycodestyle's command reads a file: universal newlines, split on line ends only
    lines = io.StringIO(item.text, newline=None).readlines()
    options = _pycodestyle_options()
    checker = pycodestyle.Checker(filename=item.name, lines=lines, options=options,
                                  report=_CollectingReport(options))
    report = checker.report
    try:
        checker.check_all()
    except (RecursionError, MemoryError, ValueError, SyntaxError) as exc:
        return _result("pycodestyle", False, f"pycodestyle could not check the file: {exc}")
    shown = report.problems[:5]
    more = len(report.problems) - len(shown)
    message = "; ".join(shown) + (f"; and {more} more" if more > 0 else "")
    return _result("pycodestyle", not report.problems, message)


@functools.cache
def _pycodestyle_options():
    """pycodestyle's default options, parsed once: building them costs more than a check."""
    return pycodestyle.StyleGuide(quiet=True).options


class _CollectingReport(pycodestyle.BaseReport):
    """Keeps pycodestyle's findings as short strings instead of printing them."""

    def __init__(self, options) -> None:
        super().__init__(options)
        self.problems: list[str] = []

    def error(self, line_number, offset, text, check):
        code = super().error(line_number, offset, text, check)
        if code:
            self.problems.append(f"line {line_number}:{offset + 1} {text}")
        return code
