"""Shows a Discord message (as the fake holds it) in a terminal, roughly as a member would see it."""

from __future__ import annotations

import re
import textwrap
from typing import Any

WIDTH = 72
_LINK = re.compile(r"\[((?:\\.|[^\]])*)\]\((https?://[^)\s]+)\)")
_EMPHASIS = re.compile(r"\*\*|__")
_ESCAPE = re.compile(r"\\([\\`*_~|>\[\]()#-])")


def plain(markdown: str) -> str:
    """Drops link targets and bold markers, and un-escapes, so text reads as Discord shows it."""
    text = _LINK.sub(r"\1", markdown)
    text = _EMPHASIS.sub("", text).replace("`", "")
    return _ESCAPE.sub(r"\1", text)


def render_message(message: dict[str, Any]) -> str:
    lines: list[str] = []
    if int(message.get("flags") or 0) & 64:
        lines.append("(only you can see this)")
    if message.get("content"):
        lines.extend(_wrap(plain(str(message["content"]))))
    for embed in message.get("embeds") or []:
        lines.extend(_embed(embed))
    buttons = [
        f"[{c.get('emoji', {}).get('name', '') + ' ' if c.get('emoji') else ''}{c.get('label', '')}]"
        + ("(disabled)" if c.get("disabled") else "")
        for row in message.get("components") or []
        for c in row.get("components", [])
    ]
    if buttons:
        lines.append("  ".join(buttons))
    return "\n".join(lines)


def _embed(embed: dict[str, Any]) -> list[str]:
    lines = ["┌" + "─" * (WIDTH - 1)]
    if "author" in embed:
        lines.append("│ " + embed["author"]["name"])
    if embed.get("title"):
        lines.append("│ " + plain(embed["title"]).upper())
    if embed.get("description"):
        lines.append("│")
        lines.extend("│ " + line for line in _wrap(plain(embed["description"])))
    inline: list[str] = []
    for field in embed.get("fields", []):
        text = plain(field["name"]) + ": " + plain(field["value"]).replace("\n", " ")
        if field.get("inline"):
            inline.append(text)
            continue
        lines.extend(("│", "│ " + text))
    if inline:
        lines.extend(("│", "│ " + " · ".join(inline)))
    if "footer" in embed:
        lines.append("│")
        lines.append("│ " + embed["footer"]["text"])
    lines.append("└" + "─" * (WIDTH - 1))
    return lines


def _wrap(text: str) -> list[str]:
    out: list[str] = []
    for paragraph in text.split("\n"):
        out.extend(textwrap.wrap(paragraph, WIDTH - 2) or [""])
    return out
