"""Classification metrics against scikit-learn (a different implementation), and the printed report."""

import json

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from imuforge.train.evaluate import Metrics, classification_metrics, format_report

LABELS = ["lying", "running", "sitting", "standing", "walking"]


def test_metrics_agree_with_scikit_learn():
    rng = np.random.default_rng(0)
    y_true = rng.choice([0, 2, 3, 4], 300)  # running is never true ...
    y_pred = np.where(rng.random(300) < 0.7, y_true, rng.choice([1, 2, 3, 4], 300))  # ... but predicted
    m = classification_metrics(y_true, y_pred, LABELS)
    assert np.isclose(m.macro_f1, f1_score(y_true, y_pred, average="macro", zero_division=0))
    assert np.isclose(m.accuracy, accuracy_score(y_true, y_pred)) and m.windows == 300
    assert np.array_equal(m.confusion, confusion_matrix(y_true, y_pred, labels=range(5)))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=range(5), zero_division=0)
    for i, lab in enumerate(LABELS):
        got = m.per_class[lab]
        assert np.allclose([got.precision, got.recall, got.f1], [p[i], r[i], f[i]])
        assert got.support == s[i]


def test_metrics_json_holds_plain_types_reads_back_and_maps_its_keys():
    m = classification_metrics([0, 1, 1, 2], [0, 1, 2, 2], ["a", "b", "c"])
    doc = json.loads(json.dumps(m.to_json()))  # plain JSON types throughout
    # by hand: a 1/1 right; b 1 of 2 found, its one prediction right; c found, 1 of its 2 predictions right
    want = {"a": (1.0, 1.0, 1.0, 1), "b": (1.0, 0.5, 2 / 3, 2), "c": (0.5, 1.0, 2 / 3, 1)}
    assert doc["per_class"] == {lab: {"precision": pytest.approx(p), "recall": pytest.approx(r),
                                      "f1": pytest.approx(f), "support": n}
                                for lab, (p, r, f, n) in want.items()}
    assert doc["macro_f1"] == pytest.approx(7 / 9) == doc["macro_f1_in_data"] and doc["accuracy"] == 0.75
    assert doc["confusion"] == [[1, 0, 0], [0, 1, 1], [0, 0, 1]] and doc["windows"] == 4
    assert Metrics.from_json(doc) == m  # a metrics.json read back is the same figures
    # scripts written against the JSON read it as a mapping
    assert m["per_class"]["b"]["recall"] == 0.5 == m.per_class["b"].recall
    assert "windows" in m and dict(m) == m.to_json() and m.get("absent") is None
    with pytest.raises(TypeError):
        hash(m)  # equal by value, as the dict it stands for


def test_the_report_lists_the_classes_it_averages_and_names_the_others():
    y_true = np.full(40, 4)  # one-class data (walking) ...
    y_pred = np.r_[np.full(30, 4), np.full(10, 3)]  # ... some called standing
    m = classification_metrics(y_true, y_pred, LABELS)
    text = format_report(m)
    rows = [line.split()[0] for line in text.splitlines()[1:-2]]
    assert rows == ["standing", "walking", "accuracy", "macro-F1"]
    # standing is predicted but never true: counted with F1 0 (scikit-learn's macro), and said so
    in_data = f1_score(y_true, y_pred, labels=[4], average="macro", zero_division=0)
    assert text.splitlines()[-2] == ("macro-F1 counts standing with F1 0: predicted, but no window of the data is "
                                     f"one (as scikit-learn counts it); over the classes in the data only: "
                                     f"{in_data:.3f}")
    assert np.isclose(m.macro_f1_in_data, in_data) and m.macro_f1 < in_data
    assert text.splitlines()[-1] == "not in the data and never predicted (not averaged): lying, running, sitting"
    assert np.isclose(m.macro_f1, f1_score(y_true, y_pred, average="macro", zero_division=0))
    assert format_report(json.loads(json.dumps(m.to_json()))) == text  # a metrics.json read back
