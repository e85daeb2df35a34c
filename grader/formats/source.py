"""Definitions only: a module or notebook reduced to what it defines, never run here.

Kept top-level statements: imports, `def`/`async def`/`class` (with their
decorators), plain and annotated assignments whose value calls nothing but a
few pure constructors (`np.array`, `int`, `range`, `np.random.default_rng`,
...) and uses no name that only a dropped statement sets, `try:` blocks whose
body is only imports, and a module's docstring. Everything else (training
loops, prints, plots, `nnfs.init()`, `np.random.seed(1)`, `if __name__ ==
"__main__":` blocks) is dropped and counted in one note; the names only dropped
statements set are kept with where they are set (`Analysis.not_run`), so that a
function reading one of them is told why it is undefined.

For a module the kept statements stay on their original lines (dropped ones
become blank lines), so every line number is the file's. For a notebook the
code cells are concatenated in notebook order, each kept statement preceded by
a `# cell N, line L` comment (N: the cell's position among all cells, counted
from 1 as `Definition.cell` is; L: the line in the cell), which
`source_origin` reads back.

Compiling (never running) decides what a cell defines, as the kernel would: a
cell that does not compile defines nothing, and an earlier definition of the
same name stays in effect.
"""
from __future__ import annotations

import __future__ as future_module
import ast
import re
from dataclasses import dataclass, field

from grader.formats.model import Definition
from grader.formats.notebook import NotANotebook, code_cells, normalized, python_source

_ORIGIN = re.compile(r"# cell (\d+), line (\d+)$")
MARKER = re.compile(r"^[ \t]*#+[ \t]*graded[ \t_]*(?:function|class)[ \t]*:?[ \t]*"
                    r"([A-Za-z_]\w*)", re.IGNORECASE | re.MULTILINE)
_REGION_START = re.compile(r"#.*\b(?:start\s+code\s+here|code\s+starts\s+here)", re.IGNORECASE)
# (The 2017 Regularization notebook ends one region with its own typo, "END CODER HERE".)
_REGION_END = re.compile(r"#.*\b(?:end\s+coder?\s+here|code\s+ends\s+here)", re.IGNORECASE)
_PLACEHOLDER_LINE = re.compile(
    r"""(\#.*)?                                   # blank or a comment
      | pass | \.\.\. | None
      | raise\s+NotImplementedError\b.*
      | [^=#]*[^=!<>#]=\s*[(\[]?\s*None(\s*,\s*None)*\s*,?\s*[)\]]?\s*(\#.*)?   # x = None""",
    re.VERBOSE)

PURE_CALLS = frozenset({"float", "int", "str", "bool", "complex", "bytes", "tuple", "list",
                        "dict", "set", "frozenset", "range", "slice",
                        "namedtuple"})  # `Entry = namedtuple("Entry", "step loss")` defines a class
PURE_NUMPY = frozenset({"array", "asarray", "zeros", "ones", "full", "empty", "eye",
                        "identity", "arange", "linspace", "zeros_like", "ones_like",
                        "float16", "float32", "float64", "int8", "int16", "int32", "int64",
                        "uint8", "bool_", "dtype"})
_NUMPY_NAMES = frozenset({"np", "numpy"})
# `rng = np.random.default_rng(42)` at the top, used by the functions: a generator, kept.
PURE_NUMPY_RANDOM = frozenset({"default_rng", "RandomState", "Generator", "PCG64",
                               "SeedSequence"})


@dataclass
class Analysis:
    """A module or notebook, reduced: source to load, what it defines, and notes."""

    filename: str
    source: str
    definitions: dict[str, Definition] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    all_definitions: dict[str, list[Definition]] = field(default_factory=dict)  # all, in order
    marked: dict[str, list[int | None]] = field(default_factory=dict)  # name -> cells marking it
    parsed: bool = True  # a module that does not compile is returned as it is
    notebook: bool = False
    # names set only by top-level statements that are not run -> where ("cell 4, line 2")
    not_run: dict[str, str] = field(default_factory=dict)


def analyse_file(text: str, filename: str) -> Analysis:
    """A module reduced to its definitions, or a notebook for a `.ipynb` filename (`text`
    is then the notebook's JSON): the source to load, notes for a report, and the rest.

    A module that does not compile is returned unchanged (loading it then reports the
    SyntaxError where it is; nothing of it runs); a text that is not a notebook gives
    an empty source and the reason as its note.
    """
    if filename.lower().endswith(".ipynb"):
        try:
            return analyse_notebook(code_cells(text), filename)
        except NotANotebook as exc:
            return Analysis(filename, "", notes=[f"{filename} is {exc.skip_reason}"],
                            parsed=False, notebook=True)
    return analyse_module(text, filename)


def source_origin(source: str, line: int) -> tuple[int, int] | None:
    """(cell, line in the cell) of a line of a notebook's definitions-only source."""
    lines = source.split("\n")
    for number in range(min(line, len(lines)) - 1, -1, -1):
        match = _ORIGIN.fullmatch(lines[number])
        if match:
            return int(match.group(1)), int(match.group(2)) + (line - number - 2)
    return None


# ------------------------------------------------------------------ entry points
def analyse_module(text: str, filename: str) -> Analysis:
    text = normalized(text)
    lines = text.split("\n")
    try:
        tree = _compiled(text, filename, top_level_await=False)
    except _Unparsable as exc:
        return Analysis(filename, text, notes=[
            f"{filename} could not be parsed ({exc.reason}): it defines nothing"], parsed=False)
    builder = _Builder(filename, notebook=False)
    try:
        builder.unit(tree, lines, None, {m.group(1) for m in MARKER.finditer(text)},
                     _markers_by_def(text, tree))
    except RecursionError:
        return Analysis(filename, text, notes=[
            f"{filename} could not be parsed (it nests too deeply): it defines nothing"],
            parsed=False)
    return builder.finish(len(lines))


def analyse_notebook(cells: list[tuple[int, str]], filename: str) -> Analysis:
    builder = _Builder(filename, notebook=True)
    for index, raw in cells:
        text = python_source(raw)
        if text is None or not text.strip():
            continue
        try:
            tree = _compiled(text, f"{filename}, cell {index}", top_level_await=True)
        except _Unparsable as exc:
            builder.notes.append(f"cell {index} could not be parsed ({exc.reason}): "
                                 "it defines nothing")
            continue
        marked = {match.group(1) for match in MARKER.finditer(text)}
        state = builder.save()
        try:
            builder.unit(tree, text.split("\n"), index, marked)
        except RecursionError:
            builder.restore(state)
            builder.notes.append(f"cell {index} could not be parsed (it nests too deeply): "
                                 "it defines nothing")
    return builder.finish(None)


class _Unparsable(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _compiled(text: str, filename: str, top_level_await: bool) -> ast.Module:
    """The AST of text that compiles (never runs); raises _Unparsable with a reason.

    A notebook cell may `await` at the top level, as the kernel allows."""
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT if top_level_await else 0
    try:
        tree = compile(text, filename, "exec", ast.PyCF_ONLY_AST | flags, dont_inherit=True)
        compile(tree, filename, "exec", flags, dont_inherit=True)
    except SyntaxError as exc:
        where = f", line {exc.lineno}" if exc.lineno else ""
        raise _Unparsable(f"{type(exc).__name__}: {exc.msg}{where}") from None
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
        detail = "it nests too deeply" if isinstance(exc, RecursionError) else (
            f"{type(exc).__name__}: {' '.join(str(exc).split())[:100]}")
        raise _Unparsable(detail) from None
    return tree


# ------------------------------------------------------------------ the reduction
@dataclass
class _Kept:
    cell: int | None
    line: int  # first line of the statement (its first decorator)
    text: str


class _Builder:
    def __init__(self, filename: str, notebook: bool):
        self.filename = filename
        self.notebook = notebook
        self.kept: list[_Kept] = []
        self.future: dict[str, None] = {}
        self.bound: set[str] = set()  # names a kept statement sets
        self.unset: dict[str, str] = {}  # names only dropped statements set -> where
        self.dropped = 0
        self.notes: list[str] = []
        self.definitions: dict[str, Definition] = {}
        self.all_definitions: dict[str, list[Definition]] = {}
        self.marked: dict[str, list[int | None]] = {}

    def save(self):
        return (len(self.kept), dict(self.future), set(self.bound), dict(self.unset),
                self.dropped, len(self.notes), dict(self.definitions),
                {k: list(v) for k, v in self.all_definitions.items()},
                {k: list(v) for k, v in self.marked.items()})

    def restore(self, state) -> None:
        (kept, self.future, self.bound, self.unset, self.dropped, notes, self.definitions,
         self.all_definitions, self.marked) = state
        del self.kept[kept:]
        del self.notes[notes:]

    def unit(self, tree: ast.Module, lines: list[str], cell: int | None,
             marker_names: set[str], marked_nodes: dict[ast.AST, str] | None = None) -> None:
        """Reduce one module or cell. `marker_names`: the names its GRADED markers name;
        `marked_nodes` (a module): the def/class nodes a marker just above names (in a
        notebook, every definition in a cell whose marker names it is marked)."""
        for name in marker_names:
            self.marked.setdefault(name, []).append(cell)
        for position, node in enumerate(tree.body):
            self._statement(node, position, lines, cell,
                            marker_names if marked_nodes is None else set(), marked_nodes or {})

    def _statement(self, node: ast.stmt, position: int, lines: list[str], cell: int | None,
                   marked: set[str], marked_nodes: dict[ast.AST, str]) -> None:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__" and self.notebook:
            for alias in node.names:
                if alias.name in future_module.all_feature_names:
                    self.future[alias.name] = None
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            self._keep(node, lines, cell, _import_names(node))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            uses = _definition_time_names(node) & self.unset.keys() - self.bound
            if uses:
                self.notes.append(
                    f"{node.name}{_where(cell, node.lineno)}: its definition uses "
                    f"{', '.join(sorted(uses))}, set only by statements that are not run")
            self._keep(node, lines, cell, {node.name})
            is_marked = node.name in marked or marked_nodes.get(node) == node.name
            kind = "class" if isinstance(node, ast.ClassDef) else "function"
            self._define(Definition(node.name, kind, cell, node.lineno, is_marked,
                                    _placeholder_definition(node, lines)))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and self._constant(node):
            targets = _assigned_names(node)
            self._keep(node, lines, cell, targets)
            placeholder = node.value is None or _is_none(node.value)
            kind = "function" if isinstance(node.value, ast.Lambda) else "constant"
            for name in targets:
                self._define(Definition(name, kind, cell, node.lineno,
                                        name in marked, placeholder))
        elif isinstance(node, ast.Try) and self._guarded_import(node):
            self._keep(node, lines, cell, _stored_names(node))
        elif (not self.notebook and position == 0 and isinstance(node, ast.Expr)
              and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
            self._keep(node, lines, cell, set())  # the module's docstring
        elif isinstance(node, ast.Pass) or (isinstance(node, ast.Expr)
                                            and isinstance(node.value, ast.Constant)):
            pass  # does nothing: neither kept nor counted
        else:
            self.dropped += 1
            where = _where(cell, node.lineno).strip(" ()")
            for name in _stored_names(node) - self.bound:
                self.unset.setdefault(name, where)

    def _guarded_import(self, node: ast.Try) -> bool:
        """`try:` around imports (and constants saying whether they worked)."""
        return any(isinstance(s, (ast.Import, ast.ImportFrom)) for s in node.body) and all(
            isinstance(s, (ast.Import, ast.ImportFrom))
            or isinstance(s, (ast.Assign, ast.AnnAssign)) and self._constant(s)
            for s in node.body)

    def _constant(self, node: ast.Assign | ast.AnnAssign) -> bool:
        """An assignment that only builds a value from names a kept statement set."""
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if not all(_simple_target(t) for t in targets):
            return False
        parts = [p for p in (node.value, getattr(node, "annotation", None)) if p is not None]
        return all(_pure(p) and not (_loaded_names(p) & self.unset.keys() - self.bound) for p in parts)

    def _keep(self, node: ast.stmt, lines: list[str], cell: int | None, names: set[str]) -> None:
        decorators = getattr(node, "decorator_list", None)
        line = decorators[0].lineno if decorators else node.lineno
        col = 0 if decorators else node.col_offset
        self.kept.append(_Kept(cell, line, _segment(lines, line, col, node.end_lineno,
                                                    node.end_col_offset)))
        self.bound |= names
        for name in names:
            self.unset.pop(name, None)

    def _define(self, definition: Definition) -> None:
        self.definitions.pop(definition.name, None)  # the last definition wins, in its order
        self.definitions[definition.name] = definition
        self.all_definitions.setdefault(definition.name, []).append(definition)

    def finish(self, module_lines: int | None) -> Analysis:
        if module_lines is not None:
            source = _in_place(self.kept, module_lines)
        else:
            source = _concatenated(self.kept, self.future, self.filename)
        notes = list(self.notes)
        if self.dropped:
            notes.append(f"{self.dropped} top-level statement{'s' if self.dropped > 1 else ''} "
                         f"that {'do' if self.dropped > 1 else 'does'} work "
                         f"{'were' if self.dropped > 1 else 'was'} not run "
                         "(training loops, prints, plots)")
        return Analysis(self.filename, source, self.definitions, notes, self.all_definitions,
                        self.marked, notebook=self.notebook, not_run=dict(self.unset))


def _where(cell: int | None, line: int) -> str:
    return f" (cell {cell}, line {line})" if cell is not None else f" (line {line})"


def _segment(lines: list[str], line: int, col: int, end_line: int, end_col: int) -> str:
    """The source from (line, col) to (end_line, end_col); columns are UTF-8 byte offsets."""
    def cut(text: str, start: int, stop: int | None) -> str:
        return text.encode("utf-8")[start:stop].decode("utf-8", errors="replace")

    if line == end_line:
        return cut(lines[line - 1], col, end_col)
    return "\n".join([cut(lines[line - 1], col, None), *lines[line:end_line - 1],
                      cut(lines[end_line - 1], 0, end_col)])


def _in_place(kept: list[_Kept], count: int) -> str:
    """Kept statements on their original lines; the rest blank."""
    out = [""] * count
    for item in kept:
        parts = item.text.split("\n")
        index = item.line - 1
        out[index] = f"{out[index]}; {parts[0]}" if out[index] else parts[0]
        for offset, part in enumerate(parts[1:], start=1):
            out[index + offset] = part
    return "\n".join(out)  # as many lines as the module


def _concatenated(kept: list[_Kept], future: dict[str, None], filename: str) -> str:
    out = [f"# Definitions only, from {filename}: '# cell N, line L' says where each "
           "statement comes from."]
    if future:
        out.append(f"from __future__ import {', '.join(future)}")
    for item in kept:
        out.append(f"# cell {item.cell}, line {item.line}")
        out.append(item.text)
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ names and values
def _import_names(node: ast.Import | ast.ImportFrom) -> set[str]:
    names = set()
    for alias in node.names:
        if alias.name != "*":
            names.add(alias.asname or alias.name.split(".")[0])
    return names


def _stored_names(node: ast.AST) -> set[str]:
    """Names a statement may set at the top level (a superset is fine)."""
    names = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            names.add(sub.id)
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(sub.name)
        elif isinstance(sub, (ast.Import, ast.ImportFrom)):
            names |= _import_names(sub)
    return names


def _assigned_names(node: ast.Assign | ast.AnnAssign) -> set[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def _simple_target(target: ast.expr) -> bool:
    if isinstance(target, ast.Name):
        return True
    if isinstance(target, ast.Starred):
        return _simple_target(target.value)
    if isinstance(target, (ast.Tuple, ast.List)):
        return all(_simple_target(t) for t in target.elts)
    return False


def _walk_evaluated(node: ast.AST):
    """The nodes of an expression evaluated when it is (a lambda's body is not)."""
    stack = [node]
    while stack:
        sub = stack.pop()
        yield sub
        if isinstance(sub, ast.Lambda):
            stack.extend(d for d in (*sub.args.defaults, *sub.args.kw_defaults) if d)
        else:
            stack.extend(ast.iter_child_nodes(sub))


def _pure(value: ast.expr) -> bool:
    for sub in _walk_evaluated(value):
        if isinstance(sub, ast.Call) and not _pure_call(sub.func):
            return False
        if isinstance(sub, (ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)):
            return False
    return True


def _pure_call(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in PURE_CALLS
    if not isinstance(func, ast.Attribute):
        return False
    owner = func.value
    if isinstance(owner, ast.Name):  # np.array
        return func.attr in PURE_NUMPY and owner.id in _NUMPY_NAMES
    return (func.attr in PURE_NUMPY_RANDOM and isinstance(owner, ast.Attribute)  # np.random.X
            and owner.attr == "random" and isinstance(owner.value, ast.Name)
            and owner.value.id in _NUMPY_NAMES)


def _loaded_names(value: ast.expr) -> set[str]:
    """Free names an expression reads (comprehension variables are not free)."""
    names: set[str] = set()
    stack: list[tuple[ast.AST, frozenset[str]]] = [(value, frozenset())]
    while stack:
        sub, hidden = stack.pop()
        if isinstance(sub, ast.Lambda):
            stack.extend((d, hidden) for d in (*sub.args.defaults, *sub.args.kw_defaults) if d)
            continue
        if isinstance(sub, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            hidden = hidden | {n.id for g in sub.generators for n in ast.walk(g.target)
                               if isinstance(n, ast.Name)}
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load) and sub.id not in hidden:
            names.add(sub.id)
        stack.extend((child, hidden) for child in ast.iter_child_nodes(sub))
    return names


def _definition_time_names(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> set[str]:
    """Names read when the def/class statement itself runs (decorators, defaults, bases)."""
    parts: list[ast.expr] = list(node.decorator_list)
    if isinstance(node, ast.ClassDef):
        parts += node.bases + [k.value for k in node.keywords]
    else:
        parts += node.args.defaults + [d for d in node.args.kw_defaults if d]
    return set().union(*(_loaded_names(p) for p in parts)) if parts else set()


def _is_none(value: ast.expr | None) -> bool:
    if isinstance(value, ast.Constant):
        return value.value is None
    if isinstance(value, (ast.Tuple, ast.List)):
        return all(_is_none(e) for e in value.elts)
    return False


# ------------------------------------------------------------------ placeholders and markers
def _placeholder_definition(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef,
                            lines: list[str]) -> bool:
    """True when the body holds only the course's placeholders.

    With the course's code regions (`### START CODE HERE ###` ... `### END CODE
    HERE ###`, or `# YOUR CODE STARTS HERE` ... `# YOUR CODE ENDS HERE`): every
    region holds only comments, `x = None`, `pass`, `raise NotImplementedError`
    (the code around the regions is the course's own). Without regions: the
    whole body is only a docstring, `x = None`, `pass`, `...`, `raise
    NotImplementedError` and a `return` of those names (or, for a class, only
    such methods).
    """
    body = lines[node.lineno - 1:node.end_lineno]
    regions, inside = [], None
    for text in body:
        if _REGION_START.search(text):
            inside = []
            regions.append(inside)
        elif _REGION_END.search(text):
            inside = None
        elif inside is not None:
            inside.append(text.strip())
    if regions:
        return all(_PLACEHOLDER_LINE.fullmatch(text) for region in regions for text in region)
    return _placeholder_body(node)


def _placeholder_body(node: ast.AST) -> bool:
    none_names: set[str] = set()
    for statement in getattr(node, "body", []):
        if isinstance(statement, ast.Pass):
            continue
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) and (
                isinstance(statement.value.value, str) or statement.value.value is Ellipsis):
            continue
        if isinstance(statement, (ast.Assign, ast.AnnAssign)) and _is_none(statement.value):
            none_names |= _assigned_names(statement)
            continue
        if isinstance(statement, ast.Raise) and _not_implemented(statement.exc):
            continue
        if isinstance(statement, ast.Return) and (
                statement.value is None or _is_none(statement.value)
                or _names_in(statement.value) <= none_names and _only_names(statement.value)):
            continue
        if (isinstance(node, ast.ClassDef)
                and isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef))
                and _placeholder_body(statement)):
            continue
        return False
    return True


def _not_implemented(exc: ast.expr | None) -> bool:
    if isinstance(exc, ast.Call):
        exc = exc.func
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def _names_in(value: ast.expr) -> set[str]:
    return {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}


def _only_names(value: ast.expr) -> bool:
    if isinstance(value, ast.Name):
        return True
    return isinstance(value, (ast.Tuple, ast.List)) and all(_only_names(e) for e in value.elts)


def _markers_by_def(text: str, tree: ast.Module) -> dict[ast.AST, str]:
    """For a module: each top-level def/class that a `# GRADED FUNCTION: name` comment
    above it (before any other def/class) names, with that name."""
    defs = [n for n in tree.body
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    found: dict[ast.AST, str] = {}
    for match in MARKER.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        following = next((n for n in defs if n.lineno > line), None)
        if following is not None and following.name == match.group(1):
            found[following] = match.group(1)
    return found
