"""Chapter 3.4's exercise checks pass the solutions, report stubs, and catch wrong answers.

Each check also meets a wrong answer that mutates its inputs: the check computed its
reference first and passed copies, so the mutation can neither fool it nor harm it.
"""

import numpy as np
import pytest

from cnnbook import checks

# ----------------------------------------------------------------------------
# Solutions, written the way a student would, and plausible mistakes.
# ----------------------------------------------------------------------------


def two_layer_gradients(x, w1, w2, labels, mask=True, mean=True, sign=1):
    z = x @ w1
    h = np.maximum(z, 0)
    logits = h @ w2
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    y = np.eye(w2.shape[1])[labels]
    g = sign * (p - y) / (len(labels) if mean else 1)
    grad_h = g @ w2.T
    grad_z = grad_h * (z > 0) if mask else grad_h
    return x.T @ grad_z, h.T @ g


def two_layer_gradients_in_place(x, w1, w2, labels):
    """Forgets the mask, and reuses x's memory for the ReLU (x *= ... corrupts the input)."""
    grad_w1, grad_w2 = two_layer_gradients(x, w1, w2, labels, mask=False)
    x *= 0
    return grad_w1, grad_w2


def sgd_step(weights, grads, learning_rate):
    return [w - learning_rate * g for w, g in zip(weights, grads)]


def sgd_step_in_place(weights, grads, learning_rate):
    """The right values, but the caller's weights are overwritten."""
    for w, g in zip(weights, grads):
        w -= learning_rate * g
    return weights


def sgd_ascent_that_zeroes_the_gradients(weights, grads, learning_rate):
    new = [w + learning_rate * g for w, g in zip(weights, grads)]
    for g in grads:
        g[...] = 0
    return new


def adam_step(w, g, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
              correct=True, offset=0, square=True, root=True):
    """The textbook update (bias-corrected moments, epsilon outside the root), or a mistake."""
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * (g * g if square else np.abs(g))
    with np.errstate(divide="ignore", invalid="ignore"):  # offset=-1 divides by 0 at t = 1
        m_hat = m / (1 - beta_1 ** (t + offset)) if correct else m
        v_hat = v / (1 - beta_2 ** (t + offset)) if correct else v
        denominator = np.sqrt(v_hat) if root else v_hat
        return w - learning_rate * m_hat / (denominator + epsilon), m, v


def adam_step_keras_form(w, g, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Keras's form: the corrections folded into the step size, epsilon outside them."""
    m = m + (g - m) * (1 - beta_1)
    v = v + (g * g - v) * (1 - beta_2)
    alpha = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return w - alpha * m / (np.sqrt(v) + epsilon), m, v


def adam_step_in_place(w, g, m, v, t, *hyperparameters):
    """The right update, written into the m and v it was given."""
    new_w, new_m, new_v = adam_step(w, g, m, v, t, *hyperparameters)
    m[...], v[...] = new_m, new_v
    return new_w, m, v


def input_window(layers, i):
    size, jump, start = 1, 1, 0
    for kernel, stride, padding in layers:
        start -= padding * jump
        size += (kernel - 1) * jump
        jump *= stride
    return start + i * jump, start + i * jump + size - 1


def input_window_mistake(layers, i, padding=True, own_stride=False, skip_strides=False, last_offset=-1):
    size, jump, start = 1, 1, 0
    for kernel, stride, pad in layers:
        start -= pad * jump if padding else 0
        step = stride if own_stride else jump
        size += (kernel - 1) * (1 if skip_strides else step)
        jump *= stride
    return start + i * jump, start + i * jump + size + last_offset


def input_window_mutating(layers, i):
    """Ignores the padding, and empties the caller's list of layers on the way."""
    answer = input_window_mistake(layers, i, padding=False)
    layers.clear()
    return answer


CASES = {
    checks.check_two_layer_gradients: (
        two_layer_gradients,
        [
            lambda x, w1, w2, t: two_layer_gradients(x, w1, w2, t, mask=False),  # no ReLU mask
            lambda x, w1, w2, t: two_layer_gradients(x, w1, w2, t, mean=False),  # forgot 1/N
            lambda x, w1, w2, t: two_layer_gradients(x, w1, w2, t, sign=-1),  # y - p
            lambda x, w1, w2, t: two_layer_gradients(x, w1, w2, t)[::-1],  # swapped outputs
            lambda x, w1, w2, t: (two_layer_gradients(x, w1, w2, t)[0].T, two_layer_gradients(x, w1, w2, t)[1]),
            two_layer_gradients_in_place,  # wrong, and mutates x
        ],
    ),
    checks.check_sgd_step: (
        sgd_step,
        [
            lambda w, g, r: [a + r * b for a, b in zip(w, g)],  # gradient ascent
            lambda w, g, r: [a - b for a, b in zip(w, g)],  # forgot the learning rate
            lambda w, g, r: [-r * b for b in g],  # returns the change
            lambda w, g, r: [w[0] - r * g[0]] + list(w[1:]),  # updates the first array only
            sgd_step_in_place,  # right values, but overwrites the caller's weights
            sgd_ascent_that_zeroes_the_gradients,  # wrong, and mutates the gradients
        ],
    ),
    checks.check_adam_step: (
        adam_step,
        [
            lambda *a, **k: adam_step(*a, **k, correct=False),  # no bias correction
            lambda *a, **k: adam_step(*a, **k, offset=-1),  # t counted from 0: division by zero
            lambda *a, **k: adam_step(*a, **k, offset=1),  # t one too far
            lambda *a, **k: adam_step(*a, **k, square=False),  # |g| instead of g**2
            lambda *a, **k: adam_step(*a, **k, root=False),  # no square root
            lambda w, g, m, v, t, *h: adam_step(w, g, m, v, 1, *h),  # always the first step's correction
            adam_step_in_place,  # right values, but overwrites m and v
        ],
    ),
    checks.check_input_window: (
        input_window,
        [
            lambda layers, i: input_window_mistake(layers, i, padding=False),  # ignores padding
            lambda layers, i: input_window_mistake(layers, i, own_stride=True),  # own stride, not the jump
            lambda layers, i: input_window_mistake(layers, i, skip_strides=True),  # 1 + sum(k - 1)
            lambda layers, i: input_window_mistake(layers, i, last_offset=0),  # off by one
            lambda layers, i: tuple(float(a) + 0.5 for a in input_window(layers, i)),  # not whole numbers
            input_window_mutating,  # wrong, and empties the caller's list
        ],
    ),
}


def test_keras_form_of_adam_passes_too(capsys):
    assert checks.check_adam_step(adam_step_keras_form)


NAMED_MISTAKES = [
    (checks.check_two_layer_gradients, CASES[checks.check_two_layer_gradients][1][0], "ReLU passes"),
    (checks.check_two_layer_gradients, CASES[checks.check_two_layer_gradients][1][1], "mean over the batch"),
    (checks.check_sgd_step, CASES[checks.check_sgd_step][1][0], "against"),
    (checks.check_sgd_step, sgd_step_in_place, "changed `weights[0]`"),
    (checks.check_sgd_step, sgd_ascent_that_zeroes_the_gradients, "changed `grads[0]`"),
    (checks.check_adam_step, CASES[checks.check_adam_step][1][0], "no bias correction"),
    (checks.check_adam_step, CASES[checks.check_adam_step][1][1], "the first step has t = 1"),
    (checks.check_adam_step, adam_step_in_place, "changed `m`"),
    (checks.check_input_window, CASES[checks.check_input_window][1][0], "ignores the padding"),
    (checks.check_input_window, CASES[checks.check_input_window][1][1], "jump so far"),
    (checks.check_input_window, CASES[checks.check_input_window][1][3], "off by one"),
]


@pytest.mark.parametrize("check, wrong, words", NAMED_MISTAKES, ids=[m[2] for m in NAMED_MISTAKES])
def test_the_named_mistakes_get_their_own_hint(check, wrong, words, capsys):
    assert not check(wrong)
    assert words in capsys.readouterr().out


def test_verdicts_never_print_the_expected_window(capsys):
    checks.check_input_window(lambda layers, i: (0, 0))
    verdict = capsys.readouterr().out
    assert "(8, 17)" not in verdict and "17" not in verdict.split("Hint")[-1] and "Hint" in verdict
