"""On/off switches of a modelled effect (wear variation, impact transients): one parsing rule.

A switch set is a frozen dataclass of booleans that derives from :class:`Switches`::

    @dataclass(frozen=True)
    class WearVariation(Switches):
        WHAT: ClassVar[str] = "wear variation"
        rotation: bool = True
        ...

``parse`` reads what users write (``none`` / ``off``, ``default`` / ``all`` / ``on``, or a comma list
of the parts to turn on), a bool, or ``None`` (``NONE_IS_OFF`` says what that means), and refuses
unknown parts with the allowed ones.
"""

from __future__ import annotations

import functools
from dataclasses import fields
from typing import Any, ClassVar, TypeVar

from imuforge.errors import ValidationError

S = TypeVar("S", bound="Switches")


class Switches:
    """Mixin for frozen dataclasses of boolean switches (every field defaults to on)."""

    WHAT: ClassVar[str] = "switch"
    NONE_IS_OFF: ClassVar[bool] = False

    @classmethod
    def none(cls: type[S]) -> S:
        """Every part off."""
        return cls(**{f.name: False for f in fields(cls)})

    @classmethod
    def parse(cls: type[S], spec: Any) -> S:
        if isinstance(spec, cls):
            return spec
        if spec is None:
            return cls.none() if cls.NONE_IS_OFF else cls()
        if isinstance(spec, bool):
            return cls() if spec else cls.none()
        text = str(spec).strip().lower()
        if text in ("none", "off", ""):
            return cls.none()
        if text in ("default", "all", "on"):
            return cls()
        known = [f.name for f in fields(cls)]
        names = {s.strip() for s in text.split(",") if s.strip()}
        bad = sorted(names - set(known))
        if bad:
            raise ValidationError(f"unknown {cls.WHAT} {bad}",
                                  allowed="none, default, or a comma list of " + ", ".join(known))
        return cls(**{n: n in names for n in known})

    @property
    def any(self) -> bool:
        return any(getattr(self, name) for name in field_names(type(self)))

    def to_dict(self) -> dict[str, bool]:
        """``dataclasses.asdict`` of these flat booleans (the same dict), without its recursive copy."""
        return {name: getattr(self, name) for name in field_names(type(self))}


@functools.cache
def field_names(cls: type) -> tuple[str, ...]:
    """The names of a dataclass's fields, in order (``dataclasses.fields``, looked up once per class)."""
    return tuple(f.name for f in fields(cls))
