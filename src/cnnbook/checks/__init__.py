"""Self-checks for the exercises, one module per chapter.

Notebooks call ``checks.check_<name>(their_function)``. Every check prints one
verdict line (✓ correct, ✗ what is wrong and a hint, or "not implemented yet")
and returns True or False; see :mod:`cnnbook.checks.verdict`.
"""

from cnnbook.checks.chapter4 import check_conv2d_param_count, check_flatten_size
from cnnbook.checks.verdict import exercise_check

__all__ = ["exercise_check", "check_conv2d_param_count", "check_flatten_size"]
