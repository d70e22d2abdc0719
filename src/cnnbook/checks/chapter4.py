"""Self-checks for chapter 4's exercises: the article's CNN."""

import functools

from cnnbook.checks.verdict import exercise_check, whole_number_verdict


@functools.lru_cache(maxsize=None)  # a pure function of whole numbers
def _keras_conv2d_params(kernel_size, in_channels, filters):
    from keras import layers

    layer = layers.Conv2D(filters, kernel_size)
    layer.build((None, 32, 32, in_channels))
    return layer.count_params()


@exercise_check
def check_conv2d_param_count(conv2d_param_count):
    """Check ``conv2d_param_count(kernel_size, in_channels, filters)`` against Keras."""
    cases = [(3, 1, 32), (3, 32, 64), (5, 3, 16), (1, 8, 4), (2, 5, 7)]
    expected = [_keras_conv2d_params(*case) for case in cases]
    return whole_number_verdict(
        conv2d_param_count, cases, expected, lambda k, c, f: f"kernel_size={k}, in_channels={c}, filters={f}",
        [
            (lambda k, c, f: k * k * c * f, "every filter also has a bias."),
            (lambda k, c, f: k * k * f + f, "each filter spans all the input channels."),
            (lambda k, c, f: k * c * f + f, "a kernel_size x kernel_size filter has kernel_size² weights per channel."),
            (lambda k, c, f: k * k * c * f + c, "there is one bias per filter (output channel), not per input channel."),
        ],
        "count weights per filter, then biases.",
    )


@functools.lru_cache(maxsize=None)  # a pure function of whole numbers
def _keras_flatten_size(image_side):
    from cnnbook.models import build_article_cnn

    model = build_article_cnn(input_shape=(image_side, image_side, 1))
    return model.get_layer(index=4).output.shape[-1]  # layer 4 is Flatten


@exercise_check(points=2)
def check_flatten_size(flatten_size):
    """Check ``flatten_size(image_side)``, the Flatten width of the article's CNN."""
    cases = [(28,), (32,), (29,), (40,), (15,)]
    expected = [_keras_flatten_size(side) for side, in cases]

    def side_after(n, conv, pool):
        for _ in range(2):
            n = pool(conv(n))
        return n

    def floor_pool(n):
        return n // 2

    def valid_conv(n):
        return n - 2

    return whole_number_verdict(
        flatten_size, cases, expected, lambda side: f"a {side}x{side} image",
        [
            (lambda n: side_after(n, valid_conv, floor_pool) ** 2,
             "Flatten keeps every channel of the last feature map."),
            (lambda n: side_after(n, lambda m: m, lambda m: -(-m // 2)) ** 2 * 64,
             "a 3x3 'valid' convolution shrinks each side by 2."),
            (lambda n: side_after(n, lambda m: m, floor_pool) ** 2 * 64,
             "a 3x3 'valid' convolution shrinks each side by 2."),
            (lambda n: side_after(n, valid_conv, lambda m: -(-m // 2)) ** 2 * 64,
             "2x2 pooling drops a last row or column that has no partner: round down."),
        ],
        "follow the side length layer by layer; 2x2 pooling rounds down.",
    )
