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
from bot.render.progress import game_block, render_progress, summary_fields
from bot.render.style import EMBED_COLOUR
from bot.reports import (
    BoardRow,
    ComparedGame,
    Comparison,
    GameEntry,
    Leaderboard,
    PlayerResult,
    ProgressReport,
    Summary,
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


# ------------------------------------------------------------------------- one reply of each, word for word

GERMAN = language_for("de")
FOOTER_DE = "Daten von RetroAchievements.org"
LEGEND_DE = "HC = Hardcore, SC = Casual (Softcore)"
THOUSANDS = GameProgress(1, 2345, 6789, 1234, 5678, 1111, 2222)  # every count with a thousands separator
NOTHING = GameProgress(2, 0, 0, 0, 0, 0, 0)


def test_a_german_progress_report_word_for_word() -> None:
    """Every part of the reply in German: headings of unknown and untitled games, the marks, the labels
    padded to one width, German digit grouping and percent, the summary's names and the page count."""
    one = GameProgress(6, 1, 1, 0, 0, 0, 0)
    entries_ = (
        GameEntry(1, GameInfo(1, "Sonic", "Genesis", None), THOUSANDS),
        GameEntry(2, GameInfo(2, "Streets", "Genesis", None), GameProgress(2, 23, 251, 23, 251, 23, 251)),
        GameEntry(3, None, GameProgress(3, 0, 0, 0, 0, 0, 0)),
        GameEntry(4, None, GameProgress(4, 10, 100, 1, 10, 0, 0)),
        GameEntry(5, GameInfo(5, "", "NES", None), GameProgress(5, 0, 0, 0, 0, 0, 0)),
        *(GameEntry(n, GameInfo(n, f"Game {n}", "NES", None), one) for n in range(6, 12)),
    )
    profile = UserProfile("MaxMilyin", "00003EMFWR7XB8SDPEHB3K56ZQ", "/UserPic/MaxMilyin.png", 0, 0, 0)
    pages = render_progress(ProgressReport(profile, entries_), GERMAN)

    def one_game(n: int) -> str:
        return (
            f"**[Game {n}](https://retroachievements.org/game/{n})** · NES\n"
            "`Casual   ░░░░░░░░░░` 0\xa0% · 0/1 · 0/1 Pkt.\n"
            "`Hardcore ░░░░░░░░░░` 0\xa0% · 0/1 · 0/1 Pkt."
        )

    first = [
        "**[Sonic](https://retroachievements.org/game/1)** · Genesis\n"
        "`Casual   █████░░░░░` 52\xa0% · 1.234/2.345 · 5.678/6.789 Pkt.\n"
        "`Hardcore ████░░░░░░` 47\xa0% · 1.111/2.345 · 2.222/6.789 Pkt.",
        "**[Streets](https://retroachievements.org/game/2)** · Genesis · **👑 Gemeistert**\n"
        "`Casual   ██████████` 100\xa0% · 23/23 · 251/251 Pkt.\n"
        "`Hardcore ██████████` 100\xa0% · 23/23 · 251/251 Pkt.",
        "**Unbekanntes Spiel #3**\nRetroAchievements hat kein Spiel mit dieser ID.",
        "**[Spiel #4](https://retroachievements.org/game/4)**\n"
        "`Casual   █░░░░░░░░░` 10\xa0% · 1/10 · 10/100 Pkt.\n"
        "`Hardcore ░░░░░░░░░░` 0\xa0% · 0/10 · 0/100 Pkt.",
        "**[Spiel #5](https://retroachievements.org/game/5)** · NES\nNoch keine Errungenschaften.",
        *(one_game(n) for n in range(6, 11)),
    ]
    summary = [
        {"inline": True, "name": "👑 Gemeistert", "value": "1 von 9"},
        {"inline": True, "name": "✅ Abgeschlossen", "value": "1 von 9"},
        {"inline": True, "name": "🏁 Abgeschlossen", "value": "0 von 9"},
        {"inline": True, "name": "Punkte", "value": "5.939 von 7.146\n(Hardcore 2.473)"},
    ]
    author = {
        "name": "MaxMilyin",
        "url": "https://retroachievements.org/user/MaxMilyin",
        "icon_url": "https://media.retroachievements.org/UserPic/MaxMilyin.png",
    }
    assert [page.to_dict() for page in pages] == [
        {
            "type": "rich",
            "flags": 0,
            "title": "Fortschritt in 11 Spielen",
            "description": "\n\n".join(blocks),
            "color": EMBED_COLOUR,
            "author": author,
            "fields": summary,
            "footer": {"text": f"{FOOTER_DE} · Seite {number}/2"},
        }
        for number, blocks in ((1, first), (2, [one_game(11)]))
    ]


def test_a_german_summary_groups_every_count() -> None:
    summary = Summary(
        games=1234,
        mastered=1001,
        completed=1002,
        score=1003,
        score_hardcore=1005,
        possible_score=1006,
        beaten=1004,
    )
    assert summary_fields(summary, GERMAN) == [
        ("👑 Gemeistert", "1.001 von 1.234"),
        ("✅ Abgeschlossen", "1.002 von 1.234"),
        ("🏁 Abgeschlossen", "1.004 von 1.234"),
        ("Punkte", "1.003 von 1.006\n(Hardcore 1.005)"),
    ]


def test_a_player_without_a_name_is_named_in_the_readers_language() -> None:
    nameless = UserProfile("", None, None, 0, 0, 0)
    [english] = render_progress(ProgressReport(nameless, ()))
    [german] = render_progress(ProgressReport(nameless, ()), GERMAN)
    assert english.author.name == "RetroAchievements player"
    assert german.author.name == "RetroAchievements-Spieler"


def test_a_german_comparison_word_for_word() -> None:
    players = (UserProfile("A1", None, None, 0, 0, 0), UserProfile("B2", None, None, 0, 0, 0))
    games = (
        ComparedGame(
            1,
            GameInfo(1, "Sonic", "Genesis", None),
            (PlayerResult("A1", THOUSANDS), PlayerResult("B2", GameProgress(1, 2345, 6789, 0, 0, 0, 0))),
        ),
        ComparedGame(2, None, (PlayerResult("A1", NOTHING),)),
        ComparedGame(3, None, (PlayerResult("A1", GameProgress(3, 10, 1, 1, 1, 0, 0)),)),
        ComparedGame(4, GameInfo(4, "", "NES", None), (PlayerResult("A1", NOTHING),)),
        *(
            ComparedGame(n, GameInfo(n, f"Game {n}", "NES", None), (PlayerResult("A1", NOTHING),))
            for n in (5, 6)
        ),
    )
    pages = render_comparison(Comparison(players, ("Nobody",), games), GERMAN)
    first = [
        "**[Sonic](https://retroachievements.org/game/1)** · Genesis\n"
        "**1. A1**\n"
        "`HC ████░░░░░░` 47\xa0% · 1.111/2.345 · 2.222 Pkt.\n"
        "`SC █████░░░░░` 52\xa0% · 1.234/2.345 · 5.678 Pkt.\n"
        "**2. B2**\n"
        "`HC ░░░░░░░░░░` 0\xa0% · 0/2.345 · 0 Pkt.\n"
        "`SC ░░░░░░░░░░` 0\xa0% · 0/2.345 · 0 Pkt.",
        "**Unbekanntes Spiel #2**\nRetroAchievements hat kein Spiel mit dieser ID.",
        "**[Spiel #3](https://retroachievements.org/game/3)**\n"
        "**1. A1**\n"
        "`HC ░░░░░░░░░░` 0\xa0% · 0/10 · 0 Pkt.\n"
        "`SC █░░░░░░░░░` 10\xa0% · 1/10 · 1 Pkt.",
        "**[Spiel #4](https://retroachievements.org/game/4)** · NES\nNoch keine Errungenschaften.",
        "**[Game 5](https://retroachievements.org/game/5)** · NES\nNoch keine Errungenschaften.",
    ]
    second = ["**[Game 6](https://retroachievements.org/game/6)** · NES\nNoch keine Errungenschaften."]
    assert [page.to_dict() for page in pages] == [
        {
            "type": "rich",
            "flags": 0,
            "title": "Vergleich von 2 Spielern",
            "description": "\n\n".join(blocks),
            "color": EMBED_COLOUR,
            "fields": [
                {"inline": False, "name": "Spieler", "value": "A1, B2"},
                {"inline": False, "name": "Nicht auf RetroAchievements gefunden", "value": "`Nobody`"},
            ],
            "footer": {"text": f"{FOOTER_DE} · {LEGEND_DE} · Seite {number}/2"},
        }
        for number, blocks in ((1, first), (2, second))
    ]


def _german_board_entry(place: int, member: int) -> str:
    return (
        f"`#{place:<3}` **Member{member}** <@{1000 + member}>\n"
        "`HC █░░░░░░░░░` 13\xa0% · 3/23 · 30 Pkt.\n"
        "`SC █████████░` 95\xa0% · 22/23 · 240 Pkt."
    )


def test_a_german_leaderboard_word_for_word() -> None:
    """Notes count up to a million exactly (German grouping), then rounded down like every count."""
    playing = GameProgress(7, 23, 251, 22, 240, 3, 30)
    rows = tuple(BoardRow(1000 + n, f"Member{n}", playing) for n in range(11))
    pages = render_leaderboard(
        Leaderboard(7, None, rows, accounts_gone=1234, unchecked=1_234_567), "Retro Club", 1010, GERMAN
    )
    heading = "**[Spiel #7](https://retroachievements.org/game/7)**\n\n"
    notes = {
        "inline": False,
        "name": "Hinweis",
        "value": "1M Mitglieder konnten gerade nicht geprüft werden; versuch es in einer Minute noch "
        "einmal.\n1.234 verknüpfte Konten gibt es auf RetroAchievements nicht mehr.",
    }
    own = {"inline": False, "name": "Dein Platz", "value": _german_board_entry(11, 10)}
    footer = f"{FOOTER_DE} · 11 Mitglieder in der Rangliste"
    assert [page.to_dict() for page in pages] == [
        {
            "type": "rich",
            "flags": 0,
            "title": "Rangliste von Retro Club",
            "description": heading + "\n".join(_german_board_entry(n + 1, n) for n in range(10)),
            "color": EMBED_COLOUR,
            "fields": [own, notes],
            "footer": {"text": f"{footer} · Seite 1/2"},
        },
        {
            "type": "rich",
            "flags": 0,
            "title": "Rangliste von Retro Club",
            "description": heading + _german_board_entry(11, 10),
            "color": EMBED_COLOUR,
            "fields": [notes],
            "footer": {"text": f"{footer} · Seite 2/2"},
        },
    ]
    [few] = render_leaderboard(
        Leaderboard(7, None, rows[:1], accounts_gone=2_000_000, unchecked=4321), "Retro Club", 1000, GERMAN
    )
    assert [field.value for field in few.fields] == [
        "4.321 Mitglieder konnten gerade nicht geprüft werden; versuch es in einer Minute noch einmal.\n"
        "2M verknüpfte Konten gibt es auf RetroAchievements nicht mehr."
    ]
    many = render_leaderboard(Leaderboard(7, None, rows[:1] * 1234, 0, 0), "Retro Club", 1000, GERMAN)
    assert many[0].footer.text == f"{FOOTER_DE} · 1.234 Mitglieder in der Rangliste · Seite 1/124"
