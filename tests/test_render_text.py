"""Untrusted text in replies: escaped, cut to its field's limit, stripped of invisible controls; the
escaping cache stays small whatever it is given."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.render import text
from bot.render.text import (
    code,
    escape_markdown,
    join_within,
    one_line,
    plain_text,
    safe_markdown,
    safe_url,
    shorten,
    strip_controls,
)


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    """Each test escapes afresh: a cache warmed by an earlier test (or by the process a mutation
    testing run forks from) would otherwise answer for the code under test."""
    text._cached_safe_markdown.cache_clear()


# One of each kind of invisible control the helpers remove.
CONTROLS = [
    "\x00", "\x08", "\x0e", "\x1b", "\x7f", "\x84", "\x86", "\x9f", "\xad", "\u061c", "\u180e",
    "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
    "\u2060", "\u2064", "\u2066", "\u2067", "\u2068", "\u2069", "\u206f", "\ufeff", "\ufff9", "\ufffb",
    "\ud800", "\udfff", "\U000e0001", "\U000e007f",
]  # fmt: skip
# Look-alikes of the same ranges' edges that are ordinary characters and stay.
KEPT = ["\xae", "\u061b", "\u2010", "\u2070", "\ufffc", "\U000e0100", "é", "👑", "\ufe0f"]


@pytest.mark.parametrize("control", CONTROLS)
def test_invisible_controls_are_removed(control: str) -> None:
    assert strip_controls(f"a{control}b") == "ab"
    assert safe_markdown(f"Max{control}Milyin", 20) == "MaxMilyin"
    assert plain_text(f"{control}Max", 20) == "Max"


@pytest.mark.parametrize("kept", KEPT)
def test_ordinary_characters_next_to_those_ranges_stay(kept: str) -> None:
    assert strip_controls(f"a{kept}b") == f"a{kept}b"


def test_bidirectional_override_cannot_reverse_a_name() -> None:
    assert safe_markdown("\u202eniylimxaM", 20) == "niylimxaM"
    assert safe_markdown("\u2067Max\u2069", 20) == "Max"


def test_whitespace_of_any_kind_folds_to_one_space() -> None:
    assert one_line("  Sonic\n\tthe\r\n\x1c\x85 Hedgehog\u2028 2 ") == "Sonic the Hedgehog 2"
    assert one_line("a \u200b b") == "a b"


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("[x](http://evil.example)", "\\[x\\](http://evil.example)"),
        ("**bold** __u__ ~~s~~", "\\*\\*bold\\*\\* \\_\\_u\\_\\_ \\~\\~s\\~\\~"),
        ("||spoiler|| `code`", "\\|\\|spoiler\\|\\| \\`code\\`"),
        ("<@123> <@&456> <#789> <t:0:R> <:e:1>", "\\<@123> \\<@&456> \\<#789> \\<t:0:R> \\<:e:1>"),
        ("back\\slash", "back\\\\slash"),
        ("# Heading", "\\# Heading"),
        ("> quote", "\\> quote"),
        ("-# small", "\\-# small"),
        ("Sonic - 2 # 3 > 4", "Sonic - 2 # 3 > 4"),
        ("@everyone (USA) 100%", "@everyone (USA) 100%"),
    ],
)  # fmt: skip
def test_markdown_is_escaped(raw: str, escaped: str) -> None:
    assert escape_markdown(raw) == escaped


def test_cuts_keep_the_limit_and_never_split_an_escape() -> None:
    assert shorten("abcdef", 6) == "abcdef"
    assert shorten("abcdefg", 6) == "abcde…"
    assert safe_markdown("abcdef", 6) == "abcdef"
    assert safe_markdown("abcdefg", 6) == "abcde…"
    # "a*b" escapes to 4 characters: the cut must not leave the backslash without its character.
    assert safe_markdown("a*bcd", 4) == "a\\*…"
    assert safe_markdown("ab*cd", 4) == "ab…"
    assert safe_markdown("a\\\\b", 4) == "a\\\\…"
    assert safe_markdown("a\\\\b", 3) == "a…"
    assert plain_text("abcdefg", 6) == "abcde…"


@given(st.text(max_size=600), st.integers(min_value=2, max_value=300))
def test_safe_markdown_is_within_its_limit_and_every_escape_is_whole(raw: str, limit: int) -> None:
    shown = safe_markdown(raw, limit)
    assert len(shown) <= limit
    assert strip_controls(shown) == shown
    assert "\n" not in shown
    body = shown.removesuffix("…")
    assert (len(body) - len(body.rstrip("\\"))) % 2 == 0


def test_code_removes_backticks_and_keeps_its_limit() -> None:
    assert code("NoSuchPlayer", 22) == "`NoSuchPlayer`"
    assert code("a`b", 22) == "`ab`"
    assert code("x" * 30, 22) == "`" + "x" * 19 + "…`"
    assert len(code("x" * 30, 22)) == 22


def test_join_within_keeps_whole_parts() -> None:
    assert join_within(["ab", "cd"], 6) == "ab, cd"
    assert join_within(["ab", "cd", "ef"], 10) == "ab, cd, ef"
    assert join_within(["ab", "cd", "ef"], 9) == "ab, cd, …"
    assert join_within(["ab", "cd", "ef"], 8) == "ab, …"
    assert join_within(["ab", "cd", "ef"], 5) == "ab, …"
    assert join_within(["ab", "cd", "ef"], 4) == "…"
    assert join_within(["abcdef"], 5) == "…"
    assert join_within(["a", "b"], 4, separator="/") == "a/b"


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://retroachievements.org/user/MaxMilyin", "https://retroachievements.org/user/MaxMilyin"),
        ("https://retroachievements.org/user/a b", "https://retroachievements.org/user/a%20b"),
        ("https://x.example/a?b=1&c=%20#d", "https://x.example/a?b=1&c=%20#d"),
        ("http://x.example/(x)", "http://x.example/%28x%29"),
        ("https://x.example/\u202eé", "https://x.example/%C3%A9"),
        ("javascript:alert(1)", None),
        ("ftp://x.example", None),
        (None, None),
        ("https://x.example/" + "a" * 2030, "https://x.example/" + "a" * 2030),
        ("https://x.example/" + "a" * 2031, None),
    ],
)
def test_urls_are_http_encoded_and_within_discords_limit(url: str | None, safe: str | None) -> None:
    assert safe_url(url) == safe


def test_the_cache_keeps_only_short_strings_and_a_bounded_number() -> None:
    cache = text._cached_safe_markdown
    cache.cache_clear()
    safe_markdown("x" * 257, 300)
    safe_markdown("y" * 100_000, 300)
    assert cache.cache_info().currsize == 0
    safe_markdown("z" * 256, 300)
    safe_markdown("Sonic", 100)
    safe_markdown("Sonic", 100)
    assert cache.cache_info().currsize == 2
    assert cache.cache_info().hits == 1
    assert cache.cache_info().maxsize == 4096
    for n in range(5000):
        safe_markdown(f"title {n}", 100)
    assert cache.cache_info().currsize == 4096
    cache.cache_clear()


def test_long_strings_are_escaped_the_same_without_the_cache() -> None:
    long = "[x](http://evil.example) " * 20
    assert safe_markdown(long, 100) == text._safe_markdown(long, 100)
    assert safe_markdown(long, 100).startswith("\\[x\\](http://evil.example) \\[x\\]")
    assert len(safe_markdown(long, 100)) == 100
