"""How a game, a player and a player's standing on a game are shown, the same in every reply."""

from __future__ import annotations

from collections.abc import Mapping

from bot.ra.models import GameInfo, GameProgress, game_url
from bot.ra.player_games import AwardKind
from bot.render.bars import bar, percent_floor
from bot.render.numbers import compact_count
from bot.render.style import (
    BEATEN_ICON,
    BEATEN_MARK,
    BEATEN_SOFTCORE_MARK,
    COMPLETED_ICON,
    COMPLETED_MARK,
    HARDCORE_SHORT,
    MASTERED_ICON,
    MASTERED_MARK,
    SOFTCORE_SHORT,
)
from bot.render.text import safe_markdown

BEATEN_MARKS: Mapping[AwardKind | None, str] = {
    AwardKind.BEATEN_HARDCORE: BEATEN_MARK,
    AwardKind.BEATEN_SOFTCORE: BEATEN_SOFTCORE_MARK,
}
BEATEN_CROWNS: Mapping[AwardKind | None, str] = {
    AwardKind.BEATEN_HARDCORE: f" {BEATEN_ICON}",
    AwardKind.BEATEN_SOFTCORE: f" {BEATEN_ICON} {SOFTCORE_SHORT}",
}
TITLE_LIMIT = 100
CONSOLE_LIMIT = 40
NAME_LIMIT = 20  # RetroAchievements names are 2-20 letters and digits


def game_heading(game_id: int, info: GameInfo | None) -> str:
    """The game's title (linking to its page) in bold, and its console."""
    if info is None:
        return f"**[Game #{game_id}]({game_url(game_id)})**"
    title = safe_markdown(info.title, TITLE_LIMIT) or f"Game #{game_id}"
    heading = f"**[{title}]({info.url})**"
    console = safe_markdown(info.console_name, CONSOLE_LIMIT)
    return f"{heading} · {console}" if console else heading


def unknown_game(game_id: int) -> str:
    return f"**Unknown game #{game_id}**\nRetroAchievements has no game with this ID."


def player_name(name: str) -> str:
    return safe_markdown(name, NAME_LIMIT)


def mark(progress: GameProgress, beaten: AwardKind | None = None) -> str | None:
    if progress.mastered:
        return MASTERED_MARK
    if progress.completed:
        return COMPLETED_MARK
    return BEATEN_MARKS.get(beaten)


def crown(progress: GameProgress, beaten: AwardKind | None = None) -> str:
    """A short mark after a player's name: 👑 mastered, ✅ completed, 🏁 beaten (SC: in softcore)."""
    if progress.mastered:
        return f" {MASTERED_ICON}"
    if progress.completed:
        return f" {COMPLETED_ICON}"
    return BEATEN_CROWNS.get(beaten, "")


def standing_lines(progress: GameProgress) -> tuple[str, str]:
    """Hardcore, then softcore: bar, percentage, unlocks and points, each line short enough for a phone
    (at most 44 characters as shown, whatever the numbers)."""
    p = progress
    return (
        _standing(HARDCORE_SHORT, p.achieved_hardcore, p.possible, p.score_hardcore),
        _standing(SOFTCORE_SHORT, p.achieved, p.possible, p.score),
    )


def _standing(label: str, done: int, total: int, points: int) -> str:
    return (
        f"`{label} {bar(done, total)}` {percent_floor(done, total)}% · "
        f"{compact_count(done)}/{compact_count(total)} · {compact_count(points)} pts"
    )
