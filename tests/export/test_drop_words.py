"""What export says of the int8 model's figures against the float model's."""

from __future__ import annotations


def test_the_int8_gain_is_said_as_one():
    from imuforge.commands.train import _drop_words

    assert _drop_words(-4.76, -4.5) == "int8 higher by 4.76 / 4.50 points"
    assert _drop_words(0.5, -0.1) == "drop 0.50 / -0.10 points"
    assert _drop_words(0.0, -1.0) == "int8 higher by 0.00 / 1.00 points"  # one figure equal, one higher


def test_a_gain_past_one_point_warns_with_the_windows_it_moved():
    """The check is of a loss, so a gain passes; the warning counts the windows quantisation moved from the
    top-1 agreement (1 − agreement) × windows."""
    from imuforge.commands.train import _gain_warning

    text = _gain_warning(250, 0.94)
    assert text.startswith("warning: the int8 model scores over 1 point above the float one")
    assert "changed the class of 15 of 250 windows" in text
