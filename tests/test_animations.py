"""The animations' steps are the layers' own numbers, and the animations embed in HTML."""

import base64
import re

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402

from cnnbook import animations, ops  # noqa: E402

RNG = np.random.default_rng(0)
IMAGE = RNG.random((7, 6)).astype("float32")
KERNEL = RNG.standard_normal((3, 2)).astype("float32")


def test_conv_steps_are_the_products_behind_one_output_row():
    steps = animations.conv_steps(IMAGE, KERNEL, row=2)
    row = ops.conv2d(IMAGE[None, :, :, None], KERNEL[:, :, None, None])[0, 2, :, 0]
    assert [step.j for step in steps] == list(range(len(row))) == list(range(5))
    assert_allclose([step.total for step in steps], row, rtol=1e-6)
    assert_allclose(steps[3].products, IMAGE[2:5, 3:5] * KERNEL)


def test_conv_steps_refuse_rows_outside_the_output():
    with pytest.raises(ValueError, match=r"row must be an output row in \[0, 5\)"):
        animations.conv_steps(IMAGE, KERNEL, row=5)
    with pytest.raises(ValueError, match="must be a 2-D float array"):
        animations.conv_steps(IMAGE[None], KERNEL, row=0)


@pytest.mark.parametrize("size, stride", [(2, None), (3, 2), (2, 1)])
def test_pool_steps_pick_the_maximum_and_its_first_position(size, stride):
    x = RNG.random((7, 8)).astype("float32")
    x[0, :2] = 5.0  # a tie: the first maximum in row-major order wins
    steps = animations.pool_steps(x, size, stride)
    pooled = ops.max_pool2d(x[None, :, :, None], size, stride)[0, :, :, 0]
    assert len(steps) == pooled.size
    assert_allclose([s.value for s in steps], pooled.ravel())
    assert all(x[s.winner] == s.value for s in steps)
    assert steps[0].winner == (0, 0)


def frames_in(html):
    return len(re.findall(r"frames\[\d+\] = \"data:image/png;base64", html))


def first_image(html):
    """The src and alt of the player's <img>: a decodable PNG and a description."""
    tag = re.search(r'<img id="_anim_img\w+" src="data:image/png;base64,([^"]+)" alt="([^"]+)">', html)
    assert tag, "the player's <img> has no src or alt"
    assert base64.b64decode(tag.group(1)).startswith(b"\x89PNG")
    return tag.group(2)


def test_conv_animation_embeds_one_frame_per_window_position():
    html = animations.to_html(animations.conv_animation(IMAGE, KERNEL, row=1), alt="a 3x2 window slides along row 1")
    assert "<script" in html and frames_in(html) == 5
    assert first_image(html) == "a 3x2 window slides along row 1"


def test_pool_animation_embeds_one_frame_per_window():
    html = animations.to_html(animations.pool_animation(IMAGE[:4, :6], size=2), alt="max pooling picks <winners>")
    assert "<script" in html and frames_in(html) == 6
    assert first_image(html) == "max pooling picks &lt;winners&gt;"


def test_player_loads_nothing_from_other_sites():
    """The book works offline: no Font Awesome from a CDN; every button shows a Unicode symbol."""
    html = animations.to_html(animations.pool_animation(IMAGE[:4, :4], size=2), alt="max pooling of a 4x4 array")
    assert not re.search(r"""(href|src)=["']?(https?:)?//""", html), "the player links a file from another site"
    assert "fa fa-" not in html, "an icon still needs Font Awesome"
    buttons = re.findall(r'<button title="([^"]+)"[^>]*>\s*([^<]+)</button>', html)
    assert dict(buttons)["Play"] == "\u25b6\ufe0e" and dict(buttons)["Pause"] == "\u275a\u275a"
    assert len(buttons) == len(animations.BUTTON_SYMBOLS) == 9


def test_to_html_wants_a_real_description():
    with pytest.raises(ValueError, match="alt must describe the animation"):
        animations.to_html(None, alt="animation")  # checked before anything is drawn
