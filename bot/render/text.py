"""Small helpers to put untrusted text into Discord markdown safely."""

from __future__ import annotations

import discord


def safe_markdown(text: str, limit: int) -> str:
    """Escapes markdown (link brackets too), folds whitespace, and shortens to `limit` characters."""
    folded = " ".join(text.split())
    if len(folded) > limit:
        folded = folded[: limit - 1] + "…"
    escaped = discord.utils.escape_markdown(folded)
    return escaped.replace("[", "\\[").replace("]", "\\]")
