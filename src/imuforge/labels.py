"""The canonical activity vocabulary. Importers map each data set's own names onto it."""

from __future__ import annotations

import re

#: Canonical activity labels, in a stable order (used for label maps and reports).
CANONICAL_LABELS: tuple[str, ...] = (
    "walking",
    "running",
    "stairs_up",
    "stairs_down",
    "standing",
    "sitting",
    "lying",
    "sit_to_stand",
    "stand_to_sit",
    "sit_to_lie",
    "lie_to_sit",
    "cycling",
    "jumping",
    "jumping_jacks",
    "jumping_rope",
    "waving",
    "drinking",
    "brushing_teeth",
    "typing",
    "nordic_walking",
    "elevator_up",
    "elevator_down",
    "vacuum_cleaning",
    "ironing",
    "badminton",
    "other",
)

_LABEL_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def check_label(label: str, *, source: str | None = None) -> str:
    """Return ``label`` if it is a valid label name, else raise a :class:`ValidationError`.

    Canonical labels are preferred; other labels are accepted when they are lowercase
    snake_case, so users can add their own activities.
    """
    from imuforge.errors import ValidationError

    if not isinstance(label, str) or not _LABEL_RE.match(label):
        raise ValidationError(
            f"label {label!r} is not a lowercase snake_case name",
            source=source,
            allowed="e.g. " + ", ".join(CANONICAL_LABELS[:8]) + ", …",
        )
    return label


#: Common names users type, mapped onto the canonical vocabulary.
SYNONYMS: dict[str, str] = {
    "walk": "walking", "run": "running", "jog": "running", "jogging": "running",
    "stand": "standing", "still": "standing", "sit": "sitting", "seated": "sitting",
    "lie": "lying", "lying_down": "lying", "laying": "lying", "supine": "lying",
    "upstairs": "stairs_up", "walking_upstairs": "stairs_up", "stairs_ascending": "stairs_up",
    "ascending_stairs": "stairs_up", "downstairs": "stairs_down", "walking_downstairs": "stairs_down",
    "stairs_descending": "stairs_down", "descending_stairs": "stairs_down",
    "climbing_up": "stairs_up", "climbingup": "stairs_up", "climbing_down": "stairs_down",
    "climbingdown": "stairs_down",
    "sit_stand": "sit_to_stand", "stand_sit": "stand_to_sit", "sit_lie": "sit_to_lie", "lie_sit": "lie_to_sit",
    "bike": "cycling", "biking": "cycling", "bicycling": "cycling", "jump": "jumping",
    "jumping_jack": "jumping_jacks", "rope_jumping": "jumping_rope", "skipping_rope": "jumping_rope",
    "wave": "waving", "drink": "drinking", "brush_teeth": "brushing_teeth", "type": "typing",
    "nordic_walk": "nordic_walking", "pole_walking": "nordic_walking", "lift_up": "elevator_up",
    "lift_down": "elevator_down", "vacuuming": "vacuum_cleaning", "hoovering": "vacuum_cleaning",
    "vacuum": "vacuum_cleaning", "iron": "ironing",
}


def canonical_label(label: str, *, allow_custom: bool = False, source: str | None = None) -> str:
    """The canonical name of a user-given label (``"Walk"`` → ``"walking"``).

    Unknown names are refused with the vocabulary listed, unless ``allow_custom`` (then any
    lowercase snake_case name is kept as a new activity).
    """
    from imuforge.errors import ValidationError

    key = _synonym_of(label)
    if key in CANONICAL_LABELS:
        return key
    if allow_custom:
        return check_label(key, source=source)
    import difflib

    close = difflib.get_close_matches(key, CANONICAL_LABELS + tuple(SYNONYMS), n=3, cutoff=0.6)
    suggestions = list(dict.fromkeys(SYNONYMS.get(c, c) for c in close))
    hint = f"; did you mean {' or '.join(suggestions)}?" if suggestions else ""
    raise ValidationError(f"unknown activity label {label!r}{hint}", source=source,
                          allowed=", ".join(CANONICAL_LABELS) + " (or pass --custom-label for a new activity)")


def library_name(label: str) -> str | None:
    """The motion library's activity that ``label`` names, as ``--label`` reads it (``"wave"`` → ``"waving"``,
    ``"jog"`` → ``"running"``), or None for a name of its own."""
    from imuforge.motion.library import ACTIVITIES

    key = _synonym_of(label)
    return key if key in ACTIVITIES else None


def _synonym_of(label: str) -> str:
    """``label`` in the vocabulary's spelling (lower case, ``_`` for spaces and dashes), a synonym replaced by
    what it stands for."""
    key = str(label).strip().lower().replace("-", "_").replace(" ", "_")
    return SYNONYMS.get(key, key)


#: the wearer of real recordings without a subject id: taken as one person (you recorded yourself)
NO_SUBJECT = "(no subject id)"


def one_wearer_per_class(labels, wearers) -> dict[str, str] | None:
    """``{label: wearer}`` when the data's classes and wearers cannot be told apart: two or more wearers, and
    every label shown by one of them only (one person walked, another climbed the stairs); None otherwise.

    A model trained on such data can learn who wore the device — how they put it on, how they move — instead
    of the activity, and nothing in the data can show it: every validation split holds the same pairing.
    ``labels`` and ``wearers``: one entry per sample, window or recording, in the same order; a wearer None or
    "" is :data:`NO_SUBJECT`.
    """
    pairs = {(str(lab), NO_SUBJECT if w in (None, "") else str(w))
             for lab, w in zip(labels, wearers, strict=True)}
    by_label: dict[str, set[str]] = {}
    for lab, w in pairs:
        by_label.setdefault(lab, set()).add(w)
    if len(by_label) < 2 or any(len(ws) > 1 for ws in by_label.values()):
        return None
    owner = {lab: next(iter(ws)) for lab, ws in sorted(by_label.items())}
    return owner if len(set(owner.values())) >= 2 else None


def describe_owners(owner: dict[str, str]) -> str:
    """``"stairs_down, stairs_up: B; walking: A"``: the labels each wearer alone shows."""
    by_wearer: dict[str, list[str]] = {}
    for lab, w in owner.items():
        by_wearer.setdefault(w, []).append(lab)
    return "; ".join(f"{', '.join(sorted(labs))}: {w}" for w, labs in sorted(by_wearer.items(),
                                                                           key=lambda kv: sorted(kv[1])))


def one_slip(a: str, b: str) -> bool:
    """Whether ``a`` becomes ``b`` by one letter put in or left out, or two neighbours swapped: slips of the
    keys that make most misspellings (Damerau 1964) and seldom make another word — a changed letter does
    ("wading" / waving, "sifting" / sitting), so it is not one here."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    if len(a) == len(b):
        return a[i + 2:] == b[i + 2:] and a[i:i + 2] == b[i:i + 2][::-1]
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[i + 1:] == shorter[i:]
