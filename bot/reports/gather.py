"""Assembles the data of replies from the RetroAchievements client: profiles, progress and game details."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Protocol

from bot.errors import RAConfigurationError, RAError, UserNotFound
from bot.ra.client import RAClient
from bot.ra.models import GameInfo, GameProgress, UserProfile
from bot.ra.player_games import AwardKind, CompletionPage
from bot.reports.models import (
    BoardRow,
    ComparedGame,
    Comparison,
    GameEntry,
    Leaderboard,
    PlayerResult,
    ProgressReport,
    rank_key,
)
from bot.reports.player_games import beaten_games

ProgressCallback = Callable[[int, int], None]


class GameSource(Protocol):
    """Where a report's titles and consoles come from: the client itself, or the game catalogue."""

    async def get_game(self, game_id: int) -> GameInfo | None: ...

    async def get_games(self, game_ids: Sequence[int]) -> dict[int, GameInfo | None]: ...


class BoardMember(Protocol):
    """A linked member, as storage keeps them (`bot.storage.LinkedAccount`)."""

    @property
    def discord_user_id(self) -> int: ...
    @property
    def ra_ulid(self) -> str: ...
    @property
    def ra_name(self) -> str: ...


async def gather_progress_report(
    client: RAClient, user: str, game_ids: Sequence[int], *, game_source: GameSource | None = None
) -> ProgressReport:
    """Profile, progress, game details (from `game_source`, else the client) and the first page of
    completion progress (for beaten marks) are asked for at once; when profile and progress are cached
    (the common case), one after the other, which spares the tasks, and completion progress only if a
    game could be beaten."""
    games = game_source or client
    first_page: CompletionPage | None = None
    if client.has_fresh_profile_and_progress(user, game_ids):
        profile = await client.get_user_profile(user)
        progress = await client.get_user_progress(user, game_ids)
        infos = await games.get_games(game_ids)
    else:
        profile, progress, infos, first_page = await asyncio.gather(
            client.get_user_profile(user),
            client.get_user_progress(user, game_ids),
            games.get_games(game_ids),
            client.get_user_completion_page(user),
        )
    marks = await beaten_games(client, user, progress, first_page)
    entries = tuple(
        GameEntry(
            game_id=game_id,
            info=infos.get(game_id),
            progress=progress.get(game_id) or nothing(game_id),
            beaten=marks.get(game_id),
        )
        for game_id in game_ids
    )
    return ProgressReport(profile=profile, entries=entries)


async def gather_comparison(
    client: RAClient, users: Sequence[str], game_ids: Sequence[int], *, game_source: GameSource | None = None
) -> Comparison:
    """Every player's progress on every game; players RetroAchievements does not know are listed apart."""

    async def one(user: str) -> tuple[UserProfile, dict[int, GameProgress], dict[int, AwardKind]] | None:
        try:
            profile, progress, first_page = await asyncio.gather(
                client.get_user_profile(user),
                client.get_user_progress(user, game_ids),
                client.get_user_completion_page(user),
            )
        except UserNotFound:
            return None
        return profile, progress, await beaten_games(client, user, progress, first_page)

    found, infos = await asyncio.gather(
        asyncio.gather(*(one(u) for u in users)), (game_source or client).get_games(game_ids)
    )
    players = [result for result in found if result is not None]
    missing = tuple(user for user, result in zip(users, found, strict=True) if result is None)
    games = tuple(
        ComparedGame(
            game_id=game_id,
            info=infos.get(game_id),
            results=tuple(
                sorted(
                    (
                        PlayerResult(p.user, progress.get(game_id) or nothing(game_id), marks.get(game_id))
                        for p, progress, marks in players
                    ),
                    key=lambda r: (*rank_key(r.progress), r.name.lower()),
                )
            ),
        )
        for game_id in game_ids
    )
    return Comparison(players=tuple(p for p, _, _ in players), missing=missing, games=games)


async def gather_leaderboard(
    client: RAClient,
    links: Sequence[BoardMember],
    game_id: int,
    *,
    concurrency: int,
    max_age: float,
    on_progress: ProgressCallback | None = None,
    game_source: GameSource | None = None,
) -> Leaderboard:
    """Every linked member's progress on one game, ranked. Bounded concurrency; failures are counted.

    A big server's board takes longer to walk than /progress keeps answers, so boards accept older
    cached answers (`max_age`); otherwise asking twice in a row would cost the whole walk again.
    """
    limit = asyncio.Semaphore(concurrency)
    done = 0
    gone = 0
    unchecked = 0
    rows: list[BoardRow] = []

    async def one(link: BoardMember) -> None:
        nonlocal done, gone, unchecked
        async with limit:
            try:
                progress = await client.get_user_progress(link.ra_ulid, [game_id], max_age=max_age)
            except UserNotFound:
                gone += 1
            except RAConfigurationError:
                raise
            except RAError:
                unchecked += 1
            else:
                rows.append(
                    BoardRow(link.discord_user_id, link.ra_name, progress.get(game_id) or nothing(game_id))
                )
            done += 1
            if on_progress is not None:
                on_progress(done, len(links))

    info, _ = await asyncio.gather(
        (game_source or client).get_game(game_id), asyncio.gather(*(one(link) for link in links))
    )
    if links and unchecked == len(links):
        raise RAError("RetroAchievements is not answering right now. Please try again in a minute.")
    rows.sort(key=lambda r: (*rank_key(r.progress), r.ra_name.lower(), r.discord_user_id))
    return Leaderboard(game_id=game_id, info=info, rows=tuple(rows), accounts_gone=gone, unchecked=unchecked)


def nothing(game_id: int) -> GameProgress:
    return GameProgress(game_id, 0, 0, 0, 0, 0, 0)
