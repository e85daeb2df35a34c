"""Parent side of the dnn-regularization pack: inputs to try and how to judge outputs.

Runs only in the trusted grading process. Task ids are the graded functions'
names. Outputs are compared with the reference solution on generated networks;
dropout masks are judged by meaning; the course's published outputs are
reproduced exactly (support/testCases.py) and checked as "official example".

- `l2`       compute_cost_with_regularization, backward_propagation_with_regularization;
- `dropout`  forward_propagation_with_dropout, backward_propagation_with_dropout;
- `network`  the 3-layer network: generated networks, caches, classic mistakes;
- `common`   the course's test cases, tolerances, comparisons.
"""
from grader.authoring import TaskChecks

from . import dropout, l2

TASKS = {
    "compute_cost_with_regularization": TaskChecks(l2.cost_cases, l2.cost_judge),
    "backward_propagation_with_regularization": TaskChecks(l2.backward_cases,
                                                           l2.backward_judge),
    "forward_propagation_with_dropout": TaskChecks(dropout.forward_cases, dropout.forward_judge),
    "backward_propagation_with_dropout": TaskChecks(dropout.backward_cases,
                                                    dropout.backward_judge,
                                                    dropout.backward_explain),
}
