"""Shared test helpers: assembling fixture submissions and one warm engine per session."""
from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from grader.engine import WarmEngine
from grader.packs import load_pack

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures" / "regularization"
SOLUTIONS = REPO / "solutions" / "regularization"


def load_expectations() -> dict[str, dict]:
    return tomllib.loads((FIXTURES / "expectations.toml").read_text())


def assemble(spec: dict, target: Path) -> Path:
    """A submission folder for a fixture: complete, or overlaid on the reference solutions."""
    if spec.get("base", "solutions") == "none":
        shutil.copytree(FIXTURES / spec["path"], target, symlinks=True)
    else:
        shutil.copytree(SOLUTIONS, target)
        if spec.get("path"):
            for item in (FIXTURES / spec["path"]).iterdir():
                if item.name != ".gitkeep":
                    shutil.copy2(item, target / item.name)
    for name in spec.get("remove", []):
        (target / name).unlink()
    return target


@pytest.fixture(scope="session")
def pack():
    return load_pack("regularization")


@pytest.fixture(scope="session")
def warm_engine(pack):
    engine = WarmEngine(str(pack.probes_path), pack.declared_runtimes)
    yield engine
    engine.close()
