"""Small helpers to put untrusted text into Discord markdown safely."""

from __future__ import annotations

from functools import lru_cache

import discord


@lru_cache(maxsize=4096)  # titles and consoles repeat across replies; escaping is the costly part
def safe_markdown(text: str, limit: int) -> str:
    """Escapes markdown (link brackets too), folds whitespace, and shortens to `limit` characters."""
    folded = " ".join(text.split())
    if len(folded) > limit:
        folded = folded[: limit - 1] + "…"
    escaped = discord.utils.escape_markdown(folded)
    return escaped.replace("[", "\\[").replace("]", "\\]")
