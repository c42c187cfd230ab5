"""Autocomplete suggestions for RetroAchievements user names, from linked accounts only (never upstream)."""

from __future__ import annotations

import re

from bot.storage import Storage

MAX_CHOICES = 25
MAX_VALUE = 100
_LAST_PART = re.compile(r"^(.*[\s,;])?([^\s,;]*)$", re.DOTALL)


async def suggest_names(
    storage: Storage, member_id: int, guild_id: int | None, typed: str
) -> list[tuple[str, str]]:
    """(label, value) pairs: the member's own linked account first, then this server's linked members."""
    text = typed.strip()
    suggestions: list[tuple[str, str]] = []
    seen: set[str] = set()
    own = await storage.get_link(member_id)
    if own is not None and text.lower() in own.ra_name.lower():
        suggestions.append((f"{own.ra_name} (you)", own.ra_name))
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
    match = _LAST_PART.match(typed)
    head, last = (match.group(1) or "", match.group(2)) if match else ("", typed)
    already = {part.lower() for part in re.split(r"[\s,;]+", head) if part}
    completions = []
    for _, name in await suggest_names(storage, member_id, guild_id, last):
        value = f"{head}{name}"
        if name.lower() not in already and len(value) <= MAX_VALUE:
            completions.append((value, value))
    return completions
