"""Pure rendering of a progress report into Discord embeds that respect Discord's limits."""

from __future__ import annotations

import discord

from bot.ra.models import GameProgress
from bot.render.bars import bar, percent_floor
from bot.render.games import game_heading, mark, unknown_game
from bot.render.limits import AUTHOR_NAME_LIMIT
from bot.render.numbers import count
from bot.render.pages import BLOCK_SEPARATOR, page_footer, paginate_blocks
from bot.render.style import EMBED_COLOUR, FOOTER
from bot.render.text import plain_text, safe_url
from bot.reports import GameEntry, ProgressReport, Summary

GAMES_PER_PAGE = 10
UNNAMED = "RetroAchievements player"  # Discord refuses an empty author name


def render_progress(report: ProgressReport) -> list[discord.Embed]:
    """One embed per page: each page holds whole game entries, every page carries the summary."""
    pages = paginate_blocks([game_block(entry) for entry in report.entries], GAMES_PER_PAGE)
    summary = report.summary()
    return [_page_embed(report, page, summary, number, len(pages)) for number, page in enumerate(pages, 1)]


def game_block(entry: GameEntry) -> str:
    if entry.is_unknown:
        return unknown_game(entry.game_id)
    progress = entry.progress
    heading = game_heading(entry.game_id, entry.info)
    if not progress.has_achievements:
        return f"{heading}\nNo achievements yet."
    standing = mark(progress, entry.beaten)
    if standing:
        heading = f"{heading} · **{standing}**"
    return "\n".join((heading, *progress_lines(progress)))


def progress_lines(progress: GameProgress) -> tuple[str, str]:
    return (
        _line("Softcore", progress.achieved, progress.possible, progress.score, progress.possible_score),
        _line(
            "Hardcore",
            progress.achieved_hardcore,
            progress.possible,
            progress.score_hardcore,
            progress.possible_score,
        ),
    )


def _line(label: str, done: int, total: int, points: int, possible_points: int) -> str:
    return (
        f"`{label} {bar(done, total)}` {percent_floor(done, total)}% · "
        f"{count(done)}/{count(total)} · {count(points)}/{count(possible_points)} pts"
    )


def summary_fields(summary: Summary) -> list[tuple[str, str]]:
    return [
        ("Mastered", f"{count(summary.mastered)} of {count(summary.games)}"),
        ("Completed", f"{count(summary.completed)} of {count(summary.games)}"),
        ("Beaten", f"{count(summary.beaten)} of {count(summary.games)}"),
        (
            "Points",
            f"{count(summary.score)} of {count(summary.possible_score)}\n"
            f"(hardcore {count(summary.score_hardcore)})",
        ),
    ]


def _page_embed(
    report: ProgressReport, blocks: list[str], summary: Summary, number: int, total: int
) -> discord.Embed:
    games = len(report.entries)
    heading = "Recently played:" if report.recently_played else "Progress on"
    embed = discord.Embed(
        title=f"{heading} {games} game{'s' if games != 1 else ''}",
        description=BLOCK_SEPARATOR.join(blocks),
        colour=EMBED_COLOUR,
    )
    profile = report.profile
    embed.set_author(
        name=plain_text(profile.user, AUTHOR_NAME_LIMIT) or UNNAMED,
        url=safe_url(profile.url),
        icon_url=safe_url(profile.avatar_url),
    )
    for name, value in summary_fields(summary):
        embed.add_field(name=name, value=value)  # inline: side by side
    embed.set_footer(text=page_footer(FOOTER, number, total))
    return embed
