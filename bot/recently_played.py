"""Autocomplete suggestions from a player's recently played games, answered from memory only.

A list not cached yet, or a member's link storage has not read yet, is fetched in the background for
the next keystroke: a suggestion never waits on RetroAchievements or on the database. With a Redis
cache, which cannot be read without I/O, the lists this process fetched are kept here for
`MEMO_SECONDS`.
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from bot.autocomplete import MAX_CHOICES
from bot.errors import InvalidInput, RAError
from bot.game_suggestions import GameChoice, GameSuggestionSource, SuggestionRequest
from bot.input import parse_username
from bot.ra.cache import MISSING, Missing, TTLCache
from bot.ra.client import RAClient
from bot.ra.player_games import RecentGame
from bot.reports.player_games import RECENT_GAMES
from bot.storage import NOT_KNOWN, LinkedAccount, NotKnown, Storage, StorageError

log = logging.getLogger(__name__)

#: How long a list fetched for suggestions is kept in this process (as long as progress, by default).
MEMO_SECONDS = 60.0
MEMO_ENTRIES = 5000
#: How long a link read for suggestions is kept here when storage cannot remember it itself (PostgreSQL
#: without its notifications, e.g. behind a pooler that refuses LISTEN): a new link shows this late.
LINK_SECONDS = 10.0
#: A background fetch not over after this long is started again (the runner may have dropped it).
PENDING_SECONDS = 30.0
LABEL_LIMIT = 100
Spawn = Callable[[Coroutine[Any, Any, None]], object]
_NOT_WORD = re.compile(r"[\W_]+")


@dataclass
class _Memo:
    games: TTLCache[str, tuple[RecentGame, ...]] = field(default_factory=lambda: TTLCache(MEMO_ENTRIES))
    links: TTLCache[int, LinkedAccount | None] = field(default_factory=lambda: TTLCache(MEMO_ENTRIES))
    # What is being fetched for a later keystroke, and since when.
    pending: dict[str, float] = field(default_factory=dict)


def _memo(client: RAClient) -> _Memo:
    return _memos.setdefault(client, _Memo())


_memos: weakref.WeakKeyDictionary[RAClient, _Memo] = weakref.WeakKeyDictionary()


def recently_played_choices(
    client: RAClient,
    storage: Storage,
    member_id: int,
    typed_user: str | None,
    typed_item: str,
    *,
    spawn: Spawn,
    limit: int = MAX_CHOICES,
) -> list[tuple[str, str]]:
    """(label, value) pairs for the games item being typed, from the player's last played games.

    The player is `typed_user` (the command's `user` option as typed so far) when it is a valid name,
    ULID or profile link, else the member's linked account; no player, no suggestions. Games match
    when each word of `typed_item` starts a word of the title (case, accents and punctuation aside)
    or `typed_item` starts the game's ID; an empty item matches every game. Most recent first, at most
    `limit`. The label is "Title · Console"; the value is the game ID as text: the caller puts back
    the items typed before this one.

    Answers at once, from memory: the member's link as storage last read it (`Storage.known_link`),
    the list as cached. What is missing (the link, the list) is fetched by a coroutine given to `spawn`
    (the bot's background runner, `bot.background.spawn`; errors logged, never raised), once however
    many keystrokes ask, for a later keystroke; meanwhile the answer is `[]`.
    """
    found = recent_games(client, storage, member_id, typed_user, typed_item, spawn=spawn)
    return [(_label(game), str(game.info.game_id)) for game in found[: max(0, limit)]]


def recent_games(
    client: RAClient,
    storage: Storage,
    member_id: int,
    typed_user: str | None,
    typed_item: str,
    *,
    spawn: Spawn,
) -> list[RecentGame]:
    """The player's recently played games that match `typed_item`, most recent first, from memory
    only (see `recently_played_choices`)."""
    player = _typed_player(typed_user)
    if player is None:
        link = storage.known_link(member_id)
        if link is NOT_KNOWN:
            link = _remembered_link(client, member_id)
        if link is NOT_KNOWN:
            _later(client, f"member {member_id}", lambda: _learn_link(client, storage, member_id), spawn)
            return []
        if link is None:
            return []
        player = link.ra_ulid
    games = _cached(client, player)
    if games is None:
        _later(client, player.lower(), lambda: _fetch(client, player), spawn)
        return []
    return [game for game in games if _matches(game, typed_item)]


def recently_played_source(client: RAClient, storage: Storage, spawn: Spawn) -> GameSuggestionSource:
    """The games autocomplete's first source (`bot.game_suggestion_sources`): the recently played games
    of the `user` typed so far, else of the member's linked account."""

    def source(request: SuggestionRequest, limit: int) -> list[GameChoice]:
        typed_user = request.options.get("user")
        found = recent_games(client, storage, request.member_id, typed_user, request.typed, spawn=spawn)
        return [
            GameChoice(game.info.game_id, game.info.title, game.info.console_name) for game in found[:limit]
        ]

    return source


def _typed_player(typed_user: str | None) -> str | None:
    if not typed_user:
        return None
    try:
        return parse_username(typed_user)
    except InvalidInput:
        return None


def _cached(client: RAClient, player: str) -> tuple[RecentGame, ...] | None:
    games = client.peek_user_recently_played(player, RECENT_GAMES)
    if games is not None:
        return games
    memo = _memos.get(client)
    if memo is None:
        return None
    remembered = memo.games.peek(player.lower(), MEMO_SECONDS)
    return None if isinstance(remembered, Missing) else remembered


def _remembered_link(client: RAClient, member_id: int) -> LinkedAccount | NotKnown | None:
    memo = _memos.get(client)
    link = MISSING if memo is None else memo.links.peek(member_id, LINK_SECONDS)
    return NOT_KNOWN if isinstance(link, Missing) else link


def _later(client: RAClient, key: str, job: Callable[[], Awaitable[None]], spawn: Spawn) -> None:
    """Starts `job()` in the background unless a job with the same key started less than
    `PENDING_SECONDS` ago and has not ended."""
    memo, now = _memo(client), time.monotonic()
    started = memo.pending.get(key)
    if started is not None and now - started < PENDING_SECONDS:
        return
    if len(memo.pending) >= MEMO_ENTRIES:  # only jobs that were dropped stay this long
        memo.pending = {k: t for k, t in memo.pending.items() if now - t < PENDING_SECONDS}
    memo.pending[key] = now

    async def run() -> None:
        try:
            await job()
        finally:
            if memo.pending.get(key) == now:
                del memo.pending[key]

    spawn(run())


async def _learn_link(client: RAClient, storage: Storage, member_id: int) -> None:
    """Reads the member's link (into storage's memory, or this module's when storage cannot keep it),
    then fetches their account's list if need be."""
    try:
        link = await storage.cached_link(member_id)
    except StorageError as error:
        log.debug("Linked account for suggestions: %s", error)
        return
    if storage.known_link(member_id) is NOT_KNOWN:
        _memo(client).links.put(member_id, link, LINK_SECONDS)
    if link is not None and _cached(client, link.ra_ulid) is None:
        await _fetch(client, link.ra_ulid)


async def _fetch(client: RAClient, player: str) -> None:
    memo = _memo(client)
    try:
        await memo.games.get_or_load(
            player.lower(), lambda: client.get_user_recently_played(player, RECENT_GAMES), MEMO_SECONDS
        )
    except RAError as error:
        log.debug("Recently played games for suggestions: %s", error)


def _words(text: str) -> list[str]:
    """Lower-case words without accents or punctuation."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return [word for word in _NOT_WORD.split(plain) if word]


def _matches(game: RecentGame, typed_item: str) -> bool:
    """Each typed word starts a word of the title, or the typed digits start the game's ID."""
    typed = typed_item.strip()
    if typed.isascii() and typed.isdigit() and str(game.info.game_id).startswith(typed):
        return True
    title_words = _words(game.info.title)
    return all(any(candidate.startswith(word) for candidate in title_words) for word in _words(typed))


def _label(game: RecentGame) -> str:
    info = game.info
    label = f"{info.title} · {info.console_name}" if info.console_name else info.title
    return " ".join(label.split())[:LABEL_LIMIT]
