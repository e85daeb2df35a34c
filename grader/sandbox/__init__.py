"""Running untrusted student code: a worker forks a supervisor per task, the
supervisor forks the student child, the child locks itself down
(rlimits, seccomp, capabilities, Landlock) before any student code runs.

Only plain data leaves the child (see grader/wire.py); verdicts are decided in
the grading process, which never runs student code.
"""
