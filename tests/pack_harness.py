"""What the tests of a notebook pack share (tests/test_pack_*.py): loading the pack's
own Python files, a warm engine per test module, and grading the fixtures that
fixtures/<pack>/make_fixtures.py makes against their expectations.toml entries.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from grader.engine import FreshEngine, WarmEngine
from grader.formats import tree_digest
from grader.packs import import_file, load_pack
from grader.models import Report
from grader.pipeline import Options, grade


def load_module(name: str, path: Path):
    """The file at `path` as a module of this test's own: no bytecode written beside it
    (packs and solutions stay as they are), and not left in sys.modules, so that a test
    serving the course's `gc_utils` by name serves it to no other."""
    module = import_file(name, path)
    del sys.modules[name]
    return module


def warm_engine_fixture(pack: str):
    """An `engine` fixture for a test module: one warm engine for the pack's tests."""
    @pytest.fixture(scope="module", name="engine")
    def engine():
        loaded = load_pack(pack)
        warm = WarmEngine(str(loaded.probes_path), loaded.declared_runtimes)
        yield warm
        warm.close()
    return engine


def fresh_engine(pack: str) -> FreshEngine:
    loaded = load_pack(pack)
    return FreshEngine(str(loaded.probes_path), loaded.declared_runtimes)


def check_expectations(pack: str, fixtures_dir: Path, expectations: dict, name: str, engine,
                       **options) -> None:
    """Grade fixture `name` and check what its expectations entry states: the tasks that
    fail, those with style failures, message and note fragments, no grader error, and the
    fixture left as it was."""
    spec = expectations[name]
    path = fixtures_dir / spec["path"]
    before = tree_digest(path.parent if path.is_file() else path)
    report = grade(str(path), Options(assignment=pack, seed=1234, **options), engine=engine)
    assert tree_digest(path.parent if path.is_file() else path) == before
    fails = {r.task.id for r in report.tasks if not r.correct}
    details = {r.task.id: [(c.name, c.message) for c in r.checks if not c.passed][:2]
               for r in report.tasks if r.task.id in fails ^ set(spec["fails"])}
    assert fails == set(spec["fails"]), f"{spec['why']}\n{details}"
    assert {r.task.id for r in report.tasks if not r.style_ok} == set(spec["style_fails"])
    assert all(r.outcome != "grader-error" for r in report.tasks)
    results = {r.task.id: r for r in report.tasks}
    for task, fragment in spec.get("messages", {}).items():
        messages = " ".join(c.message for c in results[task].checks if not c.passed)
        assert fragment in messages, f"{task}: {fragment!r} not in {messages!r}"
    notes = " ".join(report.source["notes"])
    for fragment in spec.get("notes", []):
        assert fragment in notes, f"{fragment!r} not in {notes!r}"


def check_fixtures_are_made(make, fixtures_dir: Path, expectations: dict) -> None:
    """The notebooks on disk are exactly what `make.fixtures()` makes, and each has an
    expectations entry (a notebook in a folder fixture is listed as its folder)."""
    made = make.fixtures()
    on_disk = {str(p.relative_to(fixtures_dir)) for p in fixtures_dir.rglob("*.ipynb")}
    assert on_disk == set(made), "run make_fixtures.py: the committed notebooks differ"
    for name, content in made.items():
        assert (fixtures_dir / name).read_text(encoding="utf-8") == content, name
    listed = {spec["path"] for spec in expectations.values()}
    entries = {next((entry for entry in listed if name.startswith(entry + "/")), name)
               for name in made}
    assert entries == listed


def grade_reference(solution: Path, pack: str, seed: int, engine) -> Report:
    """The reference solution's report: every check passed, no bytecode written beside it."""
    report = grade(str(solution), Options(assignment=pack, seed=seed), engine=engine)
    assert [(r.task.id, c.name, c.message) for r in report.tasks for c in r.checks
            if not c.passed] == []
    assert report.score == report.max_score
    assert not list(solution.parent.rglob("__pycache__"))
    return report
