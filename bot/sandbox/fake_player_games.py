"""The fake RetroAchievements' answers about a player's games, as RAWeb's own code gives them
(shared/reference/retroachievements-api.md, "A player's games"):

- `API_GetUserRecentlyPlayedGames`: `c` (default 10, at most 50) and `o` must be whole numbers >= 0
  (else 422); an unknown user gets 200 `[]`; most recently played first; hubs and events left out;
  each game carries the six progress numbers of `API_GetUserProgress`.
- `API_GetUserCompletionProgress`: `c` from 1 to 500 (default 100) and `o` >= 0 (else 422); an
  unknown user gets 200 `{"Count":0,"Total":0,"Results":[]}`; only games with more than 5
  achievements and at least one unlock; most recently unlocked first; `HighestAwardKind` from the
  player's awards: mastered or completed when the counts say so, else the beaten award in
  `FakeUser.awards`, else null.

When a game was last played comes from `FakeUser.last_played`; a game without an entry there was
played an hour before the one listed ahead of it in `FakeUser.progress`. Its most recent unlock is
taken to be that same moment.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from bot.sandbox.fake_ra import Dataset, FakeGame, FakeProgress, FakeUser

Respond = Callable[[Any], web.Response]
Handler = Callable[[web.Request], web.Response]

#: Hubs and events are not game systems: never listed among a player's games.
NOT_GAME_SYSTEMS = frozenset({100, 101})
RECENT_DEFAULT, RECENT_MAX = 10, 50
COMPLETION_DEFAULT, COMPLETION_MAX = 100, 500
COMPLETION_MIN_ACHIEVEMENTS = 5
#: When the first game of `FakeUser.progress` was last played, unless `FakeUser.last_played` says.
FIRST_PLAYED = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)
PLAYED_FORMAT = "%Y-%m-%d %H:%M:%S"
# PHP's FILTER_VALIDATE_INT, which Laravel's `integer` rule uses: an optional sign, no leading zeros.
_PHP_INT = re.compile(r"[+-]?(?:0|[1-9][0-9]*)")
_PHP_INT_MAX = 2**63 - 1
_ULID_LENGTH = 26
_ULID_CHARS = re.compile(r"[0-9A-Za-z]{26}")
_ALNUM = re.compile(r"[0-9A-Za-z]+")


def endpoints(dataset: Dataset, respond: Respond) -> dict[str, Handler]:
    """The handlers, by endpoint name, answering from `dataset` through `respond` (the fake's JSON)."""
    return {
        "API_GetUserRecentlyPlayedGames": lambda request: recently_played(dataset, respond, request),
        "API_GetUserCompletionProgress": lambda request: completion_progress(dataset, respond, request),
    }


def recently_played(dataset: Dataset, respond: Respond, request: web.Request) -> web.Response:
    errors = _errors(
        ("u", _user_error(request)),
        ("c", _count_error(request, "c", low=0)),
        ("o", _count_error(request, "o", low=0)),
    )
    if errors is not None:
        return errors
    user = dataset.find_user(request.query["u"])
    if user is None:
        return respond([])
    # RAWeb: min((int) c, 50), where an empty `c` (null once Laravel has read it) is 0.
    count = min(_php_int(request.query.get("c", str(RECENT_DEFAULT))), RECENT_MAX)
    offset = _php_int(request.query.get("o", "0"))
    if count < 1:
        return respond([])
    played = [(game, user.progress[game.game_id], when) for game, when in _played_games(dataset, user)]
    return respond([_recent_row(game, progress, when) for game, progress, when in played][offset:][:count])


def completion_progress(dataset: Dataset, respond: Respond, request: web.Request) -> web.Response:
    errors = _errors(
        ("u", _user_error(request)),
        ("o", _count_error(request, "o", low=0)),
        ("c", _count_error(request, "c", low=1, high=COMPLETION_MAX)),
    )
    if errors is not None:
        return errors
    user = dataset.find_user(request.query["u"])
    if user is None:
        return respond({"Count": 0, "Total": 0, "Results": []})
    count = _php_int(request.query.get("c") or str(COMPLETION_DEFAULT))
    offset = _php_int(request.query.get("o") or "0")
    rows = [
        _completion_row(game, user, when)
        for game, when in _played_games(dataset, user)
        if game.achievements > COMPLETION_MIN_ACHIEVEMENTS and user.progress[game.game_id].achieved > 0
    ]
    page = rows[offset:][:count]
    return respond({"Count": len(page), "Total": len(rows), "Results": page})


def _played_games(dataset: Dataset, user: FakeUser) -> list[tuple[FakeGame, datetime]]:
    """The user's games on game systems, most recently played first (ties: in `progress` order)."""
    played: list[tuple[int, FakeGame, datetime]] = []
    for position, game_id in enumerate(user.progress):
        game = dataset.games.get(game_id)
        if game is None or game.console_id in NOT_GAME_SYSTEMS:
            continue
        stated = user.last_played.get(game_id)
        when = (
            datetime.strptime(stated, PLAYED_FORMAT).replace(tzinfo=UTC)
            if stated is not None
            else FIRST_PLAYED - timedelta(hours=position)
        )
        played.append((position, game, when))
    played.sort(key=lambda entry: (-entry[2].timestamp(), entry[0]))
    return [(game, when) for _, game, when in played]


def _recent_row(game: FakeGame, progress: FakeProgress, when: datetime) -> dict[str, Any]:
    image = f"/Images/{game.game_id:06d}"
    return {
        "GameID": game.game_id,
        "ConsoleID": game.console_id,
        "ConsoleName": game.console_name,
        "Title": game.title,
        "ImageIcon": game.image_icon,
        "ImageTitle": f"{image}_title.png",
        "ImageIngame": f"{image}_ingame.png",
        "ImageBoxArt": f"{image}_box.png",
        "LastPlayed": when.strftime(PLAYED_FORMAT),
        "AchievementsTotal": game.achievements,
        "NumPossibleAchievements": game.achievements,
        "PossibleScore": game.points,
        "NumAchieved": progress.achieved,
        "ScoreAchieved": progress.score,
        "NumAchievedHardcore": progress.achieved_hardcore,
        "ScoreAchievedHardcore": progress.score_hardcore,
    }


def _completion_row(game: FakeGame, user: FakeUser, when: datetime) -> dict[str, Any]:
    progress = user.progress[game.game_id]
    award = highest_award(game, user)
    unlocked = when.isoformat()
    return {
        "GameID": game.game_id,
        "Title": game.title,
        "ImageIcon": game.image_icon,
        "ConsoleID": game.console_id,
        "ConsoleName": game.console_name,
        "MaxPossible": game.achievements,
        "NumAwarded": progress.achieved,
        "NumAwardedHardcore": progress.achieved_hardcore,
        "MostRecentAwardedDate": unlocked,
        "HighestAwardKind": award,
        "HighestAwardDate": unlocked if award is not None else None,
    }


def highest_award(game: FakeGame, user: FakeUser) -> str | None:
    """Mastery and completion outrank a beaten award, as on the site."""
    progress = user.progress[game.game_id]
    if game.achievements > 0 and progress.achieved_hardcore >= game.achievements:
        return "mastered"
    if game.achievements > 0 and progress.achieved >= game.achievements:
        return "completed"
    return user.awards.get(game.game_id)


# -- Laravel's validation ----------------------------------------------------------------------


def _errors(*checks: tuple[str, str | None]) -> web.Response | None:
    """Laravel's 422: the first message, "(and N more errors)", and every message by field."""
    failed = {name: [message] for name, message in checks if message is not None}
    if not failed:
        return None
    messages = [message for found in failed.values() for message in found]
    more = len(messages) - 1
    summary = messages[0] + (f" (and {more} more error{'s' if more > 1 else ''})" if more else "")
    return web.json_response({"message": summary, "errors": failed}, status=422)


def _user_error(request: web.Request) -> str | None:
    """RAWeb's `required` and `ValidUserIdentifier` rules: a ULID (26 characters) or 2-20 letters
    and digits."""
    value = request.query.get("u", "")
    if value == "":
        return "The u field is required."
    if len(value) == _ULID_LENGTH:
        return None if _ULID_CHARS.fullmatch(value) else "The u field must be a valid ULID."
    if not 2 <= len(value) <= 20:
        return "The u field must be between 2 and 20 characters when providing a username."
    if not _ALNUM.fullmatch(value):
        return "The u field may only contain letters and numbers."
    return None


def _count_error(request: web.Request, name: str, *, low: int, high: int | None = None) -> str | None:
    """`nullable|integer|min:low|max:high`; an empty value is null, which passes."""
    value = request.query.get(name, "").strip()
    if value == "":
        return None
    if not _PHP_INT.fullmatch(value) or abs(int(value)) > _PHP_INT_MAX:
        return f"The {name} field must be an integer."
    if int(value) < low:
        return f"The {name} field must be at least {low}."
    if high is not None and int(value) > high:
        return f"The {name} field must not be greater than {high}."
    return None


def _php_int(value: str) -> int:
    """PHP's `(int)` of a value that passed validation; an empty one is 0."""
    value = value.strip()
    return int(value) if value else 0
