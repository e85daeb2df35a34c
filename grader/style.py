"""Requirement checks: judged on the file's text, never by running it.

They are reported with kind "requirement" and never change a correctness
verdict. Parsing uses `ast` (no code runs) and pycodestyle as a library.
"""
from __future__ import annotations

import ast
import functools

import pycodestyle

from grader.models import REQUIREMENT, CheckResult, Task
from grader.submission import SubmittedFile

SHEBANG = "#!/usr/bin/env python3"


def check_style(task: Task, item: SubmittedFile) -> list[CheckResult]:
    """Every requirement check of one task file."""
    text = item.text
    results = [
        _result("shebang line", text.split("\n", 1)[0].rstrip("\r") == SHEBANG,
                f"the first line must be exactly `{SHEBANG}`"),
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


def _result(name: str, passed: bool, message: str) -> CheckResult:
    return CheckResult(name=name, kind=REQUIREMENT, passed=passed, message="" if passed else message)


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
    lines = item.text.splitlines(keepends=True)
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
