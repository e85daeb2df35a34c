"""Parent side of the regularization pack: inputs to try and how to judge outputs.

Runs only in the trusted grading process. Where the statement leaves no
freedom, outputs are compared with the reference solution (float64, tight
tolerances); where it does (random masks, initializers), properties are
judged: the student's own masks are checked for meaning and A is recomputed
from them; kernels are tested against the initializer's law with an exact
statistical bound. Classic mistakes are computed on the side and named, first
thing in the message (`common.teaching`), which never shows an internal module
path or a folder of the grading machine. Tasks that receive the caller's arrays
are also judged on what they change: the probes send back the arguments as the
call left them, and `common.leaves_unchanged` compares them with the generated
inputs (tasks 1 and 5 may change only the weights, and add keys to the cache; 0 and 4
nothing).

One module per task family:
- `l2`              tasks 0, 1: the L2 cost and gradient descent with L2 (NumPy);
- `dropout`         tasks 4, 5: forward propagation and gradient descent with dropout;
- `tf_layers`       tasks 2, 3, 6: the L2 cost, L2 and dropout layers (TensorFlow);
- `early_stopping`  task 7;
- `network`, `gradient_step`, `common`: the NumPy network, the gradient step
  tasks 1 and 5 share, tolerances, messages and the side-effect check.
"""
from grader.authoring import TaskChecks

from .dropout import (dropout_forward_cases, dropout_forward_judge, dropout_gd_cases,
                      dropout_gd_judge)
from .early_stopping import early_stopping_cases, early_stopping_judge
from .l2 import l2_cost_cases, l2_cost_judge, l2_gd_cases, l2_gd_judge
from .tf_layers import (dropout_layer_cases, dropout_layer_judge, l2_layer_cases,
                        l2_layer_judge, l2_tf_cost_cases, l2_tf_cost_judge)

TASKS = {
    "0": TaskChecks(l2_cost_cases, l2_cost_judge),
    "1": TaskChecks(l2_gd_cases, l2_gd_judge),
    "2": TaskChecks(l2_tf_cost_cases, l2_tf_cost_judge),
    "3": TaskChecks(l2_layer_cases, l2_layer_judge),
    "4": TaskChecks(dropout_forward_cases, dropout_forward_judge),
    "5": TaskChecks(dropout_gd_cases, dropout_gd_judge),
    "6": TaskChecks(dropout_layer_cases, dropout_layer_judge),
    "7": TaskChecks(early_stopping_cases, early_stopping_judge),
}
