"""DP-SGD train step, the RDP accountant, the DP bound on attacks and the membership attack."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from scipy.stats import norm
from sklearn.metrics import roc_auc_score

from cnnbook.privacy import (
    DPSequential,
    dp_sgd_epsilon,
    dp_tpr_bound,
    membership_attack,
    membership_auc,
    membership_score,
    rdp_sampled_gaussian,
    tpr_at_fpr,
)

# Reference values from Google's dp-accounting 0.6.0 (RdpAccountant with integer orders
# 2..256 and its default neighbouring relation ADD_OR_REMOVE_ONE, PoissonSampledDpEvent of a
# GaussianDpEvent), computed once outside this project.
DP_ACCOUNTING_EPSILONS = [
    # noise_multiplier, sampling_rate, steps, delta, epsilon
    (1.1, 256 / 60000, 14040, 1e-5, 2.5948176752357233),  # the TF Privacy MNIST tutorial's setting
    (1.0, 0.05, 600, 1e-5, 9.15843743171176),
    (2.0, 1.0, 10, 1e-6, 8.855389993163014),
    (0.7, 0.02, 2000, 1e-5, 15.476980007847322),
    (5.0, 0.5, 50, 1e-5, 3.310949819315766),
]


@pytest.mark.parametrize("sigma, q, steps, delta, expected", DP_ACCOUNTING_EPSILONS)
def test_epsilon_matches_dp_accounting(sigma, q, steps, delta, expected):
    assert dp_sgd_epsilon(sigma, q, steps, delta) == pytest.approx(expected, rel=1e-9)


def test_rdp_of_the_unsampled_gaussian_is_alpha_over_two_sigma_squared():
    # alpha / (2 sigma^2) is the Gaussian mechanism's RDP at sensitivity 1 (one clipped
    # gradient added or removed); replacing one example (sensitivity 2) would give 4x that.
    orders = np.arange(2, 20)
    assert np.allclose(rdp_sampled_gaussian(1.0, 1.5, orders), orders / (2 * 1.5**2))


def test_more_noise_fewer_steps_less_sampling_give_smaller_epsilon():
    base = dp_sgd_epsilon(1.0, 0.1, 300, 1e-5)
    assert dp_sgd_epsilon(2.0, 0.1, 300, 1e-5) < base
    assert dp_sgd_epsilon(1.0, 0.1, 100, 1e-5) < base
    assert dp_sgd_epsilon(1.0, 0.01, 300, 1e-5) < base
    assert dp_sgd_epsilon(1.0, 0.1, 0, 1e-5) < 0.05  # no steps: only the conversion's slack


@pytest.mark.parametrize(
    "kwargs", [dict(delta=0.0), dict(delta=1e-5, steps=-1), dict(delta=1e-5, noise_multiplier=0.0)]
)
def test_accountant_rejects_bad_input(kwargs):
    arguments = dict(noise_multiplier=1.0, sampling_rate=0.1, steps=10) | kwargs
    with pytest.raises(ValueError, match="dp_sgd_epsilon|rdp_sampled_gaussian"):
        dp_sgd_epsilon(**arguments)


def _tiny_dp_model(l2_norm_clip, noise_multiplier):
    keras.utils.set_random_seed(0)
    model = DPSequential(
        [keras.Input((4,)), keras.layers.Dense(3, activation="softmax")],
        l2_norm_clip=l2_norm_clip,
        noise_multiplier=noise_multiplier,
    )
    model.compile(optimizer=keras.optimizers.SGD(1.0), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_train_step_applies_the_mean_of_clipped_per_example_gradients():
    x = np.random.default_rng(0).normal(size=(6, 4)).astype("float32") * 5
    y = np.array([0, 1, 2, 0, 1, 2])
    model = _tiny_dp_model(l2_norm_clip=0.3, noise_multiplier=0.0)
    before = [v.numpy().copy() for v in model.trainable_variables]
    # Independent reference: one tape per example, clipped by tf.clip_by_global_norm.
    clipped = []
    for xi, yi in zip(x, y):
        with tf.GradientTape() as tape:
            loss = keras.losses.sparse_categorical_crossentropy(yi[None], model(xi[None]))
        grads = tape.gradient(loss, model.trainable_variables)
        clipped.append(tf.clip_by_global_norm(grads, 0.3)[0])
    expected = [b - np.mean([c[i] for c in clipped], axis=0) for i, b in enumerate(before)]
    model.fit(x, y, batch_size=6, epochs=1, shuffle=False, verbose=0)
    for variable, want in zip(model.trainable_variables, expected):
        assert np.allclose(variable.numpy(), want, atol=1e-5)


def test_noise_has_the_promised_standard_deviation():
    # With zero inputs the kernel's gradient is 0, so its update is the noise alone:
    # std = noise_multiplier * clip / batch size, times the learning rate 1.
    x, y = np.zeros((50, 4), "float32"), np.zeros(50, "int64")
    model = _tiny_dp_model(l2_norm_clip=2.0, noise_multiplier=1.5)
    kernel_before = model.trainable_variables[0].numpy().copy()
    updates = []
    for _ in range(20):
        model.fit(x, y, batch_size=50, epochs=1, verbose=0)
        kernel_after = model.trainable_variables[0].numpy().copy()
        updates.append(kernel_after - kernel_before)
        kernel_before = kernel_after
    assert np.std(updates) == pytest.approx(1.5 * 2.0 / 50, rel=0.15)


def test_dp_sequential_rejects_bad_settings():
    with pytest.raises(ValueError, match="l2_norm_clip"):
        DPSequential([keras.Input((4,)), keras.layers.Dense(2)], l2_norm_clip=0)
    with pytest.raises(ValueError, match="noise_multiplier"):
        DPSequential([keras.Input((4,)), keras.layers.Dense(2)], noise_multiplier=-1)


def test_membership_auc_and_its_interval():
    rng = np.random.default_rng(0)
    auc, low, high = membership_auc(rng.normal(1, 1, 400), rng.normal(0, 1, 400))
    assert low < auc < high
    assert 0.70 < low and high < 0.83  # the true AUC of N(1,1) vs N(0,1) is Phi(1/sqrt 2) = 0.760
    assert membership_auc([1, 1], [1, 1], n_bootstrap=10) == (0.5, 0.5, 0.5)
    with pytest.raises(ValueError, match="at least one"):
        membership_auc([], [0.5])


def test_ordinary_keras_step_is_the_dp_step_without_clipping_and_noise():
    # The notebook's control: keras.Sequential's own step averages the per-example
    # gradients, which is DPSequential with no clipping (huge C) and no noise.
    x = np.random.default_rng(1).normal(size=(8, 4)).astype("float32")
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    dp_model = _tiny_dp_model(l2_norm_clip=1e9, noise_multiplier=0.0)
    keras.utils.set_random_seed(0)
    plain = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    plain.compile(optimizer=keras.optimizers.SGD(1.0), loss="sparse_categorical_crossentropy")
    for a, b in zip(plain.get_weights(), dp_model.get_weights()):
        assert np.array_equal(a, b)
    for model in (plain, dp_model):
        model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    for a, b in zip(plain.get_weights(), dp_model.get_weights()):
        assert np.allclose(a, b, atol=1e-5)


def test_membership_score_is_the_logit_and_stays_finite_at_confidence_one():
    probabilities = np.array([[0.8, 0.15, 0.05], [0.2, 0.5, 0.3]])
    assert np.allclose(membership_score(probabilities, [0, 1]), [np.log(4), 0.0])
    # In float32 these confidences are exactly 1.0; the score still orders them.
    saturated = np.array([[1 - 1e-9, 1e-9, 0.0], [1 - 1e-12, 5e-13, 5e-13]], "float32")
    scores = membership_score(saturated, [0, 0])
    assert np.all(np.isfinite(scores)) and scores[1] > scores[0] > 20
    with pytest.raises(ValueError, match="membership_score"):
        membership_score(probabilities, [0, 1, 2])


def test_tpr_at_fpr_sets_the_threshold_on_the_nonmembers():
    nonmembers = np.arange(1000.0)
    members = np.r_[np.full(30, 995.0), np.full(70, 500.0)]
    tpr, threshold, false_positives = tpr_at_fpr(members, nonmembers, 0.01)
    assert false_positives == 10 and threshold == 989.0  # 990..999 are accused
    assert tpr == pytest.approx(0.30)
    assert tpr_at_fpr(members, nonmembers, 0.0)[2] == 0
    with pytest.raises(ValueError, match="fpr"):
        tpr_at_fpr(members, nonmembers, 1.0)


def test_membership_attack_matches_theory_and_scikit_learn():
    rng = np.random.default_rng(0)
    members, nonmembers = rng.normal(1, 1, 1000), rng.normal(0, 1, 5000)
    result = membership_attack(members, nonmembers, fpr=0.01, n_bootstrap=300)
    truth = np.r_[np.ones(1000), np.zeros(5000)]
    assert result["auc"] == pytest.approx(roc_auc_score(truth, np.r_[members, nonmembers]))
    # N(1,1) against N(0,1): AUC = Phi(1/sqrt 2); TPR at 1% FPR = 1 - Phi(z_0.99 - 1).
    assert result["auc_low"] < norm.cdf(1 / np.sqrt(2)) < result["auc_high"]
    assert result["tpr_low"] < 1 - norm.cdf(norm.ppf(0.99) - 1) < result["tpr_high"]
    assert result["false_positives"] == 50 and result["tpr_high"] - result["tpr_low"] < 0.08
    # Ties count one half, as in scikit-learn.
    rounded = membership_attack(np.round(members), np.round(nonmembers), n_bootstrap=2)
    assert rounded["auc"] == pytest.approx(roc_auc_score(truth, np.round(np.r_[members, nonmembers])))


def test_same_seed_resamples_the_same_examples_for_every_model():
    rng = np.random.default_rng(1)
    members, nonmembers = rng.normal(0.3, 1, 500), rng.normal(0, 1, 2000)
    first = membership_attack(members, nonmembers, n_bootstrap=50, seed=3)
    shifted = membership_attack(members + 0.5, nonmembers, n_bootstrap=50, seed=3)
    assert np.all(shifted["auc_samples"] > first["auc_samples"])  # paired: every resample
    again = membership_attack(members, nonmembers, n_bootstrap=50, seed=3)
    assert np.array_equal(first["tpr_samples"], again["tpr_samples"])


def test_dp_bound_on_any_attack():
    assert dp_tpr_bound(0.0, 0.0, 0.3) == pytest.approx(0.3)  # epsilon 0: no better than guessing
    assert dp_tpr_bound(1.0, 1e-5, 0.01) == pytest.approx(np.e * 0.01 + 1e-5)
    assert dp_tpr_bound(8.75, 1e-5, 0.01) > 0.99  # vacuous at FPR 1%
    assert dp_tpr_bound(8.75, 1e-5, 1e-6) < 0.01
    # The complementary bound: 1 - FPR <= e^eps (1 - TPR) + delta.
    assert dp_tpr_bound(2.0, 0.0, 0.5) == pytest.approx(1 - np.exp(-2.0) * 0.5)
    with pytest.raises(ValueError, match="dp_tpr_bound"):
        dp_tpr_bound(-1.0, 1e-5, 0.01)
