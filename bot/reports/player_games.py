"""A player's own games in replies: beaten marks from their completion progress, and the report of
the games they played last."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from bot.ra.client import RAClient
from bot.ra.models import GameProgress
from bot.ra.player_games import (
    AwardKind,
    CompletionPage,
    RecentGame,
    beaten_mark,
    could_be_beaten,
)
from bot.reports.models import GameEntry, ProgressReport

#: Games `/progress` shows when none are given.
RECENT_GAMES = 10
#: The most completion pages read for one player: 5,000 games, beyond the most any player has.
MAX_COMPLETION_PAGES = 10


async def beaten_games(
    client: RAClient,
    user: str,
    progress: Mapping[int, GameProgress],
    first_page: CompletionPage | None = None,
) -> dict[int, AwardKind]:
    """The games of `progress` the player has beaten without completing or mastering them.

    Completion progress is read a page at a time, and only as far as needed: not at all when no game
    could carry the mark (see `could_be_beaten`), and no further than the page that lists the last
    game looked for. `first_page`, when given, is page one already fetched (beside the progress).
    """
    wanted = {game_id for game_id, standing in progress.items() if could_be_beaten(standing)}
    if not wanted:
        return {}
    page = first_page if first_page is not None else await client.get_user_completion_page(user)
    awards = _awards_of(page, wanted)
    for _ in range(MAX_COMPLETION_PAGES - 1):
        if len(awards) == len(wanted) or not page.has_more:
            break
        page = await client.get_user_completion_page(user, page.next_offset)
        awards.update(_awards_of(page, wanted))
    marks = {game_id: beaten_mark(kind, progress[game_id]) for game_id, kind in awards.items()}
    return {game_id: mark for game_id, mark in marks.items() if mark is not None}


def _awards_of(page: CompletionPage, wanted: set[int]) -> dict[int, AwardKind | None]:
    return {game_id: kind for game_id, kind in page.awards.items() if game_id in wanted}


async def gather_recent_report(client: RAClient, user: str, count: int = RECENT_GAMES) -> ProgressReport:
    """The player's `count` most recently played games: titles and progress come in one request, beside
    the profile; completion progress follows only if one of those games could carry a beaten mark."""

    async def games_and_marks() -> tuple[tuple[RecentGame, ...], dict[int, AwardKind]]:
        games = await client.get_user_recently_played(user, count)
        marks = await beaten_games(client, user, {game.info.game_id: game.progress for game in games})
        return games, marks

    profile, (games, marks) = await asyncio.gather(client.get_user_profile(user), games_and_marks())
    entries = tuple(
        GameEntry(game.info.game_id, game.info, game.progress, marks.get(game.info.game_id)) for game in games
    )
    return ProgressReport(profile=profile, entries=entries, recently_played=True)
