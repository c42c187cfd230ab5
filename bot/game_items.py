"""Lists of games as members type them: IDs, game page links and titles. Pure; raises only InvalidInput.

The syntax, in the order it is applied:

1. A list of only IDs and links parses exactly as before titles existed: items separated by commas,
   semicolons or spaces (`1, 2 3;https://retroachievements.org/game/4`).
2. Otherwise items are separated by commas, semicolons or new lines. An item made only of IDs and links
   is those games (`1 2, Sonic` is games 1 and 2, then a title); any other item is a title.
3. Double quotes keep a title whole, commas and semicolons included, and make it a title even if it looks
   like a number: `"Legend of Zelda, The: A Link to the Past", "1942"`.
4. Unquoted, a title with commas still works when it is a whole title: pieces that together make a
   catalogue title exactly are that one game (`Legend of Zelda, The: A Link to the Past, 1`).

A number alone is always a game ID and a link always its game, so every list that parsed before still
parses the same way. Work is linear in the input: it is bounded before any pattern or lookup sees it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.catalogue.model import CatalogueGame
from bot.errors import InvalidInput
from bot.i18n.language import N_, Joined, joined, msg, msg_n
from bot.input import MAX_GAME_TOKEN, parse_game_ids, parse_game_token, quote, split_list, too_many_games
from bot.patterns import GAME_URL
from bot.titles import Lookup, TitleIndex, normalize

#: Longer than any real title (the longest are about 150 characters).
MAX_TITLE = 300
#: Candidates listed when a title matches several games.
MAX_CANDIDATES = 5
#: The most commas one title may hold when typed without quotes (real ones have one or two).
MAX_COMMAS_IN_TITLE = 4
QUOTES = frozenset('"“”„«»')
SEPARATORS = frozenset(",;\n")
CATALOGUE_LOADING = N_(
    "The bot is still fetching the list of RetroAchievements games, so it cannot look every title up yet: "
    "use game IDs or game page links for now (a game's ID is the number at the end of its page's address "
    "on retroachievements.org)."
)
_HOW_TO_PICK = msg(
    "Use the ID of the one you mean (or its retroachievements.org link), or pick it from the suggestions "
    "that appear as you type."
)
_SEPARATOR = re.compile("([,;\n])")
_MARKDOWN = re.compile(r"([\\*_~`|>\[\]()#<@:])")


@dataclass(frozen=True)
class TitleItem:
    """A title as typed: `quoted` if it was in quotes; `comma_after` if a comma (not a semicolon, new line
    or the end) follows it, so that it may be one piece of a title with commas."""

    text: str
    quoted: bool = False
    comma_after: bool = False


GameItem = int | TitleItem


@dataclass(frozen=True)
class Piece:
    """What lies between two separators: its text (quotes removed), whether any of it was quoted, and the
    separator after it ("" at the end)."""

    text: str
    quoted: bool
    separator: str


def is_id_token(token: str) -> bool:
    """A number or a game page link: an ID, whether or not it is in range (`parse_game_token` says)."""
    if token.isascii() and token.isdigit():
        return True
    return len(token) <= MAX_GAME_TOKEN and GAME_URL.fullmatch(token) is not None


def is_id_list(raw: str) -> bool:
    """Whether `raw` is a list as lists were before titles: only IDs and links."""
    return all(is_id_token(token) for token in split_list(raw))


def pieces(raw: str) -> list[Piece]:
    """`raw` cut at commas, semicolons and new lines outside quotes. A quote opens or closes a quoted
    stretch (an unclosed one runs to the end); the quote marks themselves are dropped."""
    if not any(quote in raw for quote in QUOTES):
        parts = _SEPARATOR.split(raw)
        parts.append("")
        return [Piece(parts[n].strip(), False, parts[n + 1]) for n in range(0, len(parts) - 1, 2) if parts[n]]
    found: list[Piece] = []
    text: list[str] = []
    quoted = inside = False
    for char in raw:
        if char in QUOTES:
            inside = not inside
            quoted = True
        elif char in SEPARATORS and not inside:
            found.append(Piece("".join(text).strip(), quoted, char))
            text, quoted = [], False
        else:
            text.append(char)
    found.append(Piece("".join(text).strip(), quoted, ""))
    return found


def split_game_items(raw: str) -> list[GameItem]:
    """The items of a list in the order typed: IDs (as ints) and titles. Empty items are dropped."""
    if is_id_list(raw):
        return [parse_game_token(token) for token in split_list(raw)]
    items: list[GameItem] = []
    for piece in pieces(raw):
        words = piece.text.split()
        if not words:
            continue
        if not piece.quoted and all(is_id_token(word) for word in words):
            items.extend(parse_game_token(word) for word in words)
        elif len(piece.text) > MAX_TITLE:
            raise InvalidInput(msg("{text} is too long to be a game's title.", text=quote(piece.text)))
        else:
            items.append(TitleItem(piece.text, piece.quoted, piece.separator == ","))
    return items


def format_game_items(items: list[GameItem]) -> str:
    """A list that `split_game_items` reads back as `items` (titles compared in normalized form)."""
    parts = []
    for item in items:
        if isinstance(item, int):
            parts.append(str(item))
            continue
        text = "".join(char for char in item.text if char not in QUOTES)
        plain = not any(char in SEPARATORS for char in text) and not is_id_list(text)
        parts.append(text if plain else f'"{text}"')
    return ", ".join(parts)


# -- resolving titles ---------------------------------------------------------------------------------


def resolve_game_list(raw: str, index: TitleIndex, limit: int, *, loading: bool = False) -> list[int]:
    """Game IDs for what the member typed, duplicates dropped, order kept; titles looked up in `index`
    (`loading`: it is still being filled, so a title it lacks may exist).

    A list of only IDs and links is parsed exactly as `bot.input.parse_game_ids` parses it."""
    if is_id_list(raw):
        return parse_game_ids(raw, limit)
    items = _joined(split_game_items(raw), index)
    distinct = dict.fromkeys(item if isinstance(item, int) else normalize(item.text) for item in items)
    if len(distinct) > limit:  # refused before any title is looked up: lookups are the costly part
        raise InvalidInput(too_many_games(len(distinct), limit))
    titles: dict[str, int] = {}
    ids: list[int] = []
    for item in items:
        if isinstance(item, int):
            ids.append(item)
            continue
        key = normalize(item.text)
        if key not in titles:
            titles[key] = resolve_title(item.text, index, loading=loading).game_id
        ids.append(titles[key])
    return _checked(list(dict.fromkeys(ids)), limit)


def resolve_one_game(raw: str, index: TitleIndex, *, loading: bool = False) -> int:
    """One game: an ID, a link, or a title (commas and all: the whole text is one title)."""
    text = raw.strip()
    if is_id_list(text):
        return parse_game_ids(text, 1)[0]
    title = "".join(char for char in text if char not in QUOTES)
    return resolve_title(title, index, loading=loading).game_id


def resolve_title(text: str, index: TitleIndex, *, loading: bool = False) -> CatalogueGame:
    """The one game a title names, or InvalidInput saying there is none, or listing the candidates."""
    if len(text) > MAX_TITLE:
        raise InvalidInput(msg("{text} is too long to be a game's title.", text=quote(text)))
    lookup = index.find(text)
    if lookup.game is not None:
        return lookup.game
    if not lookup.games:
        if loading:
            raise InvalidInput(CATALOGUE_LOADING)
        raise InvalidInput(
            msg(
                "No RetroAchievements game is titled {text}. Check the spelling, or use the game's ID "
                "or its retroachievements.org link; titles are suggested as you type.",
                text=quote(text),
            )
        )
    raise InvalidInput(ambiguous(text, lookup))


def ambiguous(text: str, lookup: Lookup) -> Joined:
    """The refusal for a title that names several games: up to MAX_CANDIDATES of them, and what to do."""
    lines: list[Joined | str] = [
        joined(
            msg_n("{text} matches {n} game.", "{text} matches {n} games.", lookup.total, text=quote(text)),
            _HOW_TO_PICK,
            separator=" ",
        )
    ]
    for game in lookup.games[:MAX_CANDIDATES]:
        console = escape(game.console_name) if game.console_name else msg("unknown console")
        lines.append(joined("• ", escape(game.title), " · ", console, f" · ID `{game.game_id}`"))
    if lookup.total > MAX_CANDIDATES:
        more = lookup.total - MAX_CANDIDATES
        lines.append(joined(msg_n("…and {n} more.", "…and {n} more.", more)))
    return joined(*lines, separator="\n")


def escape(text: str, limit: int = 100) -> str:
    """Text from RetroAchievements on one line, shortened, with Markdown and mentions made inert."""
    folded = " ".join(text.split())
    if len(folded) > limit:
        folded = folded[: limit - 1] + "…"
    return _MARKDOWN.sub(r"\\\1", folded)


def _joined(items: list[GameItem], index: TitleIndex) -> list[GameItem]:
    """Unquoted titles separated by commas joined back where together they are exactly one title: the
    longest run wins ("Legend of Zelda", "The: A Link to the Past" -> one title)."""
    joined: list[GameItem] = []
    position = 0
    while position < len(items):
        item = items[position]
        end = position + 1
        if isinstance(item, TitleItem) and not item.quoted:
            run = position
            while run < min(len(items) - 1, position + MAX_COMMAS_IN_TITLE):
                current, following = items[run], items[run + 1]
                if not (isinstance(current, TitleItem) and current.comma_after):
                    break
                if not isinstance(following, TitleItem) or following.quoted:
                    break
                run += 1
            for last in range(run, position, -1):
                text = ", ".join(
                    str(part.text) for part in items[position : last + 1] if isinstance(part, TitleItem)
                )
                if index.is_title(text):
                    item, end = TitleItem(text), last + 1
                    break
        joined.append(item)
        position = end
    return joined


def _checked(ids: list[int], limit: int) -> list[int]:
    if not ids:
        raise InvalidInput(
            msg(
                "Give at least one game: a game ID such as {example_id}, a game page link such as "
                "{example_link}, or a title.",
                example_id="`1446`",
                example_link="https://retroachievements.org/game/1446",
            )
        )
    if len(ids) > limit:
        raise InvalidInput(too_many_games(len(ids), limit))
    return ids


# -- the item being typed, for autocomplete ----------------------------------------------------------


def split_typing(typed: str) -> tuple[str, str]:
    """(what is kept, the item being typed). The item starts after the last separator outside quotes (or
    after an unclosed quote); IDs and links at its start are kept too, as they are items of their own."""
    cut = 0
    inside = False
    for position, char in enumerate(typed):
        if char in QUOTES:
            inside = not inside
            if inside:
                cut = position
        elif char in SEPARATORS and not inside:
            cut = position + 1
    head, tail = typed[:cut], typed[cut:]
    if tail[:1] in QUOTES and tail:
        return head, tail[1:]
    for token in tail.split()[:-1]:
        if not is_id_token(token):
            break
        end = tail.index(token) + len(token)
        head, tail = head + tail[:end], tail[end:]
    stripped = tail.lstrip()
    return head + tail[: len(tail) - len(stripped)], stripped


def title_starts(head: str) -> list[tuple[str, str]]:
    """For a title with commas being typed: (what is kept, the earlier pieces of the title) for each
    comma-separated run of titles at the end of `head`, longest first. Head "1, Legend of Zelda, "
    gives [("1, ", "Legend of Zelda, ")]."""
    stripped = head.rstrip()
    if not stripped.endswith(","):
        return []
    starts: list[tuple[str, str]] = []
    comma = len(stripped) - 1
    for _ in range(MAX_COMMAS_IN_TITLE):
        previous = max(head.rfind(separator, 0, comma) for separator in SEPARATORS)
        piece = head[previous + 1 : comma]
        words = piece.split()
        if not words or any(char in QUOTES for char in piece) or all(is_id_token(w) for w in words):
            break
        start = previous + 1 + (len(piece) - len(piece.lstrip()))
        starts.append((head[:start], head[start:]))
        if previous < 0 or head[previous] != ",":
            break
        comma = previous
    return starts[::-1]


def typed_ids(head: str) -> frozenset[int]:
    """The IDs and links among the items kept, so that suggestions leave them out."""
    ids = set()
    for token in split_list(head):
        if is_id_token(token):
            try:
                ids.add(parse_game_token(token))
            except InvalidInput:
                continue
    return frozenset(ids)
