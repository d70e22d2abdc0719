"""Self-checks for chapter 4's exercises: the article's CNN."""

from cnnbook.checks.verdict import exercise_check


def _keras_conv2d_params(kernel_size, in_channels, filters):
    from keras import layers

    layer = layers.Conv2D(filters, kernel_size)
    layer.build((None, 32, 32, in_channels))
    return layer.count_params()


@exercise_check
def check_conv2d_param_count(conv2d_param_count):
    """Check ``conv2d_param_count(kernel_size, in_channels, filters)`` against Keras."""
    for kernel_size, in_channels, filters in [(3, 1, 32), (3, 32, 64), (5, 3, 16), (1, 8, 4), (2, 5, 7)]:
        answer = conv2d_param_count(kernel_size, in_channels, filters)
        expected = _keras_conv2d_params(kernel_size, in_channels, filters)
        if answer == expected:
            continue
        case = f"kernel_size={kernel_size}, in_channels={in_channels}, filters={filters}"
        if answer == expected - filters:
            return f"wrong for {case}. Hint: every filter also has a bias."
        if answer == kernel_size * kernel_size * filters + filters and in_channels > 1:
            return f"wrong for {case}. Hint: each filter spans all the input channels."
        return f"wrong for {case} (you returned {answer!r}). Hint: count weights per filter, then biases."
    return None


def _keras_flatten_size(image_side):
    from cnnbook.models import build_article_cnn

    model = build_article_cnn(input_shape=(image_side, image_side, 1))
    return model.get_layer(index=4).output.shape[-1]  # layer 4 is Flatten


@exercise_check
def check_flatten_size(flatten_size):
    """Check ``flatten_size(image_side)``, the Flatten width of the article's CNN."""
    for side in [28, 32, 29, 40, 15]:
        answer = flatten_size(side)
        expected = _keras_flatten_size(side)
        if answer == expected:
            continue
        if answer * 64 == expected:
            return f"wrong for a {side}x{side} image. Hint: Flatten keeps every channel of the last feature map."
        pooled_same = -(-side // 2) // 2  # as if the convolutions kept the size ('same')
        if answer == pooled_same * pooled_same * 64:
            return f"wrong for a {side}x{side} image. Hint: a 3x3 'valid' convolution shrinks each side by 2."
        return (
            f"wrong for a {side}x{side} image (you returned {answer!r}). "
            "Hint: follow the side length layer by layer; 2x2 pooling rounds down."
        )
    return None
