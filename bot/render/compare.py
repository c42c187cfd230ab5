"""Pure rendering of a comparison: for each game, the players one under the other, best first."""

from __future__ import annotations

import discord

from bot.i18n.language import ENGLISH, Language
from bot.render.games import NAME_LIMIT, crown, game_heading, player_name, standing_lines, unknown_game
from bot.render.limits import FIELD_VALUE_LIMIT
from bot.render.pages import BLOCK_SEPARATOR, page_footer, paginate_blocks
from bot.render.style import EMBED_COLOUR, FOOTER, LEGEND
from bot.render.text import code, join_within
from bot.reports import ComparedGame, Comparison, PlayerResult

GAMES_PER_PAGE = 5


def render_comparison(comparison: Comparison, language: Language = ENGLISH) -> list[discord.Embed]:
    blocks = [compared_game_block(game, language) for game in comparison.games]
    pages = paginate_blocks(blocks, GAMES_PER_PAGE)
    return [
        _page_embed(comparison, page, number, len(pages), language) for number, page in enumerate(pages, 1)
    ]


def compared_game_block(game: ComparedGame, language: Language = ENGLISH) -> str:
    if game.is_unknown:
        return unknown_game(game.game_id, language)
    lines = [game_heading(game.game_id, game.info, language)]
    if not any(result.progress.has_achievements for result in game.results):
        lines.append(language.t("No achievements yet."))
    else:
        lines.extend(player_lines(place, result, language) for place, result in enumerate(game.results, 1))
    return "\n".join(lines)


def player_lines(place: int, result: PlayerResult, language: Language = ENGLISH) -> str:
    """The place and name (with 👑, ✅ or 🏁), then the hardcore and the softcore standing."""
    name = f"**{place}. {player_name(result.name)}**{crown(result.progress, result.beaten)}"
    return "\n".join((name, *standing_lines(result.progress, language)))


def _page_embed(
    comparison: Comparison, blocks: list[str], number: int, total: int, language: Language
) -> discord.Embed:
    players = len(comparison.players)
    embed = discord.Embed(
        title=language.tn("Comparing {n} player", "Comparing {n} players", players),
        description=BLOCK_SEPARATOR.join(blocks),
        colour=EMBED_COLOUR,
    )
    names = [player_name(profile.user) for profile in comparison.players]
    embed.add_field(name=language.t("Players"), value=join_within(names, FIELD_VALUE_LIMIT), inline=False)
    if comparison.missing:
        missing = [code(name, NAME_LIMIT + 2) for name in comparison.missing]
        embed.add_field(
            name=language.t("Not found on RetroAchievements"),
            value=join_within(missing, FIELD_VALUE_LIMIT),
            inline=False,
        )
    footer = f"{language.t(FOOTER)} · {language.t(LEGEND)}"
    embed.set_footer(text=page_footer(footer, number, total, language))
    return embed
