"""Private training for chapter 5.2: DP-SGD in a Keras train step, and its privacy budget.

DP-SGD (Abadi et al., 2016) changes one thing in stochastic gradient descent: before
the gradients of a batch are averaged, each example's gradient is clipped to a
maximum L2 norm, and Gaussian noise is added to their sum. No single example can then
move the model by more than a bounded, noise-masked amount. How much privacy that buys
is measured by the budget epsilon, which :func:`dp_sgd_epsilon` computes with the
Rényi-DP accountant of the sampled Gaussian mechanism (Mironov, Talwar and Zhang, 2019),
for neighbouring datasets that differ by adding or removing one example.

:func:`membership_attack` measures a membership-inference attack the way the
literature reports it (Carlini et al., 2022): the ROC AUC and the true-positive rate
at a low false-positive rate, each with a bootstrap interval.
"""

import math

import keras
import numpy as np
import tensorflow as tf
from scipy.special import gammaln, logsumexp

from cnnbook.env import quiet_tensorflow_logger


class DPSequential(keras.Sequential):
    """A ``keras.Sequential`` whose ``fit`` trains with DP-SGD.

    Each training step computes one gradient per example (``tf.vectorized_map``),
    scales each down to an L2 norm of at most ``l2_norm_clip``, sums them, adds
    Gaussian noise of standard deviation ``noise_multiplier * l2_norm_clip`` and
    divides by the batch size; the compiled optimizer then applies that gradient.
    The loss is always sparse categorical cross-entropy on probabilities (the
    article's), whatever ``compile`` was given; compile it for the optimizer and
    the metrics. Prediction and evaluation are unchanged.
    """

    def __init__(
        self, layers, l2_norm_clip=1.0, noise_multiplier=1.0, seed=0, name=None
    ):
        if not l2_norm_clip > 0:
            raise ValueError(
                f"DPSequential: l2_norm_clip must be a positive number; got {l2_norm_clip!r}"
            )
        if not noise_multiplier >= 0:
            raise ValueError(
                f"DPSequential: noise_multiplier must be >= 0; got {noise_multiplier!r}"
            )
        super().__init__(layers, name=name)
        self.l2_norm_clip = float(l2_norm_clip)
        self.noise_multiplier = float(noise_multiplier)
        self._noise_seed = keras.random.SeedGenerator(seed)

    def _example_gradient(self, example):
        image, label = example
        with tf.GradientTape() as tape:
            probabilities = self(image[None], training=True)
            loss = keras.losses.sparse_categorical_crossentropy(
                label[None], probabilities
            )[0]
        return tape.gradient(loss, self.trainable_variables), probabilities[0]

    def train_step(self, data):
        x, y = data[0], data[1]
        variables = self.trainable_variables
        # vectorized_map warns that it loops over the convolutions' filter gradients.
        with quiet_tensorflow_logger():
            gradients, y_pred = tf.vectorized_map(self._example_gradient, (x, y))
        # Each example's gradient is one vector across all the weights: clip its norm.
        squared = [
            tf.reduce_sum(tf.reshape(g, (tf.shape(g)[0], -1)) ** 2, axis=1)
            for g in gradients
        ]
        norms = tf.sqrt(tf.add_n(squared))
        scale = tf.minimum(1.0, self.l2_norm_clip / tf.maximum(norms, 1e-12))
        batch_size = tf.cast(tf.shape(x)[0], "float32")
        noisy_means = []
        for g in gradients:
            clipped_sum = tf.tensordot(scale, g, axes=1)
            noise = keras.random.normal(
                tf.shape(clipped_sum),
                stddev=self.noise_multiplier * self.l2_norm_clip,
                seed=self._noise_seed,
            )
            noisy_means.append((clipped_sum + noise) / batch_size)
        self.optimizer.apply(noisy_means, variables)
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, y_pred))
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {metric.name: metric.result() for metric in self.metrics}


def rdp_sampled_gaussian(sampling_rate, noise_multiplier, orders):
    """Rényi-DP of one step of the sampled Gaussian mechanism, at integer orders.

    One DP-SGD step draws each example with probability ``sampling_rate`` (q) and adds
    noise with ``noise_multiplier`` (sigma). For an integer order alpha >= 2 its RDP is
    (Mironov, Talwar and Zhang, 2019, section 3.3)

        log( sum_k C(alpha, k) (1-q)^(alpha-k) q^k exp((k^2 - k) / (2 sigma^2)) ) / (alpha - 1).

    Returns a float array, one value per order.
    """
    orders = np.asarray(orders)
    if (
        orders.ndim != 1
        or orders.size == 0
        or np.any(orders < 2)
        or np.any(orders != np.round(orders))
    ):
        raise ValueError(
            f"rdp_sampled_gaussian: orders must be integers >= 2; got {orders!r}"
        )
    if not 0 <= sampling_rate <= 1:
        raise ValueError(
            f"rdp_sampled_gaussian: sampling_rate must lie in [0, 1]; got {sampling_rate!r}"
        )
    if not noise_multiplier > 0:
        raise ValueError(
            f"rdp_sampled_gaussian: noise_multiplier must be positive; got {noise_multiplier!r}"
        )
    if sampling_rate == 0:
        return np.zeros(len(orders))
    # log(1 - q) is -inf when q = 1; the k = alpha term has no (1 - q) factor at all.
    log_one_minus_q = math.log1p(-sampling_rate) if sampling_rate < 1 else -math.inf
    result = []
    for alpha in orders.astype(int):
        k = np.arange(alpha + 1)
        log_binomial = gammaln(alpha + 1) - gammaln(k + 1) - gammaln(alpha - k + 1)
        log_one_minus_q_power = np.where(
            k == alpha, 0.0, (alpha - np.minimum(k, alpha - 1)) * log_one_minus_q
        )
        log_terms = (
            log_binomial
            + log_one_minus_q_power
            + k * math.log(sampling_rate)
            + (k * k - k) / (2 * noise_multiplier**2)
        )
        result.append(logsumexp(log_terms) / (alpha - 1))
    return np.array(result)


def dp_sgd_epsilon(noise_multiplier, sampling_rate, steps, delta, orders=range(2, 257)):
    """The privacy budget epsilon of DP-SGD after ``steps`` steps, for a given ``delta``.

    The guarantee is for the add/remove-one neighbouring relation: the two datasets
    differ by one example that one of them has and the other lacks, so one clipped
    gradient (norm at most C) is the most a step's sum can change. (Replacing one
    example can change it by 2C; that relation needs a different accounting.) The
    steps are analysed as Poisson-sampled: each example joins each batch independently
    with probability ``sampling_rate``.

    Adds the per-step Rényi-DP over the steps (RDP composes by addition) and converts it
    to an (epsilon, delta) guarantee with the conversion of Canonne, Kamath and Steinke
    (2020), taking the best integer order. ``sampling_rate`` is batch size / dataset
    size. Smaller epsilon means more privacy.
    """
    if not 0 < delta < 1:
        raise ValueError(
            f"dp_sgd_epsilon: delta must lie strictly between 0 and 1; got {delta!r}"
        )
    if not (isinstance(steps, (int, np.integer)) and steps >= 0):
        raise ValueError(
            f"dp_sgd_epsilon: steps must be a non-negative int; got {steps!r}"
        )
    alphas = np.asarray(list(orders), dtype=float)
    rdp = steps * rdp_sampled_gaussian(sampling_rate, noise_multiplier, alphas)
    epsilons = (
        rdp + np.log1p(-1 / alphas) - (math.log(delta) + np.log(alphas)) / (alphas - 1)
    )
    return float(max(0.0, epsilons.min()))


def membership_auc(member_scores, nonmember_scores, n_bootstrap=1000, seed=0):
    """ROC AUC of a threshold attack that calls high-scoring examples "members".

    The AUC is the probability that a random training example (member) scores higher
    than a random held-out one, ties counting one half: 0.5 is guessing, 1.0 perfect.
    Returns ``(auc, low, high)`` where ``low, high`` is a 95% bootstrap interval
    (both groups resampled ``n_bootstrap`` times).
    """
    from sklearn.metrics import roc_auc_score

    members, nonmembers = np.ravel(member_scores), np.ravel(nonmember_scores)
    if len(members) == 0 or len(nonmembers) == 0:
        raise ValueError(
            "membership_auc: expected at least one member score and one non-member score"
        )
    truth = np.r_[np.ones(len(members)), np.zeros(len(nonmembers))]
    auc = roc_auc_score(truth, np.r_[members, nonmembers])
    rng = np.random.default_rng(seed)
    resampled = [
        roc_auc_score(
            truth,
            np.r_[
                rng.choice(members, len(members)),
                rng.choice(nonmembers, len(nonmembers)),
            ],
        )
        for _ in range(n_bootstrap)
    ]
    low, high = np.percentile(resampled, [2.5, 97.5])
    return float(auc), float(low), float(high)


def membership_score(probabilities, labels):
    """The attack's score: the logit of the true label's probability, log(p / (1 - p)).

    ``probabilities`` is the model's (n, classes) softmax output and ``labels`` the true
    labels. It ranks examples as the confidence p does, but it is computed as
    log p_y - log(sum of the other classes' probabilities), so confidences that round to
    exactly 1.0 in float32 still get distinct, finite scores (Carlini et al., 2022).
    """
    probabilities = np.asarray(probabilities, dtype="float64")
    labels = np.asarray(labels)
    if probabilities.ndim != 2 or labels.shape != probabilities.shape[:1]:
        raise ValueError(
            f"membership_score: expected (n, classes) probabilities and n labels; "
            f"got shapes {probabilities.shape} and {labels.shape}"
        )
    rows = np.arange(len(labels))
    true = probabilities[rows, labels]
    others = probabilities.sum(axis=1) - true
    # When the other classes underflow the subtraction, sum them directly.
    masked = probabilities.copy()
    masked[rows, labels] = 0.0
    others = np.where(others > 1e-6, others, masked.sum(axis=1))
    tiny = np.finfo("float64").tiny
    return np.log(np.maximum(true, tiny)) - np.log(np.maximum(others, tiny))


def tpr_at_fpr(member_scores, nonmember_scores, fpr=0.01):
    """True-positive rate of the threshold attack whose false-positive rate is at most ``fpr``.

    The threshold is set on the non-members: at most ``floor(fpr * n)`` of the ``n``
    non-members score above it. Returns ``(tpr, threshold, false_positives)``, where
    ``tpr`` is the fraction of members that score above the threshold.
    """
    members, nonmembers = np.ravel(member_scores), np.ravel(nonmember_scores)
    if len(members) == 0 or len(nonmembers) == 0:
        raise ValueError(
            "tpr_at_fpr: expected at least one member score and one non-member score"
        )
    if not 0 <= fpr < 1:
        raise ValueError(f"tpr_at_fpr: fpr must lie in [0, 1); got {fpr!r}")
    allowed = int(math.floor(fpr * len(nonmembers) + 1e-9))
    threshold = np.sort(nonmembers)[::-1][allowed]
    return (
        float(np.mean(members > threshold)),
        float(threshold),
        int(np.sum(nonmembers > threshold)),
    )


def _auc_and_tpr(members, sorted_nonmembers, allowed):
    """Mann-Whitney AUC (ties count one half, as in scikit-learn's roc_auc_score) and the
    TPR above the threshold that ``allowed`` non-members exceed, from sorted non-members.
    """
    below = np.searchsorted(sorted_nonmembers, members, side="left")
    below_or_tied = np.searchsorted(sorted_nonmembers, members, side="right")
    auc = (below.sum() + below_or_tied.sum()) / (
        2 * len(members) * len(sorted_nonmembers)
    )
    threshold = sorted_nonmembers[len(sorted_nonmembers) - 1 - allowed]
    return float(auc), float(np.mean(members > threshold))


def membership_attack(
    member_scores, nonmember_scores, fpr=0.01, n_bootstrap=1000, seed=0
):
    """AUC and true-positive rate at ``fpr`` of a threshold attack, with 95% intervals.

    High scores are called "members". The intervals are percentile bootstraps that
    resample members and non-members (``n_bootstrap`` times) and recompute both the
    threshold and the rates. Returns a dict with ``auc, auc_low, auc_high, tpr, tpr_low,
    tpr_high``, the ``threshold`` and its ``false_positives``, and the resampled values
    ``auc_samples, tpr_samples``. With the same ``seed`` and group sizes the resampled
    indices are the same for every model, so differences of two models' samples give a
    paired interval for the difference.
    """
    members, nonmembers = np.ravel(member_scores), np.ravel(nonmember_scores)
    if len(members) == 0 or len(nonmembers) == 0:
        raise ValueError(
            "membership_attack: expected at least one member score and one non-member score"
        )
    tpr, threshold, false_positives = tpr_at_fpr(members, nonmembers, fpr)
    allowed = int(math.floor(fpr * len(nonmembers) + 1e-9))
    auc = _auc_and_tpr(members, np.sort(nonmembers), allowed)[0]
    rng = np.random.default_rng(seed)
    resampled = []
    for _ in range(n_bootstrap):
        m = members[rng.integers(0, len(members), len(members))]
        n = np.sort(nonmembers[rng.integers(0, len(nonmembers), len(nonmembers))])
        resampled.append(_auc_and_tpr(m, n, allowed))
    auc_samples, tpr_samples = np.array(resampled).reshape(-1, 2).T
    auc_low, auc_high = np.percentile(auc_samples, [2.5, 97.5])
    tpr_low, tpr_high = np.percentile(tpr_samples, [2.5, 97.5])
    return {
        "auc": auc,
        "auc_low": float(auc_low),
        "auc_high": float(auc_high),
        "tpr": tpr,
        "tpr_low": float(tpr_low),
        "tpr_high": float(tpr_high),
        "threshold": threshold,
        "false_positives": false_positives,
        "auc_samples": auc_samples,
        "tpr_samples": tpr_samples,
    }


def dp_tpr_bound(epsilon, delta, fpr):
    """The most any membership test can catch at false-positive rate ``fpr`` under (epsilon, delta)-DP.

    For one example and two neighbouring datasets, every test satisfies both
    TPR <= e^epsilon * FPR + delta and 1 - FPR <= e^epsilon * (1 - TPR) + delta
    (Kairouz, Oh and Viswanath, 2015); this returns the smaller of the two bounds, capped
    at 1. A bound of 1 says nothing.
    """
    if not epsilon >= 0 or not 0 <= delta < 1 or not 0 <= fpr <= 1:
        raise ValueError(
            f"dp_tpr_bound: expected epsilon >= 0, delta in [0, 1), fpr in [0, 1]; "
            f"got {epsilon!r}, {delta!r}, {fpr!r}"
        )
    first = math.exp(epsilon) * fpr + delta
    second = 1 - math.exp(-epsilon) * (1 - delta - fpr)
    return float(min(1.0, first, second))
