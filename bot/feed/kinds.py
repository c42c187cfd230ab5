"""The kinds of award a feed announces, as members type them and as the bot shows them. Pure.

Members may type the kinds in English ("mastered, beaten hardcore", "beaten" alone for both beaten kinds)
or as their language names them (the labels `describe` shows, separated by commas). Autocomplete shows
the member's words and puts the English ones in the option, which every language reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.errors import InvalidInput
from bot.i18n.language import ENGLISH, Joined, Language, msg, msg_p
from bot.input import quote
from bot.ra.awards import AWARD_KINDS, BEATEN_HARDCORE, BEATEN_SOFTCORE, COMPLETED, MASTERED

ALL_KINDS: frozenset[str] = frozenset(AWARD_KINDS)
#: The context (msgctxt) of the kinds' names in the catalogues.
KIND = "award kind"
LABELS = {
    MASTERED: msg_p("award kind", "mastered"),
    COMPLETED: msg_p("award kind", "completed"),
    BEATEN_HARDCORE: msg_p("award kind", "beaten hardcore"),
    BEATEN_SOFTCORE: msg_p("award kind", "beaten softcore"),
}
ALL = msg_p("award kind", "all")
#: Longer than any list of the four kinds; a longer text is refused before it is read.
MAX_KINDS_TEXT = 200
_PIECES = re.compile(r"[,;]")
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
HOW_TO_TYPE = msg(
    "{kinds} (separated by commas), or {all}",
    kinds=Joined(tuple(LABELS[kind] for kind in AWARD_KINDS), ", "),
    all=ALL,
)


def describe(kinds: Iterable[str], language: Language = ENGLISH) -> str:
    """The kinds in the API's order, as words of the language: "mastered, beaten hardcore"."""
    chosen = set(kinds)
    return ", ".join(language.render(LABELS[kind]) for kind in AWARD_KINDS if kind in chosen)


def parse_kinds(raw: str, language: Language = ENGLISH) -> frozenset[str]:
    """Kinds as a member types them, in English or as `language` names them, separated by commas."""
    text = raw.strip().lower()
    if not text:
        raise InvalidInput(msg("Choose the kinds of award to announce: {kinds}.", kinds=HOW_TO_TYPE))
    if len(text) > MAX_KINDS_TEXT:
        raise InvalidInput(msg("That list of kinds is too long. Choose among {kinds}.", kinds=HOW_TO_TYPE))
    named = {language.render(label).lower(): frozenset({kind}) for kind, label in LABELS.items()}
    named[language.render(ALL).lower()] = ALL_KINDS
    kinds: set[str] = set()
    for piece in _PIECES.split(text):
        piece = piece.strip()
        if piece in named:
            kinds |= named[piece]
        elif piece:
            kinds |= _english_words(piece)
    return frozenset(kinds)


def _english_words(text: str) -> set[str]:
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
            raise InvalidInput(
                msg(
                    "{word} is not a kind of award. Choose among {kinds}.",
                    word=quote(word),
                    kinds=HOW_TO_TYPE,
                )
            )
    return kinds


def suggest_kinds(typed: str, language: Language = ENGLISH) -> list[tuple[str, str]]:
    """Completions of a list being typed, as (what the member reads, what the option gets: English):
    every kind after the ones already there, then all four."""
    head, _, last = typed.rpartition(",")
    try:
        already = parse_kinds(head, language) if head.strip() else frozenset()
    except InvalidInput:
        return []
    wanted = last.strip().lower()
    found = [
        (describe(already | {kind}, language), describe(already | {kind}))
        for kind in AWARD_KINDS
        if kind not in already
        and (
            language.render(LABELS[kind]).lower().startswith(wanted)
            or ENGLISH.render(LABELS[kind]).startswith(wanted)
        )
    ]
    if not already and (language.render(ALL).lower().startswith(wanted) or "all".startswith(wanted)):
        found.insert(0, (describe(ALL_KINDS, language), describe(ALL_KINDS)))
    return found
