"""cnnbook.network: the article's CNN in NumPy agrees with Keras and TensorFlow's autodiff."""

import numpy as np
import pytest

from cnnbook import models, network, ops


@pytest.fixture(scope="module")
def keras_model():
    """The article's CNN with Keras's own random initial weights (no training needed)."""
    import keras

    keras.utils.set_random_seed(3)
    return models.build_article_cnn()


@pytest.fixture(scope="module")
def digits():
    """64 real training digits and their labels."""
    from cnnbook.data import load_mnist

    (x_train, y_train), _ = load_mnist()
    return models.prepare_images(x_train[:64]), y_train[:64].astype("int64")


def tape_loss_and_gradients(model, images, labels):
    """The mean cross-entropy from the logits and its gradients, by tf.GradientTape."""
    import keras
    import tensorflow as tf

    with tf.GradientTape() as tape:
        hidden = tf.constant(images)
        for layer in model.layers[:-1]:
            hidden = layer(hidden)
        out = model.get_layer("dense_out")
        logits = tf.matmul(hidden, out.kernel) + out.bias
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))
    return float(loss), [g.numpy() for g in tape.gradient(loss, model.trainable_variables)]


def relative_error(mine, theirs):
    return np.linalg.norm(mine - theirs) / np.linalg.norm(theirs)


def test_parameter_shapes_are_keras_weight_shapes(keras_model):
    assert list(network.parameter_shapes()) == [w.shape for w in keras_model.get_weights()]
    assert sum(int(np.prod(s)) for s in network.parameter_shapes()) == 121_930
    assert network.parameter_shapes((32, 30, 3), 5)[4] == (6 * 6 * 64, 64)


def test_forward_gives_keras_predictions(keras_model, digits):
    images, _ = digits
    probabilities = ops.softmax(network.forward(keras_model.get_weights(), images))
    assert np.abs(probabilities - keras_model.predict(images, verbose=0)).max() < 1e-5
    in_chunks = network.predict(keras_model.get_weights(), images, batch_size=7)
    assert np.allclose(in_chunks, network.forward(keras_model.get_weights(), images), atol=1e-6)


def test_every_gradient_matches_gradient_tape(keras_model, digits):
    images, labels = digits
    loss, grads = network.loss_and_gradients(keras_model.get_weights(), images, labels)
    tape_loss, tape_grads = tape_loss_and_gradients(keras_model, images, labels)
    assert abs(loss - tape_loss) < 1e-5
    for name, mine, theirs in zip(network.PARAMETER_NAMES, grads, tape_grads):
        assert mine.shape == theirs.shape and mine.dtype == np.float32, name
        assert relative_error(mine, theirs) < 1e-4, name


def ops_chain_gradients(weights, images, labels):
    """The same backward pass written with cnnbook.ops only, as chapter 3.4 writes it."""
    k1, b1, k2, b2, w3, b3, w4, b4 = weights
    a1 = ops.conv2d(images, k1, b1)
    h1 = ops.relu(a1)
    p1 = ops.max_pool2d(h1)
    a2 = ops.conv2d(p1, k2, b2)
    h2 = ops.relu(a2)
    p2 = ops.max_pool2d(h2)
    f = ops.flatten(p2)
    a3 = ops.dense(f, w3, b3)
    h3 = ops.relu(a3)
    z = ops.dense(h3, w4, b4)
    g, dw4, db4 = ops.dense_backward(h3, w4, ops.softmax_cross_entropy_backward(z, labels))
    g, dw3, db3 = ops.dense_backward(f, w3, ops.relu_backward(a3, g))
    g = ops.relu_backward(a2, ops.max_pool2d_backward(h2, g.reshape(p2.shape)))
    g, dk2, db2 = ops.conv2d_backward(p1, k2, g)
    g = ops.relu_backward(a1, ops.max_pool2d_backward(h1, g))
    _, dk1, db1 = ops.conv2d_backward(images, k1, g)
    return [dk1, db1, dk2, db2, dw3, db3, dw4, db4]


def test_fast_kernels_compute_what_ops_computes(keras_model, digits):
    """Positive biases make blank regions tie in every pooling window: ties go to the first."""
    images, labels = digits
    weights = keras_model.get_weights()
    weights[1] = np.abs(weights[1]) + 0.1  # conv1's blank-background outputs are > 0 and equal
    _, grads = network.loss_and_gradients(weights, images, labels)
    for name, mine, reference in zip(network.PARAMETER_NAMES, grads, ops_chain_gradients(weights, images, labels)):
        assert np.allclose(mine, reference, rtol=1e-5, atol=1e-7), name


def test_odd_image_sizes_drop_the_last_row_like_keras():
    import keras

    keras.utils.set_random_seed(1)
    model = models.build_article_cnn(input_shape=(23, 25, 2), num_classes=4)
    images = np.random.default_rng(0).uniform(0, 1, (5, 23, 25, 2)).astype("float32")
    labels = np.array([0, 1, 2, 3, 1])
    loss, grads = network.loss_and_gradients(model.get_weights(), images, labels)
    tape_loss, tape_grads = tape_loss_and_gradients(model, images, labels)
    assert abs(loss - tape_loss) < 1e-5
    assert all(relative_error(m, t) < 1e-4 for m, t in zip(grads, tape_grads))


def test_input_gradient_of_one_unit_matches_the_tape_and_stays_in_its_receptive_field(keras_model, digits):
    import tensorflow as tf

    # Real digits hold runs of equal pixels, so equal 3x3 patches give exactly equal conv1
    # outputs, and which of two tied maxima a pooling window sends its gradient to then
    # depends on the last bit of each library's convolution (it differs between CPUs). A
    # little noise makes every maximum unique; the gradients must then agree.
    noise = np.random.default_rng(0).uniform(0, 1e-3, digits[0][:4].shape).astype("float32")
    images = digits[0][:4] + noise
    row, col, channel = 2, 1, 5
    mine = network.input_gradient(keras_model.get_weights(), images, "pool2", (row, col, channel))
    x = tf.constant(images)
    with tf.GradientTape() as tape:
        tape.watch(x)
        hidden = x
        for layer in keras_model.layers[:4]:  # conv1 ... pool2
            hidden = layer(hidden)
        unit = tf.reduce_sum(hidden[:, row, col, channel])
    assert np.allclose(mine, tape.gradient(unit, x).numpy(), atol=1e-6)
    # A pool2 unit sees 10x10 pixels, starting at 4 times its position (total stride 4).
    outside = np.ones(images.shape[1:3], dtype=bool)
    outside[4 * row : 4 * row + 10, 4 * col : 4 * col + 10] = False
    assert np.all(mine[:, outside] == 0) and np.any(mine != 0)
    every_channel = network.input_gradient(keras_model.get_weights(), images, "pool2", (row, col))
    by_channel = [network.input_gradient(keras_model.get_weights(), images, "pool2", (row, col, c))
                  for c in range(64)]
    assert np.allclose(every_channel, np.sum(by_channel, axis=0), atol=1e-6)


def test_sgd_step_is_keras_sgd(keras_model, digits):
    import keras

    _, grads = network.loss_and_gradients(keras_model.get_weights(), *digits)
    variables = [keras.Variable(w) for w in keras_model.get_weights()]
    keras.optimizers.SGD(learning_rate=0.05).apply_gradients(zip(grads, variables))
    stepped = network.sgd_step(keras_model.get_weights(), grads, 0.05)
    assert all(np.abs(mine - v.numpy()).max() < 1e-6 for mine, v in zip(stepped, variables))


def test_adam_steps_are_keras_adam_and_change_nothing_passed_in(keras_model, digits):
    import keras

    weights = keras_model.get_weights()
    originals = [w.copy() for w in weights]
    variables = [keras.Variable(w) for w in weights]
    optimizer = keras.optimizers.Adam(learning_rate=0.01)
    state = None
    rng = np.random.default_rng(0)
    for _ in range(3):
        grads = [rng.standard_normal(w.shape).astype("float32") for w in weights]
        grad_copies = [g.copy() for g in grads]
        optimizer.apply_gradients(zip(grads, variables))
        previous = state
        weights, state = network.adam_step(weights, grads, state, learning_rate=0.01)
        assert all(np.array_equal(g, c) for g, c in zip(grads, grad_copies))
        if previous is not None:
            assert previous.iterations == state.iterations - 1
    assert state.iterations == 3
    assert all(np.abs(mine - v.numpy()).max() < 1e-6 for mine, v in zip(weights, variables))
    assert all(np.array_equal(a, b) for a, b in zip(keras_model.get_weights(), originals))


def test_training_lowers_the_loss_and_is_repeatable(digits):
    images, labels = digits
    start = network.initial_weights(seed=0)
    before = [w.copy() for w in start]
    first = network.train(start, images, labels, epochs=5, batch_size=16, learning_rate=0.003, seed=0)
    second = network.train(start, images, labels, epochs=5, batch_size=16, learning_rate=0.003, seed=0)
    assert len(first.losses) == 5 * 4
    assert first.losses[-4:].mean() < 0.6 * first.losses[:4].mean()
    assert all(np.array_equal(a, b) for a, b in zip(first.weights, second.weights))
    assert all(np.array_equal(a, b) for a, b in zip(start, before)), "train must not change its input"
    sgd = network.train(start, images, labels, epochs=2, batch_size=64, optimizer="sgd", learning_rate=0.1)
    assert len(sgd.losses) == 2 and sgd.losses[1] < sgd.losses[0]


def test_initial_weights_follow_glorot_uniform():
    weights = network.initial_weights(seed=1)
    assert [w.shape for w in weights] == list(network.parameter_shapes())
    assert all(w.dtype == np.float32 for w in weights)
    limit = np.sqrt(6 / (9 * 32 + 9 * 64))
    assert np.abs(weights[2]).max() <= limit
    assert abs(weights[2].std() - limit / np.sqrt(3)) < 0.02 * limit  # the spread of U(-l, l)
    assert not np.any(weights[1]) and not np.array_equal(weights[0], network.initial_weights(seed=2)[0])


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda w, x, y: (w[:7], x, y), "8 weight arrays"),
        (lambda w, x, y: (w[2:4] + w[:2] + w[4:], x, y), "weights[0] (conv1/kernel)"),
        (lambda w, x, y: ([a.T for a in w], x, y), "weights[0] (conv1/kernel) must have shape"),
        (lambda w, x, y: (np.array(w, dtype=object), x, y), "weights must be a list of arrays"),
        (lambda w, x, y: ([a.astype(int) for a in w], x, y), "floating-point"),
        (lambda w, x, y: (w, x[:, :20, :20], y), "weights[4] (dense_hidden/kernel) must have shape"),
        (lambda w, x, y: (w, x[..., 0], y), "4-D"),
        (lambda w, x, y: (w, (255 * x).astype("uint8"), y), "floating-point"),
        (lambda w, x, y: (w, x, y + 10), "[0, 10)"),
        (lambda w, x, y: (w, x, y.astype("float32")), "integer class ids"),
        (lambda w, x, y: (w, x, y[:-1]), "shape (64,)"),
    ],
)
def test_bad_input_says_what_was_expected(change, words, keras_model, digits):
    weights, images, labels = change(keras_model.get_weights(), *digits)
    with pytest.raises(ValueError, match="cnnbook.network") as error:
        network.loss_and_gradients(weights, images, labels)
    assert words in str(error.value)


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda w, x, y: network.train(w, x, y, optimizer="rmsprop"), "'adam' or 'sgd'"),
        (lambda w, x, y: network.train(w, x, y, epochs=0), "epochs must be a positive integer"),
        (lambda w, x, y: network.sgd_step(w, w[:3], 0.1), "one gradient per weight array"),
        (lambda w, x, y: network.sgd_step(w, [a.T for a in w], 0.1), "grads[0] must have the shape"),
        (lambda w, x, y: network.sgd_step(w, w, -1), "learning_rate must be a positive number"),
        (lambda w, x, y: network.adam_step(w, w, state=("not", "a", "state")), "AdamState"),
        (lambda w, x, y: network.adam_step(w, w, beta_1=1.0), "beta_1 must lie in [0, 1)"),
        (lambda w, x, y: network.input_gradient(w, x, "pool2", (5, 0, 0)), "(5, 5, 64)"),
        (lambda w, x, y: network.input_gradient(w, x, "pool2", (0, 0, 0, 0)), "1 to 3 whole numbers"),
        (lambda w, x, y: network.input_gradient(w, x, "pool2", (-1, 0)), "1 to 3 whole numbers"),
        (lambda w, x, y: network.input_gradient(w, x, "softmax", 0), "layer must be one of"),
        (lambda w, x, y: network.parameter_shapes((8, 8, 1)), "at least 10x10"),
    ],
)
def test_bad_arguments_say_what_was_expected(call, words, keras_model, digits):
    with pytest.raises(ValueError) as error:
        call(keras_model.get_weights(), *digits)
    assert words in str(error.value)


def test_blas_threads_are_capped_inside_and_restored_after():
    threadpoolctl = pytest.importorskip("threadpoolctl")

    def blas_threads():
        return [pool["num_threads"] for pool in threadpoolctl.threadpool_info() if pool["user_api"] == "blas"]

    before = blas_threads()
    with network._blas_threads("test", 1):
        assert set(blas_threads()) == {1}
    assert blas_threads() == before
    with pytest.raises(ValueError, match="blas_threads must be a positive integer"):
        network.predict(network.initial_weights(), np.zeros((1, 28, 28, 1), "float32"), blas_threads=0)
