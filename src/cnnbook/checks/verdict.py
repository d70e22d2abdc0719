"""The verdict every exercise check prints.

Each check calls the student's function on cases whose answers come from an
independent source (a Keras layer or model), prints one verdict line and returns
a :class:`Verdict`, true when the answer passed. A failing verdict says what is
wrong and gives a hint; it never prints the expected answer. A stub that still
raises ``NotImplementedError`` gets a "not implemented yet" verdict instead of a
crash.
"""

import functools


class Verdict:
    """What a check returns: truthy when the answer passed, with the printed line."""

    def __init__(self, passed, line):
        self.passed = passed
        self.line = line

    def __bool__(self):
        return self.passed

    def __repr__(self):
        return f"Verdict(passed={self.passed}, line={self.line!r})"

    def _ipython_display_(self):
        """Show nothing more in a notebook: the verdict line is already printed."""


class _StudentCodeFailed(Exception):
    """The student's function raised; carries the original error."""


def exercise_check(check):
    """Turn ``check(student_fn) -> problem or None`` into a printed :class:`Verdict`.

    Only errors raised *by the student's function* become a verdict; an error in
    the check's own reference computation (missing data, say) propagates as usual,
    so that it is never blamed on the student.
    """

    @functools.wraps(check)
    def run(student_fn):
        name = getattr(student_fn, "__name__", "your function")

        @functools.wraps(student_fn)
        def guarded(*args, **kwargs):
            try:
                return student_fn(*args, **kwargs)
            except NotImplementedError:
                raise
            except Exception as error:
                raise _StudentCodeFailed(error) from error

        try:
            problem = check(guarded)
        except NotImplementedError:
            line = f"… {name}: not implemented yet. Replace `raise NotImplementedError()` with your code."
        except _StudentCodeFailed as failure:  # show what went wrong, not a traceback
            error = failure.args[0]
            line = f"✗ {name} raised {type(error).__name__}: {error}"
        else:
            line = f"✗ {name}: {problem}" if problem else f"✓ {name}: correct on every test case."
        print(line)
        return Verdict(line.startswith("✓"), line)

    return run
