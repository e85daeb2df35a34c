"""Parent side of the nnfs-regularization pack: inputs to try and how to judge outputs.

Runs only in the trusted grading process. Expected values come from the reference
solution (the book's classes, float64) driven on the same inputs; classic mistakes are
computed on the side and named. The dense layer's gradients are also checked against
central differences of its own network's loss, and the training outcome against a bar
set from the reference's own runs, with its false-fail bound (training.py).

One module per task family:
- `layers`          dense, relu, softmax;
- `regularization`  regularization_loss;
- `losses`          cross_entropy, softmax_cross_entropy;
- `optimizers`      sgd, adagrad, rmsprop, adam (trajectories of several steps);
- `training`        training (an outcome check);
- `data`, `common`: generated inputs, the reference's layers, shared judging helpers.
"""
from grader.authoring import TaskChecks

from .layers import dense_cases, dense_judge, relu_cases, relu_judge, softmax_cases, \
    softmax_judge
from .losses import cross_entropy_cases, cross_entropy_judge, softmax_cross_entropy_cases, \
    softmax_cross_entropy_judge
from .optimizers import optimizer_cases, optimizer_judge
from .regularization import regularization_loss_cases, regularization_loss_judge
from .training import training_cases, training_judge

TASKS = {
    "dense": TaskChecks(dense_cases, dense_judge),
    "regularization_loss": TaskChecks(regularization_loss_cases, regularization_loss_judge),
    "relu": TaskChecks(relu_cases, relu_judge),
    "softmax": TaskChecks(softmax_cases, softmax_judge),
    "cross_entropy": TaskChecks(cross_entropy_cases, cross_entropy_judge),
    "softmax_cross_entropy": TaskChecks(softmax_cross_entropy_cases,
                                        softmax_cross_entropy_judge),
    **{kind: TaskChecks(optimizer_cases(kind), optimizer_judge)
       for kind in ("sgd", "adagrad", "rmsprop", "adam")},
    "training": TaskChecks(training_cases, training_judge),
}
