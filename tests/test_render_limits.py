"""Every rendered reply, for 1-50 games of any numbers and titles, fits Discord's limits."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

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
from bot.sandbox.fake_discord import validate_message

counts = st.integers(min_value=0, max_value=10**9)
titles = st.text(min_size=0, max_size=400)


@st.composite
def game_progress(draw: st.DrawFn, game_id: int) -> GameProgress:
    possible = draw(st.integers(min_value=0, max_value=5000))
    achieved = draw(st.integers(min_value=0, max_value=possible))
    hardcore = draw(st.integers(min_value=0, max_value=achieved))
    return GameProgress(game_id, possible, draw(counts), achieved, draw(counts), hardcore, draw(counts))


@st.composite
def entries(draw: st.DrawFn) -> tuple[GameEntry, ...]:
    ids = draw(st.lists(st.integers(min_value=1, max_value=2**31 - 1), min_size=1, max_size=50, unique=True))
    result = []
    for game_id in ids:
        info = draw(st.none() | st.builds(GameInfo, st.just(game_id), titles, titles, st.none()))
        result.append(GameEntry(game_id, info, draw(game_progress(game_id))))
    return tuple(result)


def assert_fits(embeds: list[dict[str, object]]) -> None:
    assert embeds
    for embed in embeds:
        errors = validate_message({"embeds": [embed], "components": []})
        assert errors == {}, errors


PROFILE = UserProfile("A" * 20, None, "/UserPic/x.png", 0, 0, 0)


@settings(max_examples=150, deadline=None)
@given(entries())
def test_progress_pages_fit_and_keep_every_game_in_order(games: tuple[GameEntry, ...]) -> None:
    pages = render_progress(ProgressReport(PROFILE, games))
    assert_fits([page.to_dict() for page in pages])  # type: ignore[misc]
    shown = "\n\n".join(page.description or "" for page in pages)
    position = 0
    for entry in games:
        position = shown.find(game_block(entry), position)
        assert position >= 0, f"game {entry.game_id} is missing or out of order"


@settings(max_examples=60, deadline=None)
@given(entries(), st.integers(min_value=2, max_value=10))
def test_comparison_pages_fit(games: tuple[GameEntry, ...], players: int) -> None:
    names = [f"Player{n:02d}xxxxxxxxxxx"[:20] for n in range(players)]
    compared = tuple(
        ComparedGame(e.game_id, e.info, tuple(PlayerResult(name, e.progress) for name in names))
        for e in games[:10]
    )
    profiles = tuple(UserProfile(name, None, None, 0, 0, 0) for name in names)
    comparison = Comparison(profiles, tuple("Y" * 20 for _ in range(8)), compared)
    assert_fits([page.to_dict() for page in render_comparison(comparison)])  # type: ignore[misc]


@settings(max_examples=40, deadline=None)
@given(entries(), st.integers(min_value=0, max_value=400), titles)
def test_leaderboard_pages_fit(games: tuple[GameEntry, ...], members: int, server: str) -> None:
    entry = games[0]
    rows = tuple(BoardRow(10**18 + n, f"Member{n}"[:20], entry.progress) for n in range(members))
    board = Leaderboard(entry.game_id, entry.info, rows, accounts_gone=3, unchecked=2)
    pages = render_leaderboard(board, server, invoker_id=10**18 + members - 1)
    assert len(pages) == max(1, -(-members // 10))
    assert_fits([page.to_dict() for page in pages])  # type: ignore[misc]
