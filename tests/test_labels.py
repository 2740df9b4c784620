"""The canonical activity vocabulary at the command-line edge."""

from __future__ import annotations

import pytest

from imuforge.errors import ValidationError
from imuforge.labels import CANONICAL_LABELS, SYNONYMS, canonical_label


@pytest.mark.parametrize("given, expected", [("walking", "walking"), ("Walk", "walking"), ("jogging", "running"),
                                             ("Walking Upstairs", "stairs_up"), ("sit-stand", "sit_to_stand")])
def test_synonyms_map_onto_the_vocabulary(given, expected):
    assert canonical_label(given) == expected


def test_every_synonym_targets_a_canonical_label():
    assert set(SYNONYMS.values()) <= set(CANONICAL_LABELS)


def test_unknown_labels_are_refused_with_suggestions_unless_custom():
    with pytest.raises(ValidationError, match=r"unknown activity label 'walkng'; did you mean walking") as exc:
        canonical_label("walkng", source="--label")
    assert "--label" in str(exc.value) and "standing" in exc.value.allowed
    assert canonical_label("Nordic walking", allow_custom=True) == "nordic_walking"
    with pytest.raises(ValidationError, match="snake_case"):
        canonical_label("9lives", allow_custom=True)


@pytest.mark.parametrize("pairs,expected", [
    # one person walked, another climbed both ways: every class has one wearer → confounded
    ([("walking", "A"), ("stairs_up", "B"), ("stairs_down", "B"), ("walking", "A")],
     {"stairs_down": "B", "stairs_up": "B", "walking": "A"}),
    # a class two wearers show: the wearer does not decide the class
    ([("walking", "A"), ("walking", "B"), ("stairs_up", "B")], None),
    # one wearer for everything: nothing to tell apart, no warning
    ([("walking", "A"), ("standing", "A")], None),
    # one class only
    ([("walking", "A"), ("walking", "A")], None),
])
def test_classes_each_shown_by_one_wearer_are_found(pairs, expected):
    from imuforge.labels import describe_owners, one_wearer_per_class

    labels, wearers = zip(*pairs)
    assert one_wearer_per_class(labels, wearers) == expected
    if expected:
        assert describe_owners(expected) == "stairs_down, stairs_up: B; walking: A"
