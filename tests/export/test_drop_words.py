"""What export says of the int8 model's figures against the float model's."""

from __future__ import annotations


def test_the_int8_gain_is_said_as_one():
    from imuforge.commands.train import _drop_words

    assert _drop_words(-4.76, -4.5) == "int8 higher by 4.76 / 4.50 points"
    assert _drop_words(0.5, -0.1) == "drop 0.50 / -0.10 points"
    assert _drop_words(0.0, -1.0) == "int8 higher by 0.00 / 1.00 points"  # one figure equal, one higher


def _card(accuracy: float, macro_f1: float, *, drop: float = 0.0, windows: int = 250, agreement: float = 0.94,
          checks=None, flash: int = 10_000, source: str = "test", sha256: str | None = None):
    from imuforge.export.card import ExportCard

    return ExportCard.from_json({
        "metrics": {"float": {"accuracy": accuracy + drop / 100, "macro_f1": macro_f1 + drop / 100},
                    "int8": {"accuracy": accuracy, "macro_f1": macro_f1},
                    "int8_drop_points": {"accuracy": drop, "macro_f1": drop},
                    "float_int8_top1_agreement": agreement},
        "checks": {"int8_drop_within_1_point": drop <= 1.0,
                   "checks_passed": checks or {"ops_supported_by_tflm": "pass"}},
        "data": {"test": {"source": source, "windows": windows, "per_class": {"walking": windows},
                          "sha256": sha256}},
        "size": {"flash_model_bytes": flash, "arena_bytes_tflm": 8000}})


def test_a_gain_past_one_point_warns_with_the_windows_it_moved():
    """The check is of a loss, so a gain passes; the warning counts the windows quantisation moved from the
    top-1 agreement (1 − agreement) × windows. It is the card's (card.json, card.md, and stderr with --json
    too: it had been said only on the console without --json)."""
    from imuforge.export.exporter import export_warnings

    (text,) = export_warnings(_card(0.9, 0.9, drop=-2.0))
    assert text.startswith("the int8 model scores over 1 point above the float one")
    assert "changed the class of 15 of 250 windows" in text
    assert export_warnings(_card(0.9, 0.9, drop=-0.5)) == []


def test_a_figure_worse_than_in_the_export_replaced_is_said():
    """``export --overwrite`` replaced a passing export by a failing one (int8 accuracy 0.579 → 0.516 on the
    same data) saying only 'files written for inspection'. Each figure worse than the replaced export's is a
    warning: int8 accuracy and macro-F1 on the same windows (beyond half a point), a check that passed, the
    flash and RAM (beyond 5 %); figures on other test data are not compared."""
    from imuforge.export.exporter import export_warnings

    old = _card(0.579, 0.55)
    new = _card(0.516, 0.548, checks={"ops_supported_by_tflm": "FAIL"}, flash=11_000)
    assert export_warnings(new, old) == [
        "int8 accuracy fell from 0.579 to 0.516 on the same 250 test windows as the export it replaced",
        "check(s) ops_supported_by_tflm fail, which passed in the export it replaced",
        "flash (model flatbuffer) grew from 10000 to 11000 bytes (+10 %) against the export it replaced"]
    (skipped,) = export_warnings(_card(0.516, 0.55, source="other"), old)  # other data: not compared, said
    assert skipped == ("int8 accuracy and macro-F1 not compared with the export it replaced: it was scored "
                       "on other test windows (250, these 250; export both with the same --data to compare)")
    assert export_warnings(_card(0.60, 0.56, flash=10_400), old) == []  # better, or within the margins
    # the windows are told by their digest where both cards record it: the same path holding other windows is
    # other data, the same windows given by another path are the same
    old, worse = _card(0.579, 0.55, sha256="a" * 64), _card(0.516, 0.55, sha256="a" * 64, source="./test")
    assert len(export_warnings(worse, old)) == 1
    assert "not compared" in export_warnings(_card(0.516, 0.55, sha256="b" * 64), old)[0]
