"""Autocomplete of RetroAchievements names from linked accounts only (never upstream), as Discord choices."""

from __future__ import annotations

from discord.app_commands import Choice

from bot.i18n.language import ENGLISH, Language
from bot.input import split_list
from bot.patterns import LIST_SEPARATORS
from bot.storage import Storage

MAX_CHOICES = 25
MAX_VALUE = 100


async def suggest_names(
    storage: Storage, member_id: int, guild_id: int | None, typed: str, language: Language = ENGLISH
) -> list[tuple[str, str]]:
    """(label, value) pairs: the member's own linked account first (labelled in the member's language),
    then this server's linked members."""
    text = typed.strip()
    suggestions: list[tuple[str, str]] = []
    seen: set[str] = set()
    own = await storage.cached_link(member_id)
    if own is not None and text.lower() in own.ra_name.lower():
        suggestions.append((language.t("{name} (you)", name=own.ra_name), own.ra_name))
        seen.add(own.ra_name.lower())
    if guild_id is not None:
        for link in await storage.search_guild_links(guild_id, text, MAX_CHOICES):
            if link.ra_name.lower() not in seen:
                seen.add(link.ra_name.lower())
                suggestions.append((link.ra_name, link.ra_name))
    return suggestions[:MAX_CHOICES]


async def suggest_name_list(
    storage: Storage, member_id: int, guild_id: int | None, typed: str
) -> list[tuple[str, str]]:
    """Completes the last name of a comma- or space-separated list, keeping the names typed before it."""
    head, last = split_last_item(typed)
    already = {part.lower() for part in split_list(head)}
    completions = []
    for _, name in await suggest_names(storage, member_id, guild_id, last):
        value = f"{head}{name}"
        if name.lower() not in already and len(value) <= MAX_VALUE:
            completions.append((value, value))
    return completions


def split_last_item(typed: str) -> tuple[str, str]:
    """(everything up to and including the last separator, the item being typed after it)."""
    separators = list(LIST_SEPARATORS.finditer(typed))
    if not separators:
        return "", typed
    end = separators[-1].end()
    return typed[:end], typed[end:]


def choices(pairs: list[tuple[str, str]]) -> list[Choice[str | int | float]]:
    """Discord choices from (label, value) pairs; labels are cut to Discord's 100 characters."""
    return [Choice(name=label[:100], value=value) for label, value in pairs]
