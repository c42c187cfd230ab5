"""Pure rendering of a server leaderboard on one game."""

from __future__ import annotations

import discord

from bot.render.games import compact_standing, crown, game_heading
from bot.render.pages import page_footer
from bot.render.progress import EMBED_COLOUR, FOOTER
from bot.reports import BoardRow, Leaderboard

ROWS_PER_PAGE = 10


def render_leaderboard(board: Leaderboard, server_name: str, invoker_id: int) -> list[discord.Embed]:
    """Ten members a page; the invoking member's own place is added on every page that does not show it."""
    chunks = [board.rows[i : i + ROWS_PER_PAGE] for i in range(0, len(board.rows), ROWS_PER_PAGE)] or [()]
    own_place = board.place_of(invoker_id)
    pages = []
    for number, chunk in enumerate(chunks, 1):
        first = (number - 1) * ROWS_PER_PAGE + 1
        lines = [board_line(first + offset, row) for offset, row in enumerate(chunk)]
        embed = discord.Embed(
            title=f"{server_name[:200]} leaderboard",
            description=game_heading(board.game_id, board.info)
            + "\n\n"
            + ("\n".join(lines) or _nobody(board)),
            colour=EMBED_COLOUR,
        )
        if own_place is not None and not first <= own_place < first + len(chunk):
            embed.add_field(
                name="Your place", value=board_line(own_place, board.rows[own_place - 1]), inline=False
            )
        notes = _notes(board)
        if notes:
            embed.add_field(name="Note", value=notes, inline=False)
        embed.set_footer(
            text=page_footer(
                f"{FOOTER} · {len(board.rows)} member{'s' if len(board.rows) != 1 else ''} ranked",
                number,
                len(chunks),
            )
        )
        pages.append(embed)
    return pages


def board_line(place: int, row: BoardRow) -> str:
    progress = row.progress
    return (
        f"`#{place:<3}` **{row.ra_name}**{crown(progress)} <@{row.discord_user_id}> · "
        f"{compact_standing(progress)}"
    )


def _nobody(board: Leaderboard) -> str:
    return "Nobody could be ranked this time."


def _notes(board: Leaderboard) -> str:
    notes = []
    if board.unchecked:
        notes.append(f"{board.unchecked} members could not be checked just now; try again in a minute.")
    if board.accounts_gone:
        notes.append(f"{board.accounts_gone} linked accounts no longer exist on RetroAchievements.")
    return "\n".join(notes)
