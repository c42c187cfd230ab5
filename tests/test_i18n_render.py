"""Rendered replies fit Discord's limits in every language, for 1-50 games of any numbers, titles and names,
and are entirely in the reader's language."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.i18n.catalogues import catalogue_folders, language_for
from bot.i18n.language import ENGLISH, Language
from bot.ra.models import GameInfo, GameProgress, UserProfile
from bot.render.compare import render_comparison
from bot.render.leaderboard import render_leaderboard
from bot.render.progress import game_block, render_progress
from bot.reports import (
    BoardRow,
    ComparedGame,
    Comparison,
    GameEntry,
    Leaderboard,
    PlayerResult,
    ProgressReport,
)
from tests.test_render_limits import PROFILE, assert_fits_and_is_safe, counts, entries, texts

LANGUAGES = [ENGLISH, *(language_for(folder.replace("_", "-")) for folder in catalogue_folders())]
languages = st.sampled_from(LANGUAGES)
HUGE = 10**300


def worst_game(game_id: int) -> GameEntry:
    """The longest a game's block can be: longest title and console, every number at its widest."""
    info = GameInfo(game_id, "W" * 300, "W" * 300, None)
    numbers = GameProgress(game_id, HUGE, HUGE, HUGE - 1, HUGE - 1, HUGE - 1, HUGE - 1)
    return GameEntry(game_id, info, numbers)


def test_every_language_is_tested() -> None:
    assert [language.code for language in LANGUAGES] == ["en", "de", "es", "fr", "pt-BR"]


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.code)
def test_the_longest_replies_fit_in_every_language(language: Language) -> None:
    games = tuple(worst_game(2**31 - 1 - n) for n in range(50))
    pages = render_progress(ProgressReport(UserProfile("W" * 300, None, None, 0, 0, 0), games), language)
    assert_fits_and_is_safe([page.to_dict() for page in pages])  # type: ignore[misc]
    assert sum((page.description or "").count("**[") for page in pages) == 50
    names = ["W" * 20] * 10
    compared = tuple(
        ComparedGame(e.game_id, e.info, tuple(PlayerResult(n, e.progress) for n in names)) for e in games[:10]
    )
    comparison = Comparison(
        tuple(UserProfile(n, None, None, 0, 0, 0) for n in names), ("W" * 20,) * 10, compared
    )
    assert_fits_and_is_safe([page.to_dict() for page in render_comparison(comparison, language)])  # type: ignore[misc]
    rows = tuple(BoardRow(10**18 + n, "W" * 20, games[0].progress) for n in range(400))
    board = Leaderboard(games[0].game_id, games[0].info, rows, accounts_gone=HUGE, unchecked=HUGE)
    pages = render_leaderboard(board, "W" * 300, invoker_id=10**18 + 399, language=language)
    ids = frozenset(row.discord_user_id for row in rows)
    assert_fits_and_is_safe([page.to_dict() for page in pages], ids)  # type: ignore[misc]


@settings(max_examples=60, deadline=None)
@given(entries(), languages)
def test_progress_pages_fit_in_every_language(games: tuple[GameEntry, ...], language: Language) -> None:
    pages = render_progress(ProgressReport(PROFILE, games), language)
    assert_fits_and_is_safe([page.to_dict() for page in pages])  # type: ignore[misc]
    shown = "\n\n".join(page.description or "" for page in pages)
    position = 0
    for entry in games:
        position = shown.find(game_block(entry, language), position)
        assert position >= 0, f"game {entry.game_id} is missing or out of order"


@settings(max_examples=30, deadline=None)
@given(entries(), st.lists(texts, min_size=2, max_size=10), st.lists(texts, max_size=10), languages)
def test_comparison_pages_fit_in_every_language(
    games: tuple[GameEntry, ...], names: list[str], missing: list[str], language: Language
) -> None:
    compared = tuple(
        ComparedGame(e.game_id, e.info, tuple(PlayerResult(name, e.progress) for name in names))
        for e in games[:10]
    )
    profiles = tuple(UserProfile(name, None, None, 0, 0, 0) for name in names)
    comparison = Comparison(profiles, tuple(missing), compared)
    assert_fits_and_is_safe([page.to_dict() for page in render_comparison(comparison, language)])  # type: ignore[misc]


@settings(max_examples=30, deadline=None)
@given(entries(), st.integers(min_value=0, max_value=400), texts, counts, counts, languages)
def test_leaderboard_pages_fit_in_every_language(
    games: tuple[GameEntry, ...], members: int, server: str, gone: int, unchecked: int, language: Language
) -> None:
    entry = games[0]
    rows = tuple(BoardRow(10**18 + n, f"p{n}", entry.progress) for n in range(members))
    board = Leaderboard(entry.game_id, entry.info, rows, accounts_gone=gone, unchecked=unchecked)
    pages = render_leaderboard(board, server, invoker_id=10**18 + members - 1, language=language)
    ids = frozenset(row.discord_user_id for row in rows)
    assert_fits_and_is_safe([page.to_dict() for page in pages], ids)  # type: ignore[misc]


def test_a_german_progress_page_has_no_english_word() -> None:
    progress = GameProgress(1, 35, 400, 20, 210, 12, 130)
    mastered = GameProgress(2, 23, 251, 23, 251, 23, 251)
    entries_ = (
        GameEntry(1, GameInfo(1, "Sonic", "Genesis", None), progress),
        GameEntry(2, GameInfo(2, "Streets", "Genesis", None), mastered),
        GameEntry(3, None, GameProgress(3, 0, 0, 0, 0, 0, 0)),
    )
    [page] = render_progress(ProgressReport(PROFILE, entries_), language_for("de"))
    text = " ".join(
        [page.title or "", page.description or "", page.footer.text or ""]
        + [f"{field.name} {field.value}" for field in page.fields]
    )
    words = set(re.findall(r"\w+", re.sub(r"\(https://[^)]*\)", "", text).lower()))
    english = {
        "progress",
        "game",
        "games",
        "mastered",
        "completed",
        "points",
        "of",
        "pts",
        "softcore",
        "unknown",
    }
    assert not words & english
    assert "`Casual   ██████████` 100\xa0% · 23/23 · 251/251 Pkt." in text
    assert "Unbekanntes Spiel #3" in text
