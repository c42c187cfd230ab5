"""The kinds of award a feed announces, as members type them and as the bot shows them. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.errors import InvalidInput
from bot.input import quote
from bot.ra.awards import AWARD_KINDS, BEATEN_HARDCORE, BEATEN_SOFTCORE, COMPLETED, MASTERED

ALL_KINDS: frozenset[str] = frozenset(AWARD_KINDS)
LABELS = {
    MASTERED: "mastered",
    COMPLETED: "completed",
    BEATEN_HARDCORE: "beaten hardcore",
    BEATEN_SOFTCORE: "beaten softcore",
}
#: Longer than any list of the four kinds; a longer text is refused before it is read.
MAX_KINDS_TEXT = 200
_WORDS = re.compile(r"[\s,;_-]+")
_SINGLE = {
    "all": ALL_KINDS,
    "mastered": frozenset({MASTERED}),
    "mastery": frozenset({MASTERED}),
    "masteries": frozenset({MASTERED}),
    "completed": frozenset({COMPLETED}),
    "completion": frozenset({COMPLETED}),
    "completions": frozenset({COMPLETED}),
}
_BEATEN = ("beaten", "beat")
_MODES = {
    "hardcore": BEATEN_HARDCORE,
    "softcore": BEATEN_SOFTCORE,
    "casual": BEATEN_SOFTCORE,  # the site's newer word for softcore
}
HOW_TO_TYPE = "mastered, completed, beaten hardcore, beaten softcore (separated by commas), or all"


def describe(kinds: Iterable[str]) -> str:
    """The kinds in the API's order, as words: "mastered, beaten hardcore"."""
    chosen = set(kinds)
    return ", ".join(LABELS[kind] for kind in AWARD_KINDS if kind in chosen)


def parse_kinds(raw: str) -> frozenset[str]:
    """Kinds as a member types them: "mastered, beaten hardcore"; "beaten" alone is both beaten kinds."""
    text = raw.strip().lower()
    if not text:
        raise InvalidInput(f"Choose the kinds of award to announce: {HOW_TO_TYPE}.")
    if len(text) > MAX_KINDS_TEXT:
        raise InvalidInput(f"That list of kinds is too long. Choose among {HOW_TO_TYPE}.")
    words = [word for word in _WORDS.split(text) if word]
    kinds: set[str] = set()
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if word in _SINGLE:
            kinds |= _SINGLE[word]
        elif word in _BEATEN:
            mode = _MODES.get(words[index]) if index < len(words) else None
            if mode is None:
                kinds |= {BEATEN_HARDCORE, BEATEN_SOFTCORE}
            else:
                kinds.add(mode)
                index += 1
        else:
            raise InvalidInput(f"{quote(word)} is not a kind of award. Choose among {HOW_TO_TYPE}.")
    return frozenset(kinds)


def suggest_kinds(typed: str) -> list[str]:
    """Completions of a list being typed: every kind after the ones already there, then all four."""
    head, _, last = typed.rpartition(",")
    try:
        already = parse_kinds(head) if head.strip() else frozenset()
    except InvalidInput:
        return []
    prefix = f"{describe(already)}, " if already else ""
    wanted = last.strip().lower()
    found = [
        prefix + LABELS[kind]
        for kind in AWARD_KINDS
        if kind not in already and LABELS[kind].startswith(wanted)
    ]
    if not already and "all".startswith(wanted):
        found.insert(0, describe(ALL_KINDS))
    return found
