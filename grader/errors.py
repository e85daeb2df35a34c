"""The one error type that ends a run with exit status 2 and a one-line message."""


class GraderError(Exception):
    """The grader could not grade: bad arguments, unknown assignment, unreadable input."""
