"""Pure rendering of a progress report into Discord embeds that respect Discord's limits."""

from __future__ import annotations

import discord

from bot.i18n.language import ENGLISH, N_, Language
from bot.ra.models import GameProgress
from bot.render.bars import bar, percent_floor
from bot.render.games import game_heading, mark, unknown_game
from bot.render.limits import AUTHOR_NAME_LIMIT
from bot.render.numbers import count
from bot.render.pages import BLOCK_SEPARATOR, page_footer, paginate_blocks
from bot.render.style import EMBED_COLOUR, FOOTER, HARDCORE, SOFTCORE
from bot.render.text import plain_text, safe_url
from bot.reports import GameEntry, ProgressReport, Summary

GAMES_PER_PAGE = 10
UNNAMED = N_("RetroAchievements player")  # Discord refuses an empty author name


def render_progress(report: ProgressReport, language: Language = ENGLISH) -> list[discord.Embed]:
    """One embed per page: each page holds whole game entries, every page carries the summary."""
    pages = paginate_blocks([game_block(entry, language) for entry in report.entries], GAMES_PER_PAGE)
    summary = report.summary()
    return [
        _page_embed(report, page, summary, number, len(pages), language)
        for number, page in enumerate(pages, 1)
    ]


def game_block(entry: GameEntry, language: Language = ENGLISH) -> str:
    if entry.is_unknown:
        return unknown_game(entry.game_id, language)
    progress = entry.progress
    heading = game_heading(entry.game_id, entry.info, language)
    if not progress.has_achievements:
        return heading + "\n" + language.t("No achievements yet.")
    standing = mark(progress, entry.beaten, language)
    if standing:
        heading = f"{heading} · **{standing}**"
    return "\n".join((heading, *progress_lines(progress, language)))


def progress_lines(progress: GameProgress, language: Language = ENGLISH) -> tuple[str, str]:
    """Softcore, then hardcore; the two labels padded to one width, so that the bars line up."""
    softcore, hardcore = language.t(SOFTCORE), language.t(HARDCORE)
    width = max(len(softcore), len(hardcore))
    p = progress
    return (
        _line(softcore.ljust(width), p.achieved, p.possible, p.score, p.possible_score, language),
        _line(
            hardcore.ljust(width),
            p.achieved_hardcore,
            p.possible,
            p.score_hardcore,
            p.possible_score,
            language,
        ),
    )


def _line(label: str, done: int, total: int, points: int, possible_points: int, language: Language) -> str:
    return (
        f"`{label} {bar(done, total)}` {language.percent(percent_floor(done, total))} · "
        f"{count(done, language)}/{count(total, language)} · "
        + language.tn(
            "{points}/{n} pt",
            "{points}/{n} pts",
            possible_points,
            points=count(points, language),
            n=count(possible_points, language),
        )
    )


def summary_fields(summary: Summary, language: Language = ENGLISH) -> list[tuple[str, str]]:
    """The field names have a context of their own: French and German say Completed and Beaten with one
    word, and their summaries tell the two apart by the marks' emoji."""
    games = count(summary.games, language)
    return [
        (
            language.tp("summary field", "Mastered"),
            language.t("{done} of {games}", done=count(summary.mastered, language), games=games),
        ),
        (
            language.tp("summary field", "Completed"),
            language.t("{done} of {games}", done=count(summary.completed, language), games=games),
        ),
        (
            language.tp("summary field", "Beaten"),
            language.t("{done} of {games}", done=count(summary.beaten, language), games=games),
        ),
        (
            language.t("Points"),
            language.t(
                "{points} of {possible}\n(hardcore {hardcore})",
                points=count(summary.score, language),
                possible=count(summary.possible_score, language),
                hardcore=count(summary.score_hardcore, language),
            ),
        ),
    ]


def _page_embed(
    report: ProgressReport, blocks: list[str], summary: Summary, number: int, total: int, language: Language
) -> discord.Embed:
    games = len(report.entries)
    if report.recently_played:
        title = language.tn("Recently played: {n} game", "Recently played: {n} games", games)
    else:
        title = language.tn("Progress on {n} game", "Progress on {n} games", games)
    embed = discord.Embed(
        title=title,
        description=BLOCK_SEPARATOR.join(blocks),
        colour=EMBED_COLOUR,
    )
    profile = report.profile
    embed.set_author(
        name=plain_text(profile.user, AUTHOR_NAME_LIMIT) or language.t(UNNAMED),
        url=safe_url(profile.url),
        icon_url=safe_url(profile.avatar_url),
    )
    for name, value in summary_fields(summary, language):
        embed.add_field(name=name, value=value)  # inline: side by side
    embed.set_footer(text=page_footer(language.t(FOOTER), number, total, language))
    return embed
