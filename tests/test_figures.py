"""The shared figures and animations are legible and usable: no text below plots.MIN_FONT_PT,
a named frame slider, and no visible player control that changes nothing."""

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from cnnbook import animations, plots  # noqa: E402

RNG = np.random.default_rng(0)
DIGITS = RNG.random((12, 28, 28))


def small_texts(fig):
    """Every visible, non-empty text of a drawn figure smaller than plots.MIN_FONT_PT, as (text, size)."""
    fig.canvas.draw()  # tick labels exist only once drawn
    return sorted({(text.get_text(), text.get_fontsize()) for text in fig.findobj(Text)
                   if text.get_visible() and text.get_text().strip() and text.get_fontsize() < plots.MIN_FONT_PT})


FIGURES = {
    "show_digits": lambda: plots.show_digits(DIGITS, [f"label {i}\np=0.9" for i in range(12)], ncols=6,
                                             suptitle="digits"),
    "plot_history": lambda: plots.plot_history({"loss": [0.5, 0.3, 0.2], "val_loss": [0.4, 0.3, 0.25],
                                                "accuracy": [0.8, 0.9, 0.95], "val_accuracy": [0.85, 0.9, 0.93]}),
    "plot_confusion_matrix": lambda: plots.plot_confusion_matrix(RNG.integers(0, 1200, (10, 10)),
                                                                 [str(i) for i in range(10)]),
}


@pytest.mark.parametrize("name", FIGURES)
def test_shared_figures_write_no_text_below_the_minimum(name):
    fig = FIGURES[name]()
    try:
        assert not small_texts(fig), f"plots.{name} draws text below {plots.MIN_FONT_PT} pt: {small_texts(fig)}"
    finally:
        plt.close(fig)


ANIMATIONS = {
    "conv_animation": lambda: animations.conv_animation(DIGITS[0], RNG.standard_normal((3, 3)), row=12),
    "pool_animation": lambda: animations.pool_animation(RNG.random((10, 10)), size=2),
}


@pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")
@pytest.mark.parametrize("name", ANIMATIONS)
def test_animations_write_no_text_below_the_minimum_on_any_frame(name):
    anim = ANIMATIONS[name]()
    fig = anim._fig  # matplotlib keeps a FuncAnimation's figure and drawing function here
    try:
        for frame in anim.new_frame_seq():
            anim._func(frame)
            assert not small_texts(fig), (f"animations.{name}, frame {frame}: text below "
                                          f"{plots.MIN_FONT_PT} pt: {small_texts(fig)}")
    finally:
        plt.close(fig)


def test_the_check_sees_small_text():
    """The check above can fail: a 7 pt label is found."""
    fig, ax = plt.subplots()
    ax.text(0.5, 0.5, "42", fontsize=7)
    try:
        assert ("42", 7.0) in small_texts(fig)
    finally:
        plt.close(fig)


@pytest.fixture(scope="module")
def player():
    return animations.to_html(animations.pool_animation(RNG.random((4, 4)), size=2),
                              alt="max pooling of a 4 by 4 array, window by window")


def test_player_slider_has_a_name(player):
    slider = re.search(r'<input [^>]*type="range"[^>]*>', player, flags=re.S)
    assert slider and f'aria-label="{animations.SLIDER_LABEL}"' in slider.group(0), slider


def test_player_shows_only_controls_that_change_the_frame(player):
    """Speed and repetition mode change nothing on a paused player: they are hidden, not gone
    (the player's script reads the repetition mode)."""
    buttons = dict(re.findall(r'<button title="([^"]+)"([^>]*)>', player))
    hidden = {title for title, attributes in buttons.items() if re.match(r"\s*hidden\b", attributes)}
    assert hidden == set(animations.HIDDEN_BUTTONS)
    assert {"First frame", "Previous frame", "Play", "Pause", "Next frame", "Last frame"} <= set(buttons) - hidden
    form = re.search(r'<form [^>]*class="anim-state"', player, flags=re.S)
    assert form and form.group(0).startswith("<form hidden "), form
    assert re.search(r'value="once"[^>]*\s+checked', player), "the hidden repetition mode must stay 'once'"


def frames_of(player):
    """Every frame a player embeds, as PNG bytes."""
    import base64

    return [base64.b64decode(data.replace("\\\n", ""))
            for data in re.findall(r'frames\[\d+\] = "data:image/png;base64,([^"]*)"', player)]


def test_player_frames_are_palette_pngs_that_look_the_same():
    import io

    from PIL import Image

    anim = ANIMATIONS["conv_animation"]()
    full = frames_of(anim.to_jshtml())
    compact = frames_of(animations.to_html(anim, alt="a 3 by 3 window slides along row 12 of a digit"))
    assert len(compact) == len(full) == 26
    assert sum(map(len, compact)) < 0.6 * sum(map(len, full)), "the palette frames should be much smaller"
    for before, after in zip(full, compact):
        original, stored = Image.open(io.BytesIO(before)).convert("RGB"), Image.open(io.BytesIO(after))
        assert stored.mode == "P" and stored.size == original.size
        error = np.abs(np.asarray(stored.convert("RGB"), float) - np.asarray(original, float))
        assert error.mean() < 1.0, f"the palette changes the frame by {error.mean():.2f} levels on average"
