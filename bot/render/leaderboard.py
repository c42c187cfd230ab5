"""Pure rendering of a server leaderboard on one game."""

from __future__ import annotations

import discord

from bot.i18n.language import ENGLISH, Language
from bot.render.games import crown, game_heading, player_name, standing_lines
from bot.render.numbers import count
from bot.render.pages import page_footer
from bot.render.style import EMBED_COLOUR, FOOTER
from bot.render.text import safe_markdown
from bot.reports import BoardRow, Leaderboard

ROWS_PER_PAGE = 10
SERVER_NAME_LIMIT = 200


def render_leaderboard(
    board: Leaderboard, server_name: str, invoker_id: int, language: Language = ENGLISH
) -> list[discord.Embed]:
    """Ten members a page; the invoking member's own place is added on every page that does not show it."""
    chunks = [board.rows[i : i + ROWS_PER_PAGE] for i in range(0, len(board.rows), ROWS_PER_PAGE)] or [()]
    own_place = board.place_of(invoker_id)
    title = language.t("{server} leaderboard", server=safe_markdown(server_name, SERVER_NAME_LIMIT))
    ranked = len(board.rows)
    members = language.tn("{n} member ranked", "{n} members ranked", ranked, n=count(ranked, language))
    footer = language.t(FOOTER) + " · " + members
    notes = _notes(board, language)
    heading = game_heading(board.game_id, board.info, language)
    pages = []
    for number, chunk in enumerate(chunks, 1):
        first = (number - 1) * ROWS_PER_PAGE + 1
        entries = [board_entry(first + offset, row, language) for offset, row in enumerate(chunk)]
        nobody = language.t("Nobody could be ranked this time.")
        embed = discord.Embed(
            title=title,
            description=heading + "\n\n" + ("\n".join(entries) or nobody),
            colour=EMBED_COLOUR,
        )
        if own_place is not None and not first <= own_place < first + len(chunk):
            embed.add_field(
                name=language.t("Your place"),
                value=board_entry(own_place, board.rows[own_place - 1], language),
                inline=False,
            )
        if notes:
            embed.add_field(name=language.t("Note"), value=notes, inline=False)
        embed.set_footer(text=page_footer(footer, number, len(chunks), language))
        pages.append(embed)
    return pages


def board_entry(place: int, row: BoardRow, language: Language = ENGLISH) -> str:
    """The place, RetroAchievements name (with 👑 or ✅) and member, then the hardcore and the softcore
    standing."""
    name = f"`#{place:<3}` **{player_name(row.ra_name)}**{crown(row.progress)} <@{row.discord_user_id}>"
    return "\n".join((name, *standing_lines(row.progress, language)))


def _notes(board: Leaderboard, language: Language) -> str:
    notes = []
    if board.unchecked:
        notes.append(
            language.tn(
                "{n} member could not be checked just now; try again in a minute.",
                "{n} members could not be checked just now; try again in a minute.",
                board.unchecked,
                n=count(board.unchecked, language),
            )
        )
    if board.accounts_gone:
        notes.append(
            language.tn(
                "{n} linked account no longer exists on RetroAchievements.",
                "{n} linked accounts no longer exist on RetroAchievements.",
                board.accounts_gone,
                n=count(board.accounts_gone, language),
            )
        )
    return "\n".join(notes)
