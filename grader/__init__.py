"""A trustworthy, fast autograder for machine-learning course assignments.

Flow: submission -> discovery -> sandboxed run -> comparison -> verdict -> report.
"""

__version__ = "0.1.0"
