"""Every exercise check passes the solution, reports a stub, and catches wrong answers."""

import numpy as np
import pytest

from cnnbook import checks


def conv2d_param_count(kernel_size, in_channels, filters):
    return kernel_size * kernel_size * in_channels * filters + filters


def flatten_size(image_side):
    side = ((image_side - 2) // 2 - 2) // 2
    return side * side * 64


# Plausible wrong answers a student might write, per check.
CASES = {
    checks.check_conv2d_param_count: (
        conv2d_param_count,
        [
            lambda k, c, f: k * k * c * f,  # forgot the bias
            lambda k, c, f: k * k * f + f,  # forgot the input channels
            lambda k, c, f: k * c * f + f,  # kernel counted as k, not k*k
            lambda k, c, f: k * k * c * f + c,  # one bias per input channel
        ],
    ),
    checks.check_flatten_size: (
        flatten_size,
        [
            lambda n: (((n - 2) // 2 - 2) // 2) ** 2,  # forgot the 64 channels
            lambda n: (n // 2 // 2) ** 2 * 64,  # 'same' convolutions
            lambda n: (-(-(-(-(n - 2) // 2) - 2) // 2)) ** 2 * 64,  # pooling rounds up
            lambda n: ((n - 3) // 2 - 3) // 2 * 64,  # off by one per conv, and no square
        ],
    ),
}


@pytest.mark.parametrize("form", [float, np.array, np.int64], ids=["float", "0-d array", "np.int64"])
def test_a_parameter_count_is_accepted_in_any_numeric_form(form, capsys):
    """320.0 and 26.0 are handled alike: a whole number in any numeric form is accepted."""
    assert checks.check_conv2d_param_count(lambda k, c, f: form(conv2d_param_count(k, c, f)))


def test_a_crashing_answer_gets_a_verdict_not_a_traceback(capsys):
    assert not checks.check_flatten_size(lambda n: n / 0)
    assert "raised ZeroDivisionError" in capsys.readouterr().out


def test_an_error_in_the_check_itself_is_not_blamed_on_the_student(monkeypatch):
    from cnnbook.checks import chapter4

    def reference_fails(*args):
        raise OSError("reference data missing")

    monkeypatch.setattr(chapter4, "_keras_conv2d_params", reference_fails)
    with pytest.raises(OSError, match="reference data missing"):
        checks.check_conv2d_param_count(lambda k, c, f: k * k * c * f + f)
