"""Every rendered reply, for 1-50 games of any numbers, titles and names, fits Discord's limits, and no
string from upstream can add a working link or mention or hide controls in it."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.ra.models import GameInfo, GameProgress, UserProfile
from bot.render.compare import render_comparison
from bot.render.leaderboard import render_leaderboard
from bot.render.progress import game_block, render_progress
from bot.render.text import strip_controls
from bot.reports import (
    BoardRow,
    ComparedGame,
    Comparison,
    GameEntry,
    Leaderboard,
    PlayerResult,
    ProgressReport,
)
from bot.sandbox.fake_discord import validate_message
from tests.markdown import skeleton

counts = st.one_of(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0), st.just(10**300))
HOSTILE = [
    "[x](http://evil.example)",
    "<@123456789012345678> <@&1> @everyone",
    "\u202eniylimxaM\u200b\u2066",
    "`]` ||*_~\\",
    "# heading\n> quote\n- item",
    "x" * 300,
]
texts = st.one_of(st.text(min_size=0, max_size=400), st.sampled_from(HOSTILE))
OUR_LINK = re.compile(r"\]\(https://retroachievements\.org/game/\d+\)")


@st.composite
def game_progress(draw: st.DrawFn, game_id: int) -> GameProgress:
    return GameProgress(game_id, *(draw(counts) for _ in range(6)))


@st.composite
def entries(draw: st.DrawFn) -> tuple[GameEntry, ...]:
    ids = draw(st.lists(st.integers(min_value=1, max_value=2**31 - 1), min_size=1, max_size=50, unique=True))
    result = []
    for game_id in ids:
        info = draw(st.none() | st.builds(GameInfo, st.just(game_id), texts, texts, st.none()))
        result.append(GameEntry(game_id, info, draw(game_progress(game_id))))
    return tuple(result)


def markdown_strings(embed: dict[str, Any]) -> list[str]:
    found = [embed.get("title") or "", embed.get("description") or ""]
    return found + [part for f in embed.get("fields", []) for part in (f["name"], f["value"])]


def plain_strings(embed: dict[str, Any]) -> list[str]:
    """Discord shows these without markdown."""
    return [embed.get("footer", {}).get("text", ""), embed.get("author", {}).get("name", "")]


def assert_fits_and_is_safe(embeds: list[dict[str, Any]], members: frozenset[int] = frozenset()) -> None:
    assert embeds
    for embed in embeds:
        errors = validate_message({"embeds": [embed], "components": []})
        assert errors == {}, errors
        for text in plain_strings(embed):
            assert strip_controls(text) == text
        for text in markdown_strings(embed):
            assert strip_controls(text) == text
            markup = skeleton(text)
            # The only links are the game headings' own; the only mentions are the board's members.
            assert markup.count("](") == len(OUR_LINK.findall(text))
            assert markup.count("[") == markup.count("](")
            for start in (m.start() for m in re.finditer("<", markup)):
                mention = re.match(r"<@(\d+)>", text[start:])
                assert mention is not None and int(mention.group(1)) in members, text


PROFILE = UserProfile("A" * 20, None, "/UserPic/x.png", 0, 0, 0)


@settings(max_examples=150, deadline=None)
@given(entries(), texts)
def test_progress_pages_fit_and_keep_every_game_in_order(games: tuple[GameEntry, ...], name: str) -> None:
    pages = render_progress(ProgressReport(PROFILE, games))
    assert_fits_and_is_safe([page.to_dict() for page in pages])  # type: ignore[misc]
    shown = "\n\n".join(page.description or "" for page in pages)
    position = 0
    for entry in games:
        position = shown.find(game_block(entry), position)
        assert position >= 0, f"game {entry.game_id} is missing or out of order"
    hostile = render_progress(ProgressReport(UserProfile(name, None, name, 0, 0, 0), games[:1]))
    assert_fits_and_is_safe([page.to_dict() for page in hostile])  # type: ignore[misc]


@settings(max_examples=60, deadline=None)
@given(entries(), st.lists(texts, min_size=2, max_size=10), st.lists(texts, max_size=10))
def test_comparison_pages_fit(games: tuple[GameEntry, ...], names: list[str], missing: list[str]) -> None:
    compared = tuple(
        ComparedGame(e.game_id, e.info, tuple(PlayerResult(name, e.progress) for name in names))
        for e in games[:10]
    )
    profiles = tuple(UserProfile(name, None, None, 0, 0, 0) for name in names)
    comparison = Comparison(profiles, tuple(missing), compared)
    assert_fits_and_is_safe([page.to_dict() for page in render_comparison(comparison)])  # type: ignore[misc]


@settings(max_examples=40, deadline=None)
@given(entries(), st.integers(min_value=0, max_value=400), texts, texts, counts, counts)
def test_leaderboard_pages_fit(
    games: tuple[GameEntry, ...], members: int, server: str, name: str, gone: int, unchecked: int
) -> None:
    entry = games[0]
    rows = tuple(BoardRow(10**18 + n, f"{name}{n}", entry.progress) for n in range(members))
    board = Leaderboard(entry.game_id, entry.info, rows, accounts_gone=gone, unchecked=unchecked)
    pages = render_leaderboard(board, server, invoker_id=10**18 + members - 1)
    assert len(pages) == max(1, -(-members // 10))
    ids = frozenset(row.discord_user_id for row in rows)
    assert_fits_and_is_safe([page.to_dict() for page in pages], ids)  # type: ignore[misc]
