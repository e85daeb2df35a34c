"""A trustworthy, fast autograder for machine-learning course assignments.

Flow: submission -> discovery -> sandboxed run -> comparison -> verdict -> report.
"""
import os

# The trusted parent's matrices are small, and the cores belong to the sandboxed
# children: BLAS threads that spin between calls would take them. Set before any
# module of the package imports numpy.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

__version__ = "0.1.0"
