"""How Discord shows a line of markdown, for tests that check what members see."""

from __future__ import annotations

WIDE = frozenset("👑✅")  # emoji take two columns


def skeleton(markdown: str) -> str:
    """`markdown` with every escaped character and everything inside inline code replaced by "·", so
    that what is left outside "·" is markup Discord acts on. Same length as `markdown`."""
    out: list[str] = []
    i, in_code = 0, False
    while i < len(markdown):
        char = markdown[i]
        if char == "`":
            out.append(char)
            in_code = not in_code
        elif in_code:
            out.append("·")
        elif char == "\\" and i + 1 < len(markdown):
            out.append("··")
            i += 1
        else:
            out.append(char)
        i += 1
    return "".join(out)


def as_shown(markdown: str) -> str:
    """The text of one line as Discord shows it: no bold markers, backticks or escaping backslashes."""
    out: list[str] = []
    i, in_code = 0, False
    while i < len(markdown):
        if markdown[i] == "`":
            in_code = not in_code
        elif not in_code and markdown[i] == "\\" and i + 1 < len(markdown):
            i += 1
            out.append(markdown[i])
        elif not in_code and markdown.startswith("**", i):
            i += 1
        else:
            out.append(markdown[i])
        i += 1
    return "".join(out)


def width(markdown: str) -> int:
    shown = as_shown(markdown)
    return len(shown) + sum(char in WIDE for char in shown)
