"""How a game, a player and a player's standing on a game are shown, the same in every reply."""

from __future__ import annotations

from collections.abc import Mapping

from bot.i18n.language import ENGLISH, Language, Message, msg
from bot.ra.models import GameInfo, GameProgress, game_url
from bot.ra.player_games import AwardKind
from bot.render.bars import bar, percent_floor
from bot.render.numbers import compact_count
from bot.render.style import (
    BEATEN,
    BEATEN_ICON,
    BEATEN_SOFTCORE,
    COMPLETED,
    COMPLETED_ICON,
    HARDCORE_SHORT,
    MASTERED,
    MASTERED_ICON,
    SOFTCORE_SHORT,
)
from bot.render.text import safe_markdown

#: The words after 🏁, by award (message ids).
BEATEN_MARKS: Mapping[AwardKind | None, str] = {
    AwardKind.BEATEN_HARDCORE: BEATEN,
    AwardKind.BEATEN_SOFTCORE: BEATEN_SOFTCORE,
}
BEATEN_CROWNS: Mapping[AwardKind | None, str] = {
    AwardKind.BEATEN_HARDCORE: f" {BEATEN_ICON}",
    AwardKind.BEATEN_SOFTCORE: f" {BEATEN_ICON} {SOFTCORE_SHORT}",
}
TITLE_LIMIT = 100
CONSOLE_LIMIT = 40
NAME_LIMIT = 20  # RetroAchievements names are 2-20 letters and digits


def game_heading(game_id: int, info: GameInfo | None, language: Language = ENGLISH) -> str:
    """The game's title (linking to its page) in bold, and its console."""
    if info is None:
        return f"**[{untitled(game_id, language)}]({game_url(game_id)})**"
    title = safe_markdown(info.title, TITLE_LIMIT) or untitled(game_id, language)
    heading = f"**[{title}]({info.url})**"
    console = safe_markdown(info.console_name, CONSOLE_LIMIT)
    return f"{heading} · {console}" if console else heading


def untitled(game_id: int, language: Language = ENGLISH) -> str:
    return language.t("Game #{id}", id=str(game_id))


def unknown_game(game_id: int, language: Language = ENGLISH) -> str:
    return language.render(unknown_game_message(game_id))


def unknown_game_message(game_id: int) -> Message:
    """For a game ID that RetroAchievements does not know: in a reply's list, or as a refusal."""
    return msg("**Unknown game #{id}**\nRetroAchievements has no game with this ID.", id=str(game_id))


def player_name(name: str) -> str:
    return safe_markdown(name, NAME_LIMIT)


def mark(progress: GameProgress, beaten: AwardKind | None = None, language: Language = ENGLISH) -> str | None:
    if progress.mastered:
        return f"{MASTERED_ICON} {language.t(MASTERED)}"
    if progress.completed:
        return f"{COMPLETED_ICON} {language.t(COMPLETED)}"
    words = BEATEN_MARKS.get(beaten)
    return f"{BEATEN_ICON} {language.t(words)}" if words else None


def crown(progress: GameProgress, beaten: AwardKind | None = None) -> str:
    """A short mark after a player's name: 👑 mastered, ✅ completed, 🏁 beaten (SC: in softcore)."""
    if progress.mastered:
        return f" {MASTERED_ICON}"
    if progress.completed:
        return f" {COMPLETED_ICON}"
    return BEATEN_CROWNS.get(beaten, "")


def standing_lines(progress: GameProgress, language: Language = ENGLISH) -> tuple[str, str]:
    """Hardcore, then softcore: bar, percentage, unlocks and points, each line short enough for a phone
    (at most 44 characters as shown in English, whatever the numbers)."""
    p = progress
    return (
        _standing(HARDCORE_SHORT, p.achieved_hardcore, p.possible, p.score_hardcore, language),
        _standing(SOFTCORE_SHORT, p.achieved, p.possible, p.score, language),
    )


def _standing(label: str, done: int, total: int, points: int, language: Language) -> str:
    return (
        f"`{label} {bar(done, total)}` {language.percent(percent_floor(done, total))} · "
        f"{compact_count(done, language)}/{compact_count(total, language)} · "
    ) + language.tn("{n} pt", "{n} pts", points, n=compact_count(points, language))
