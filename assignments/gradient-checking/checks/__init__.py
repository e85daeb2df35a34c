"""Parent side of the gradient-checking pack: inputs to try and how to judge outputs.

Runs only in the trusted grading process. Task ids are the graded functions'
names. Gradient checks are judged by what they say about gradients, against the
reference's own difference on the same inputs (never against a fixed threshold),
and must detect wrong gradients; the course's published outputs are reproduced
exactly (support/testCases.py) and checked as "official example".

- `one_dimensional`  forward_propagation, backward_propagation, gradient_check (J = theta * x);
- `n_dimensional`    gradient_check_n, with its classic mistakes;
- `network`          the notebook's network: example inputs, planted-mistake gradients;
- `common`           numbers from the wire, checks that name a classic mistake.
"""
from grader.authoring import TaskChecks

from .n_dimensional import gradient_check_n_cases, gradient_check_n_judge
from .one_dimensional import (gradient_check_cases, gradient_check_judge, scalar_cases,
                              scalar_judge)

TASKS = {
    "forward_propagation": TaskChecks(scalar_cases, scalar_judge),
    "backward_propagation": TaskChecks(scalar_cases, scalar_judge),
    "gradient_check": TaskChecks(gradient_check_cases, gradient_check_judge),
    "gradient_check_n": TaskChecks(gradient_check_n_cases, gradient_check_n_judge),
}
