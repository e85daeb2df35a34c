"""Parent side of the lowlevel-regularization pack: inputs to try and how to judge outputs.

Runs only in the trusted grading process. The functions are compared with the
reference solution (tight tolerances; float32 answers to float32 precision) and a
wrong answer that equals one of the seed notebook's mistakes (or another classic
one) is named; dropout is judged statistically; `train` is judged by what it
reaches on the digits data, against bars drawn from the reference's own runs.

One module per task family:
- `softmax`    stable_softmax;
- `penalties`  l1_penalty, l2_penalty, penalty_gradients;
- `pruning`    prune;
- `dropout`    dropout (statistical, bounded false-fail rate);
- `training`   train (outcome checks: accuracy, penalties' effect, sparsity);
- `data`, `common`: the seed's digits split; tolerances and shared comparisons.
"""
from grader.authoring import TaskChecks

from .dropout import dropout_cases, dropout_judge
from .penalties import gradient_cases, gradient_judge, l1_judge, l2_judge, penalty_cases
from .pruning import prune_cases, prune_judge
from .softmax import softmax_cases, softmax_explain, softmax_judge
from .training import train_cases, train_judge

TASKS = {
    "stable_softmax": TaskChecks(softmax_cases, softmax_judge, softmax_explain),
    "l1_penalty": TaskChecks(penalty_cases, l1_judge),
    "l2_penalty": TaskChecks(penalty_cases, l2_judge),
    "penalty_gradients": TaskChecks(gradient_cases, gradient_judge),
    "prune": TaskChecks(prune_cases, prune_judge),
    "dropout": TaskChecks(dropout_cases, dropout_judge),
    "train": TaskChecks(train_cases, train_judge),
}
