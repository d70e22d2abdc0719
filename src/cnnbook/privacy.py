"""Private training for chapter 5.2: DP-SGD in a Keras train step, and its privacy budget.

DP-SGD (Abadi et al., 2016) changes one thing in stochastic gradient descent: before
the gradients of a batch are averaged, each example's gradient is clipped to a
maximum L2 norm, and Gaussian noise is added to their sum. No single example can then
move the model by more than a bounded, noise-masked amount. How much privacy that buys
is measured by the budget epsilon, which :func:`dp_sgd_epsilon` computes with the
Rényi-DP accountant of the sampled Gaussian mechanism (Mironov, Talwar and Zhang, 2019).
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

    def __init__(self, layers, l2_norm_clip=1.0, noise_multiplier=1.0, seed=0, name=None):
        if not l2_norm_clip > 0:
            raise ValueError(f"DPSequential: l2_norm_clip must be a positive number; got {l2_norm_clip!r}")
        if not noise_multiplier >= 0:
            raise ValueError(f"DPSequential: noise_multiplier must be >= 0; got {noise_multiplier!r}")
        super().__init__(layers, name=name)
        self.l2_norm_clip = float(l2_norm_clip)
        self.noise_multiplier = float(noise_multiplier)
        self._noise_seed = keras.random.SeedGenerator(seed)

    def _example_gradient(self, example):
        image, label = example
        with tf.GradientTape() as tape:
            probabilities = self(image[None], training=True)
            loss = keras.losses.sparse_categorical_crossentropy(label[None], probabilities)[0]
        return tape.gradient(loss, self.trainable_variables), probabilities[0]

    def train_step(self, data):
        x, y = data[0], data[1]
        variables = self.trainable_variables
        # vectorized_map warns that it loops over the convolutions' filter gradients.
        with quiet_tensorflow_logger():
            gradients, y_pred = tf.vectorized_map(self._example_gradient, (x, y))
        # Each example's gradient is one vector across all the weights: clip its norm.
        squared = [tf.reduce_sum(tf.reshape(g, (tf.shape(g)[0], -1)) ** 2, axis=1) for g in gradients]
        norms = tf.sqrt(tf.add_n(squared))
        scale = tf.minimum(1.0, self.l2_norm_clip / tf.maximum(norms, 1e-12))
        batch_size = tf.cast(tf.shape(x)[0], "float32")
        noisy_means = []
        for g in gradients:
            clipped_sum = tf.tensordot(scale, g, axes=1)
            noise = keras.random.normal(
                tf.shape(clipped_sum), stddev=self.noise_multiplier * self.l2_norm_clip, seed=self._noise_seed
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
    if orders.ndim != 1 or orders.size == 0 or np.any(orders < 2) or np.any(orders != np.round(orders)):
        raise ValueError(f"rdp_sampled_gaussian: orders must be integers >= 2; got {orders!r}")
    if not 0 <= sampling_rate <= 1:
        raise ValueError(f"rdp_sampled_gaussian: sampling_rate must lie in [0, 1]; got {sampling_rate!r}")
    if not noise_multiplier > 0:
        raise ValueError(f"rdp_sampled_gaussian: noise_multiplier must be positive; got {noise_multiplier!r}")
    if sampling_rate == 0:
        return np.zeros(len(orders))
    # log(1 - q) is -inf when q = 1; the k = alpha term has no (1 - q) factor at all.
    log_one_minus_q = math.log1p(-sampling_rate) if sampling_rate < 1 else -math.inf
    result = []
    for alpha in orders.astype(int):
        k = np.arange(alpha + 1)
        log_binomial = gammaln(alpha + 1) - gammaln(k + 1) - gammaln(alpha - k + 1)
        log_one_minus_q_power = np.where(k == alpha, 0.0, (alpha - np.minimum(k, alpha - 1)) * log_one_minus_q)
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

    Adds the per-step Rényi-DP over the steps (RDP composes by addition) and converts it
    to an (epsilon, delta) guarantee with the conversion of Canonne, Kamath and Steinke
    (2020), taking the best integer order. ``sampling_rate`` is batch size / dataset
    size. Smaller epsilon means more privacy.
    """
    if not 0 < delta < 1:
        raise ValueError(f"dp_sgd_epsilon: delta must lie strictly between 0 and 1; got {delta!r}")
    if not (isinstance(steps, (int, np.integer)) and steps >= 0):
        raise ValueError(f"dp_sgd_epsilon: steps must be a non-negative int; got {steps!r}")
    alphas = np.asarray(list(orders), dtype=float)
    rdp = steps * rdp_sampled_gaussian(sampling_rate, noise_multiplier, alphas)
    epsilons = rdp + np.log1p(-1 / alphas) - (math.log(delta) + np.log(alphas)) / (alphas - 1)
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
        raise ValueError("membership_auc: expected at least one member score and one non-member score")
    truth = np.r_[np.ones(len(members)), np.zeros(len(nonmembers))]
    auc = roc_auc_score(truth, np.r_[members, nonmembers])
    rng = np.random.default_rng(seed)
    resampled = [
        roc_auc_score(truth, np.r_[rng.choice(members, len(members)), rng.choice(nonmembers, len(nonmembers))])
        for _ in range(n_bootstrap)
    ]
    low, high = np.percentile(resampled, [2.5, 97.5])
    return float(auc), float(low), float(high)
