"""How a game and a player's standing on it are named, the same in every reply."""

from __future__ import annotations

from bot.ra.models import GameInfo, GameProgress, game_url
from bot.render.bars import bar, percent_floor
from bot.render.text import safe_markdown

MASTERED_MARK = "👑 Mastered"
COMPLETED_MARK = "✅ Completed"
TITLE_LIMIT = 100
CONSOLE_LIMIT = 40


def game_heading(game_id: int, info: GameInfo | None) -> str:
    """The game's title (linking to its page) and console, in bold."""
    if info is None:
        return f"**[Game #{game_id}]({game_url(game_id)})**"
    title = safe_markdown(info.title, TITLE_LIMIT) or f"Game #{game_id}"
    heading = f"**[{title}]({info.url})**"
    if info.console_name:
        heading += f" · {safe_markdown(info.console_name, CONSOLE_LIMIT)}"
    return heading


def unknown_game(game_id: int) -> str:
    return f"**Unknown game #{game_id}**\nRetroAchievements has no game with this ID."


def mark(progress: GameProgress) -> str | None:
    if progress.mastered:
        return MASTERED_MARK
    if progress.completed:
        return COMPLETED_MARK
    return None


def crown(progress: GameProgress) -> str:
    """A short mark after a player's name: 👑 mastered, ✅ completed."""
    return " 👑" if progress.mastered else " ✅" if progress.completed else ""


def compact_standing(progress: GameProgress) -> str:
    """Hardcore and softcore bars with percentages, and points, on one line."""
    p = progress
    return (
        f"`HC {bar(p.achieved_hardcore, p.possible)}` {percent_floor(p.achieved_hardcore, p.possible)}% · "
        f"`SC {bar(p.achieved, p.possible)}` {percent_floor(p.achieved, p.possible)}% · {p.score:,} pts"
    )
