"""The catalogue as commands read it: an in-memory `TitleIndex` over storage's copy, rebuilt after each
refresh. It names the games of replies (API_GetGame only for a game it lacks, which it then learns),
resolves what members type into game IDs, and suggests games as they type."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from bot.background import BackgroundWrites
from bot.catalogue.model import UNKNOWN_CONSOLE, CatalogueGame
from bot.game_items import resolve_game_list, resolve_one_game
from bot.game_suggestions import GameChoice, SuggestionRequest
from bot.ra.client import RAClient
from bot.ra.models import GameInfo
from bot.storage import Storage
from bot.titles import TitleIndex

log = logging.getLogger(__name__)


def game_info(game: CatalogueGame) -> GameInfo:
    return GameInfo(game.game_id, game.title, game.console_name, game.image_icon)


def choice(game: CatalogueGame) -> GameChoice:
    return GameChoice(game.game_id, game.title, game.console_name)


class Catalogue:
    """One per process. `index` is replaced whole by `load()` (so a reader never sees half of one) and
    grows by the games `get_games` learns. `filled` is False until every console storage knows has had
    its games fetched once: a title that finds nothing meanwhile is told the list is still loading."""

    def __init__(self, storage: Storage, client: RAClient, background: BackgroundWrites) -> None:
        self._storage = storage
        self._client = client
        self._background = background
        self.index = TitleIndex()
        self.stamp: tuple[int, float] = (0, 0.0)
        self.filled = False
        self.learned = 0

    async def load(self) -> None:
        """Reads storage's copy and builds its index off the event loop."""
        stamp = await self._storage.catalogue_stamp()
        consoles = await self._storage.catalogue_consoles()
        games = await self._storage.catalogue_games()
        self.index = await asyncio.to_thread(TitleIndex, games)
        self.stamp = stamp
        self.filled = bool(consoles) and all(console.refreshed_at is not None for console in consoles)

    async def reload_if_changed(self) -> bool:
        """Loads storage's copy if another process changed it since; True if it did."""
        if await self._storage.catalogue_stamp() == self.stamp:
            return False
        await self.load()
        return True

    # -- game details for replies (the `GameSource` of bot.reports.gather) ---------------------

    async def get_game(self, game_id: int) -> GameInfo | None:
        return (await self.get_games([game_id]))[game_id]

    async def get_games(
        self, game_ids: Sequence[int], *, background: bool = False
    ) -> dict[int, GameInfo | None]:
        """Titles, consoles and icons from the catalogue; API_GetGame only for the games it lacks (in the
        rate limit's background lane if `background`), and what that finds is added to the catalogue
        (this process's index now, storage in the background)."""
        ids = list(dict.fromkeys(game_ids))
        known: dict[int, GameInfo | None] = {}
        for game_id in ids:
            game = self.index.get(game_id)
            if game is not None:
                known[game_id] = game_info(game)
        missing = [game_id for game_id in ids if game_id not in known]
        if missing:
            fetched = await self._client.get_games(missing, background=background)
            self._learn([info for info in fetched.values() if info is not None])
            known.update(fetched)
        return {game_id: known[game_id] for game_id in ids}

    def _learn(self, infos: list[GameInfo]) -> None:
        games = [
            CatalogueGame(info.game_id, info.title, UNKNOWN_CONSOLE, info.console_name, info.image_icon)
            for info in infos
            if info.game_id not in self.index and info.title.strip()
        ]
        if not games:
            return
        for game in games:
            self.index.add(game)
        self.learned += len(games)
        self._background.spawn(self._storage.add_catalogue_games(games))

    # -- what members type -------------------------------------------------------------------

    def resolve_list(self, raw: str, limit: int) -> list[int]:
        """Game IDs for a list of IDs, links and titles (see `bot.game_items`); raises InvalidInput."""
        return resolve_game_list(raw, self.index, limit, loading=not self.filled)

    def resolve_one(self, raw: str) -> int:
        """One game's ID for an ID, a link or a title; raises InvalidInput."""
        return resolve_one_game(raw, self.index, loading=not self.filled)

    def suggest(self, request: SuggestionRequest, limit: int) -> list[GameChoice]:
        """The suggestion source of the catalogue's titles (see `bot.game_suggestions`)."""
        return [choice(game) for game in self.index.suggest(request.typed, limit, request.exclude)]

    def starting_with(self, text: str, limit: int) -> list[GameChoice]:
        return [choice(game) for game in self.index.starting_with(text, limit)]
