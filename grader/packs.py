"""Assignment packs: a folder of data (pack.toml) plus small check functions.

A pack holds:
- `pack.toml`    the tasks (what each grades, in which file and runtime, points,
                 allowed imports, limits), the requirement set, scoring, runtimes;
- `checks.py` or `checks/` (a package): trusted, parent-side; makes inputs and
                 judges raw outputs (`TASKS = {task_id: TaskChecks(...)}`, see
                 grader/authoring.py);
- `probes.py`    child-side: calls the student's code on the inputs and returns raw
                 outputs (`PROBES = {task_id: probe}`, optional `FINDERS` for roles).
                 It runs next to student code, so it must hold no expected value;
- `support/`     optional course helper modules and data files, importable and
                 readable (never writable) by the student's code;
- `statement.md` what students are asked.
Reference solutions live outside the pack (`solutions/<name>/` beside the packs
folder, or under $GRADER_SOLUTIONS): they are never part of a pack a student can
install or read. The engine knows nothing about any one pack.
"""
from __future__ import annotations

import ast
import contextlib
import functools
import importlib.abc
import importlib.util
import os
import sys
import threading
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterator

from grader import runtimes
from grader.authoring import TaskChecks
from grader.errors import GraderError
from grader.execute import ExecuteSettings, settings_from
from grader.formats import Wanted
from grader.models import SCORING_MODES, Limits, Role, Scoring, Task
from grader.requirements import REQUIREMENT_SETS
from grader.runtimes import Runtime

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKS_VARIABLE = "GRADER_PACKS"  # extra folders of packs, separated by os.pathsep
SOLUTIONS_VARIABLE = "GRADER_SOLUTIONS"  # a folder holding <pack>/ reference solutions
LOAD_MODES = ("module", "definitions")
_PACK_KEYS = {"title", "requirements", "load", "reference", "limits", "runtime_limits",
              "scoring", "runtimes", "roles", "tasks", "execute"}
_TASK_KEYS = {"id", "title", "points", "file", "function", "class", "objects", "roles",
              "runtime", "imports", "limits"}


@dataclass(frozen=True)
class Pack:
    """A loaded, validated assignment pack."""

    name: str
    title: str
    root: Path
    tasks: tuple[Task, ...]
    checks: dict[str, TaskChecks]
    runtimes: dict[str, Runtime]
    requirements: str  # the requirement set (grader/requirements/)
    load: str  # how task files are loaded: "module" or "definitions" (definitions only)
    reference_module: str  # the reference file of tasks that name no file
    solutions: Path | None
    limits: dict[str, Any]  # raw [limits], [runtime_limits.*] and per-task overrides
    execute: ExecuteSettings = ExecuteSettings()  # [execute]: executed mode (--execute)

    @property
    def probes_path(self) -> Path:
        return self.root / "probes.py"

    @property
    def support(self) -> Path | None:
        folder = self.root / "support"
        return folder if folder.is_dir() else None

    @property
    def declared_runtimes(self) -> list[Runtime]:
        names = dict.fromkeys(t.runtime for t in self.tasks)
        return [self.runtimes[n] for n in names]

    @property
    def wanted(self) -> Wanted:
        return Wanted(files=tuple(dict.fromkeys(t.file for t in self.tasks if t.file)),
                      names=tuple(dict.fromkeys(n for t in self.tasks for n in t.names)),
                      definitions_only=self.load == "definitions")

    def limits_for(self, task: Task, runtime: str) -> Limits:
        """The task's bounds when it runs in `runtime` (which routing may have changed)."""
        limits = _limits(self.limits["base"], Limits())
        limits = _limits(self.limits["runtimes"].get(runtime, {}), limits)
        return _limits(self.limits["tasks"].get(task.id, {}), limits)

    @property
    def support_modules(self) -> frozenset[str]:
        """The names of the modules in support/ (`gc_utils` for support/gc_utils.py)."""
        folder = self.support
        return frozenset(p.stem for p in folder.glob("*.py")) if folder else frozenset()

    def support_module(self, name: str) -> ModuleType:
        """support/NAME.py, for the trusted parent: loaded once under a private name
        (another pack may ship a `testCases` too), its imports of the other support
        modules served by plain name, no bytecode written beside it."""
        if name not in self.support_modules:
            raise GraderError(f"assignment {self.name!r} has no support/{name}.py")
        with _IMPORT_LOCK, _support_served(self):
            return _support_module(self, name)

    def reference(self, file: str, name: str) -> Any:
        """An object of the reference solution, for the trusted parent only (never a child).
        While it loads, the pack's support modules are importable by their plain names
        (a reference does `from gc_utils import ...`, as the notebook does)."""
        if self.solutions is None:
            raise GraderError(f"assignment {self.name!r}: its reference solutions were not "
                              f"found (set {SOLUTIONS_VARIABLE} to a folder holding "
                              f"{self.name}/)")
        return _reference_object(self, str(self.solutions), file, name)


# ------------------------------------------------------------------ finding packs
def pack_folders(extra: tuple[str, ...] = ()) -> list[Path]:
    """Where packs are looked for, first match wins: --packs folders, $GRADER_PACKS,
    then the packs installed with the grader."""
    folders = [Path(p).resolve() for p in extra]
    folders += [Path(p).resolve() for p in os.environ.get(PACKS_VARIABLE, "").split(os.pathsep)
                if p]
    folders.append(_built_in_packs())
    return folders


def _built_in_packs() -> Path:
    """The checkout's assignments/, or the copy a wheel installs as `grader_packs`."""
    checkout = REPO_ROOT / "assignments"
    if checkout.is_dir():
        return checkout
    spec = importlib.util.find_spec("grader_packs")
    if spec and spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0])
    return checkout


def available_packs(extra: tuple[str, ...] = ()) -> dict[str, Path]:
    """Every pack name and its folder."""
    found: dict[str, Path] = {}
    for folder in pack_folders(extra):
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir()):
            if (entry / "pack.toml").is_file() and entry.name not in found:
                found[entry.name] = entry
    return found


def detect_pack(file_names: set[str], extra: tuple[str, ...] = ()) -> str:
    """The pack whose task files best match the submission's file names."""
    best, best_hits = None, 0
    for name, root in available_packs(extra).items():
        data = _read_toml(name, root)
        hits = len(file_names & {t.get("file") for t in data.get("tasks", [])})
        if hits > best_hits:
            best, best_hits = name, hits
    if best is None:
        raise GraderError("cannot recognise the assignment from the file names; pass --assignment")
    return best


# ------------------------------------------------------------------ loading
def load_pack(name: str, extra: tuple[str, ...] = ()) -> Pack:
    """Load and validate the pack called `name`; unknown keys are errors."""
    packs = available_packs(extra)
    if name not in packs:
        known = ", ".join(packs) or "none"
        raise GraderError(f"unknown assignment {name!r} (known: {known})")
    return _load(name, packs[name])


@functools.cache
def _load(name: str, root: Path) -> Pack:
    """Loaded once per process: a batch grades hundreds of submissions with it."""
    where = f"assignment {name!r}"
    data = _read_toml(name, root)
    _only_keys(data, _PACK_KEYS, f"{where}: pack.toml")
    declared = runtimes.declared(data.get("runtimes", {}), where)
    roles = {role: _role(role, spec, where) for role, spec in data.get("roles", {}).items()}
    scoring = _scoring(data.get("scoring", {}), where)
    limits = {"base": data.get("limits", {}), "runtimes": data.get("runtime_limits", {}),
              "tasks": {}}
    for part in [limits["base"], *limits["runtimes"].values()]:
        _limits(part, Limits())
    tasks = []
    for spec in data.get("tasks", []):
        task = _task(spec, declared, roles, scoring, where)
        limits["tasks"][task.id] = spec.get("limits", {})
        tasks.append(task)
    if not tasks or len({t.id for t in tasks}) != len(tasks):
        raise GraderError(f"{where}: tasks missing or ids repeated")
    pack = Pack(name=name, title=data.get("title", name), root=root, tasks=(), checks={},
                runtimes=declared, requirements=data.get("requirements", "python-module"),
                load=data.get("load", "module"), reference_module=data.get(
                    "reference", "solution.py"), solutions=_solutions(name, root),
                limits=limits, execute=settings_from(data.get("execute", {}),
                                                     {t.id for t in tasks}, where))
    tasks = [replace(task, limits=pack.limits_for(task, task.runtime)) for task in tasks]
    if pack.requirements not in REQUIREMENT_SETS:
        raise GraderError(f"{where}: unknown requirement set {pack.requirements!r} "
                          f"(known: {', '.join(REQUIREMENT_SETS)})")
    if pack.load not in LOAD_MODES:
        raise GraderError(f"{where}: load must be one of {', '.join(LOAD_MODES)}")
    checks = _checks(name, root, tasks, where)
    _validate_probes(root / "probes.py", tasks, where)
    return replace(pack, tasks=tuple(tasks), checks=checks)


def _read_toml(name: str, root: Path) -> dict:
    try:
        return tomllib.loads((root / "pack.toml").read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise GraderError(f"assignment {name!r}: pack.toml is unreadable: {exc}") from None


def _only_keys(data: dict, allowed: set[str], where: str) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise GraderError(f"{where}: unknown keys {sorted(unknown)}")


def _limits(data: dict, defaults: Limits) -> Limits:
    names = {f.name for f in fields(Limits)}
    _only_keys(data, names, "limits")
    try:
        values = {n: type(getattr(defaults, n))(data.get(n, getattr(defaults, n)))
                  for n in names}
    except (TypeError, ValueError) as exc:
        raise GraderError(f"limits: {exc}") from None
    return Limits(**values)


def _scoring(data: dict, where: str) -> Scoring:
    _only_keys(data, {"mode", "requirement_weight"}, f"{where}: [scoring]")
    scoring = Scoring(mode=data.get("mode", "proportional"),
                      requirement_weight=float(data.get("requirement_weight", 0.0)))
    if scoring.mode not in SCORING_MODES or not 0.0 <= scoring.requirement_weight <= 1.0:
        raise GraderError(f"{where}: [scoring] mode is one of {', '.join(SCORING_MODES)} "
                          f"and requirement_weight is between 0 and 1")
    return scoring


def _role(name: str, spec: dict, where: str) -> Role:
    _only_keys(spec, {"kind", "aliases", "behaviour"}, f"{where}: [roles.{name}]")
    kind = spec.get("kind", "class")
    if kind not in ("class", "function"):
        raise GraderError(f"{where}: [roles.{name}] kind is class or function")
    return Role(name=name, kind=kind, aliases=tuple(spec.get("aliases", (name,))),
                behaviour=spec.get("behaviour"))


def _task(data: dict, declared: dict[str, Runtime], roles: dict[str, Role], scoring: Scoring,
          where: str) -> Task:
    _only_keys(data, _TASK_KEYS, f"{where}: task")
    try:
        task_id = str(data["id"])
        points = float(data["points"])
    except (KeyError, TypeError, ValueError) as exc:
        raise GraderError(f"{where}: a task is missing or has a bad {exc}") from None
    where = f"{where}: task {task_id!r}"
    kind, names = _graded_objects(data, where)
    task_roles = []
    for role in data.get("roles", []):
        if role not in roles:
            raise GraderError(f"{where}: role {role!r} has no [roles.{role}] table")
        task_roles.append(roles[role])
    if task_roles and not names:
        kinds = {r.kind for r in task_roles}
        kind = kinds.pop() if len(task_roles) == 1 else "objects"
    if not names and not task_roles:
        raise GraderError(f"{where}: name a function, class, objects or roles")
    runtime = data.get("runtime", "numpy")
    if runtime not in declared:
        raise GraderError(f"{where}: unknown runtime {runtime!r} (known: "
                          f"{', '.join(declared)})")
    return Task(id=task_id, title=data.get("title", names[0] if names else task_id),
                points=points, kind=kind, names=names, file=data.get("file"),
                runtime=runtime, allowed_imports=tuple(data.get("imports", ())),
                limits=Limits(), roles=tuple(task_roles), scoring=scoring)


def _graded_objects(data: dict, where: str) -> tuple[str, tuple[str, ...]]:
    """(kind, names) from exactly one of the keys function, class, objects (or none: roles)."""
    given = [key for key in ("function", "class", "objects") if key in data]
    if len(given) > 1:
        raise GraderError(f"{where}: use one of function, class, objects")
    if not given:
        return "objects", ()
    value = data[given[0]]
    names = tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)
    return given[0], names


def _checks(name: str, root: Path, tasks: list[Task], where: str) -> dict[str, TaskChecks]:
    """The pack's checks module or package, validated: every task has cases and a judge."""
    package = root / "checks" / "__init__.py"
    module_name = f"grader_pack_{name.replace('-', '_')}_checks"
    try:
        if package.is_file():
            module = import_file(module_name, package, [str(package.parent)])
        else:
            module = import_file(module_name, root / "checks.py")
    except GraderError:
        raise
    except Exception as exc:  # a broken pack is the grader's fault, said in one line
        raise GraderError(f"{where}: its checks cannot be loaded: "
                          f"{exc.__class__.__name__}: {exc}") from None
    checks = getattr(module, "TASKS", None)
    ids = {t.id for t in tasks}
    if not isinstance(checks, dict) or set(checks) != ids:
        raise GraderError(f"{where}: checks TASKS must cover exactly the tasks "
                          f"{sorted(ids)}")
    for task_id, entry in checks.items():
        if not (isinstance(entry, TaskChecks) and callable(entry.cases)
                and callable(entry.judge) and (entry.explain is None or callable(entry.explain))):
            raise GraderError(f"{where}: TASKS[{task_id!r}] must be a TaskChecks with "
                              f"cases and judge (and explain, if any, callable)")
    return checks


def _validate_probes(path: Path, tasks: list[Task], where: str) -> None:
    """Every task has a probe, every behaviour a finder: read from probes.py's source,
    since the probes are meant to run next to student code, not here."""
    try:
        tree = ast.parse(path.read_text(), str(path))
    except (OSError, SyntaxError, ValueError) as exc:
        raise GraderError(f"{where}: probes.py cannot be read: {exc}") from None
    tables = {"PROBES": set(), "FINDERS": set()}
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id in tables
                and isinstance(node.value, ast.Dict)):
            tables[node.targets[0].id] = {k.value for k in node.value.keys
                                          if isinstance(k, ast.Constant)}
    missing = [t.id for t in tasks if t.id not in tables["PROBES"]]
    if missing:
        raise GraderError(f"{where}: probes.py PROBES has no probe for tasks {missing}")
    behaviours = {r.behaviour for t in tasks for r in t.roles if r.behaviour}
    if behaviours - tables["FINDERS"]:
        raise GraderError(f"{where}: probes.py FINDERS lacks "
                          f"{sorted(behaviours - tables['FINDERS'])}")


def import_file(module_name: str, path: Path,
                package_path: list[str] | None = None) -> ModuleType:
    """Import a pack's or a solution's file (and, for a package, what it imports) as
    `module_name`, without writing `__pycache__` beside it: pack and solution folders
    are read-only to grading. A file that fails to load leaves nothing in sys.modules."""
    spec = importlib.util.spec_from_file_location(module_name, path,
                                                  submodule_search_locations=package_path)
    if spec is None or spec.loader is None:
        raise GraderError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    writes_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    finally:
        sys.dont_write_bytecode = writes_bytecode
    return module


def _solutions(name: str, root: Path) -> Path | None:
    """$GRADER_SOLUTIONS/<name>, else solutions/<name> beside the packs folder."""
    candidates = [Path(p) / name for p in os.environ.get(SOLUTIONS_VARIABLE, "").split(
        os.pathsep) if p]
    candidates.append(root.parent.parent / "solutions" / name)
    return next((c for c in candidates if c.is_dir()), None)


# A module is in sys.modules before it has finished loading, and support modules are
# served under their plain names while a reference loads: one load at a time. Reentrant,
# since loading a reference loads the support modules it imports.
_IMPORT_LOCK = threading.RLock()


def _reference_object(pack: Pack, solutions: str, file: str, name: str) -> Callable:
    module_name = f"grader_reference_{abs(hash(solutions))}_{file[:-3].replace('-', '_')}"
    with _IMPORT_LOCK:
        module = sys.modules.get(module_name)
        if module is None:
            path = Path(solutions) / file
            if not path.is_file():
                raise GraderError(f"reference solution {path} not found")
            with _support_served(pack):
                module = import_file(module_name, path)
    try:
        return getattr(module, name)
    except AttributeError:
        raise GraderError(f"reference solution {file} has no {name}") from None


def _support_module(pack: Pack, name: str) -> ModuleType:
    """The pack's support/NAME.py under its private name, loaded on first use (the caller
    holds _IMPORT_LOCK and serves the support modules)."""
    module_name = f"grader_support_{abs(hash(str(pack.root)))}_{name}"
    module = sys.modules.get(module_name)
    if module is None:
        module = import_file(module_name, pack.root / "support" / f"{name}.py")
    return module


@contextlib.contextmanager
def _support_served(pack: Pack) -> Iterator[None]:
    """While inside, `import NAME` of a support module gives the pack's private copy;
    afterwards sys.modules holds under those plain names what it held before."""
    names = pack.support_modules
    saved = {name: sys.modules.pop(name) for name in names if name in sys.modules}
    finder = _SupportFinder(pack)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in names:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


class _SupportFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds a support module by its plain name and hands over the private copy."""

    def __init__(self, pack: Pack) -> None:
        self.pack = pack
        self.names = pack.support_modules

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if path is None and fullname in self.names:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec: Any) -> ModuleType:
        return _support_module(self.pack, spec.name)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing: the private copy has already run."""
