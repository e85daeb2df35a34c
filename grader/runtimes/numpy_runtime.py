"""The `numpy` runtime: NumPy only; its worker is ready in a fraction of a second."""

ENV: dict[str, str] = {}
PROVIDES = ("numpy",)


def prepare() -> None:
    import numpy  # noqa: F401 - imported before any student file can shadow it


def warm_up(probes) -> None:
    del probes  # nothing is lazy in NumPy worth paying for before forking


def student_builtins() -> None:
    """The student's module gets the ordinary builtins."""
    return None
