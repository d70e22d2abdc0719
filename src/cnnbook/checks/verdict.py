"""The verdict every exercise check prints.

Each check calls the student's function on cases whose answers come from an
independent source (a Keras layer or model), prints one verdict line and returns
``True`` or ``False``. A failing verdict says what is wrong and gives a hint; it
never prints the expected answer. A stub that still raises
``NotImplementedError`` gets a "not implemented yet" verdict instead of a crash.
"""

import functools


def exercise_check(check):
    """Turn ``check(student_fn) -> problem or None`` into a printed verdict."""

    @functools.wraps(check)
    def run(student_fn):
        name = getattr(student_fn, "__name__", "your function")
        try:
            problem = check(student_fn)
        except NotImplementedError:
            print(f"… {name}: not implemented yet. Replace `raise NotImplementedError()` with your code.")
            return False
        except Exception as error:  # the student's code failed: show that, not a traceback
            print(f"✗ {name} raised {type(error).__name__}: {error}")
            return False
        if problem:
            print(f"✗ {name}: {problem}")
            return False
        print(f"✓ {name}: correct on every test case.")
        return True

    return run
