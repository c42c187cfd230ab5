"""Pure rendering of a comparison: for each game, the players side by side, best first."""

from __future__ import annotations

import discord

from bot.render.games import compact_standing, crown, game_heading, unknown_game
from bot.render.pages import BLOCK_SEPARATOR, page_footer, paginate_blocks
from bot.render.progress import EMBED_COLOUR, FOOTER
from bot.reports import ComparedGame, Comparison, PlayerResult

GAMES_PER_PAGE = 5


def render_comparison(comparison: Comparison) -> list[discord.Embed]:
    pages = paginate_blocks([compared_game_block(game) for game in comparison.games], GAMES_PER_PAGE)
    names = ", ".join(p.user for p in comparison.players)
    return [_page_embed(comparison, names, page, number, len(pages)) for number, page in enumerate(pages, 1)]


def compared_game_block(game: ComparedGame) -> str:
    if game.is_unknown:
        return unknown_game(game.game_id)
    lines = [game_heading(game.game_id, game.info)]
    if not any(result.progress.has_achievements for result in game.results):
        lines.append("No achievements yet.")
    else:
        lines.extend(player_line(place, result) for place, result in enumerate(game.results, 1))
    return "\n".join(lines)


def player_line(place: int, result: PlayerResult) -> str:
    standing = compact_standing(result.progress)
    return f"{place}. **{result.name}**{crown(result.progress, result.beaten)} · {standing}"


def _page_embed(
    comparison: Comparison, names: str, blocks: list[str], number: int, total: int
) -> discord.Embed:
    embed = discord.Embed(
        title=f"Comparing {len(comparison.players)} players",
        description=BLOCK_SEPARATOR.join(blocks),
        colour=EMBED_COLOUR,
    )
    embed.add_field(name="Players", value=names[:1024], inline=False)
    if comparison.missing:
        missing = ", ".join(f"`{name}`" for name in comparison.missing)
        embed.add_field(name="Not found on RetroAchievements", value=missing[:1024], inline=False)
    embed.set_footer(text=page_footer(f"{FOOTER} · HC = hardcore, SC = softcore", number, total))
    return embed
