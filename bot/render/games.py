"""How a game and a player's standing on it are named, the same in every reply."""

from __future__ import annotations

from collections.abc import Mapping

from bot.ra.models import GameInfo, GameProgress, game_url
from bot.ra.player_games import AwardKind
from bot.render.bars import bar, percent_floor
from bot.render.text import safe_markdown

MASTERED_MARK = "👑 Mastered"
COMPLETED_MARK = "✅ Completed"
BEATEN_MARKS: Mapping[AwardKind | None, str] = {
    AwardKind.BEATEN_HARDCORE: "🏁 Beaten",
    AwardKind.BEATEN_SOFTCORE: "🏁 Beaten (softcore)",
}
BEATEN_CROWNS: Mapping[AwardKind | None, str] = {
    AwardKind.BEATEN_HARDCORE: " 🏁",
    AwardKind.BEATEN_SOFTCORE: " 🏁 SC",
}
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


def mark(progress: GameProgress, beaten: AwardKind | None = None) -> str | None:
    if progress.mastered:
        return MASTERED_MARK
    if progress.completed:
        return COMPLETED_MARK
    return BEATEN_MARKS.get(beaten)


def crown(progress: GameProgress, beaten: AwardKind | None = None) -> str:
    """A short mark after a player's name: 👑 mastered, ✅ completed, 🏁 beaten (SC: in softcore)."""
    if not progress.completed:
        return BEATEN_CROWNS.get(beaten, "")
    return " 👑" if progress.mastered else " ✅"


def compact_standing(progress: GameProgress) -> str:
    """Hardcore and softcore bars with percentages, and points, on one line."""
    p = progress
    return (
        f"`HC {bar(p.achieved_hardcore, p.possible)}` {percent_floor(p.achieved_hardcore, p.possible)}% · "
        f"`SC {bar(p.achieved, p.possible)}` {percent_floor(p.achieved, p.possible)}% · {p.score:,} pts"
    )
