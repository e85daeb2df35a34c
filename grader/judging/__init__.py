"""Generic helpers for judging a task's raw outputs in the trusted parent.

- `compare`:  comparisons that explain themselves (shape, type, values, named mistakes);
- `mistakes`: named-mistake tables, their variants computed only for a wrong answer;
- `stats`:    exact statistical bounds for judging randomness.

Packs import these through `grader.authoring`, their one stable surface.
"""
