"""Numbers shown in a bounded width, whatever RetroAchievements sends, with the language's digit grouping."""

from __future__ import annotations

from bot.i18n.language import ENGLISH, Language

# Largest first. From a thousand trillion on, a number is shown as OVERFLOW: no real count gets there.
_UNITS = ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "K"))
OVERFLOW = "999T+"
EXACT_BELOW = 10**6
COMPACT_EXACT_BELOW = 10**4


def count(number: int, language: Language = ENGLISH) -> str:
    """Exact with the language's thousands separators below a million (at most 7 characters), then
    rounded down."""
    return language.number(number) if number < EXACT_BELOW else _rounded_down(number)


def compact_count(number: int, language: Language = ENGLISH) -> str:
    """At most 5 characters: exact up to 9,999 (9.999 in German), then rounded down (10K ... 999T, then
    999T+)."""
    return language.number(number) if number < COMPACT_EXACT_BELOW else _rounded_down(number)


def _rounded_down(number: int) -> str:
    """In thousands (K), millions (M), billions (B) or trillions (T), rounded down so that it never
    overstates; a number below a thousand as it is."""
    for unit, suffix in _UNITS:
        if number >= unit:
            whole = number // unit
            return f"{whole}{suffix}" if whole < 1000 else OVERFLOW
    return f"{number:,}"
