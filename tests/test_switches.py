"""The one parsing rule for on/off switch sets (wear variation, impact transients)."""

from __future__ import annotations

import pytest

from imuforge.errors import ValidationError
from imuforge.sensors.impact import ImpactModel
from imuforge.sensors.wear import WearVariation


@pytest.mark.parametrize("cls, none_is", [(WearVariation, "off"), (ImpactModel, "on")])
def test_parse_words_bools_and_none(cls, none_is):
    assert cls.parse("none") == cls.none() and not cls.parse("off").any
    assert cls.parse("default") == cls() == cls.parse(True) and cls.parse("ALL").any
    assert cls.parse(False) == cls.none()
    assert cls.parse(None) == (cls.none() if none_is == "off" else cls())
    first = next(iter(cls().to_dict()))
    only = cls.parse(first)
    assert only.to_dict() == {k: k == first for k in cls().to_dict()}
    assert cls.parse(only) is only


@pytest.mark.parametrize("cls, what", [(WearVariation, "wear variation"), (ImpactModel, "impact part")])
def test_unknown_part_names_the_allowed_ones(cls, what):
    with pytest.raises(ValidationError) as exc:
        cls.parse("spin")
    msg = str(exc.value)
    assert f"unknown {what}" in msg and all(k in msg for k in cls().to_dict())
