"""Untrusted text (names, titles, consoles) made safe to show: no controls, no markup, within a limit.

Every string from outside the bot goes through `plain_text` (for parts Discord shows as plain text:
author name, footer) or `safe_markdown` (for parts it renders as markdown), each with its limit.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Sequence
from functools import lru_cache

from bot.render.limits import URL_LIMIT

ELLIPSIS = "…"
# Invisible characters that reorder, join or hide text: C0 and C1 controls other than whitespace (which
# is folded to one space), the soft hyphen, bidirectional marks, embeddings, overrides and isolates,
# zero-width characters and joiners, the byte order mark, lone surrogates and tag characters.
_CONTROLS = re.compile(
    r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\xad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    r"\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e007f]"
)
# Discord markdown: the escape itself, bold/italic, underline, strike, spoiler, code, masked links, and
# `<` that starts mentions, channels, custom emoji and timestamps. Headings, quotes and lists need a line
# start, which only the first character of one line of text can be.
_MARKUP = re.compile(r"([\\*_~|`\[\]<])")
_LINE_START_MARKUP = re.compile(r"^([#>-])")
# Strings up to this long are cached (titles and consoles repeat across replies); longer ones are
# escaped each time, so the cache holds at most CACHE_ENTRIES small strings whatever it is given.
CACHEABLE_LENGTH = 256
CACHE_ENTRIES = 4096
_URL_SAFE = "/:?#=&%+@!$*,;~"


def strip_controls(text: str) -> str:
    return _CONTROLS.sub("", text)


def one_line(text: str) -> str:
    """Without invisible controls, and every run of whitespace (newlines too) one space."""
    return " ".join(strip_controls(text).split())


def channel_mention(channel_id: int) -> str:
    """How a message names a channel: Discord shows it as its name, linked."""
    return f"<#{channel_id}>"


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, the last one an ellipsis when something was cut."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def plain_text(text: str, limit: int) -> str:
    """For the parts of an embed that Discord shows without markdown (author name, footer)."""
    return shorten(one_line(text), limit)


def escape_markdown(text: str) -> str:
    """Every character that could start Discord markdown in one line, backslash-escaped."""
    return _LINE_START_MARKUP.sub(r"\\\1", _MARKUP.sub(r"\\\1", text))


def safe_markdown(text: str, limit: int) -> str:
    """One line of `text` that shows as typed in markdown, at most `limit` characters once escaped."""
    if len(text) > CACHEABLE_LENGTH:
        return _safe_markdown(text, limit)
    return _cached_safe_markdown(text, limit)


def _safe_markdown(text: str, limit: int) -> str:
    escaped = escape_markdown(one_line(text))
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    if (len(cut) - len(cut.rstrip("\\"))) % 2:
        cut = cut[:-1]  # the cut fell between a backslash and the character it escapes
    return cut + ELLIPSIS


_cached_safe_markdown = lru_cache(maxsize=CACHE_ENTRIES)(_safe_markdown)


def code(text: str, limit: int) -> str:
    """`text` as inline code (markdown does not apply inside), at most `limit` characters in all."""
    return "`" + shorten(one_line(text).replace("`", ""), limit - 2) + "`"


def join_within(parts: Sequence[str], limit: int, separator: str = ", ") -> str:
    """Whole parts joined while they fit in `limit`; an ellipsis stands for those left out."""
    joined = separator.join(parts)
    if len(joined) <= limit:
        return joined
    kept: list[str] = []
    for part in parts:
        if len(separator.join([*kept, part, ELLIPSIS])) > limit:
            break
        kept.append(part)
    return separator.join([*kept, ELLIPSIS])


def safe_url(url: str | None) -> str | None:
    """An http(s) URL with anything unsafe percent-encoded, or None when there is no usable URL."""
    if url is None or not url.startswith(("https://", "http://")):
        return None
    quoted = urllib.parse.quote(strip_controls(url), safe=_URL_SAFE)
    return quoted if len(quoted) <= URL_LIMIT else None
