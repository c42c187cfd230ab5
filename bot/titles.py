"""Finding games by title in the catalogue: pure, in memory, fast enough for every keystroke.

Titles are compared by their `normalize`d form: case, accents, punctuation and spacing do not matter
("Pokémon: Red-Version" and "pokemon red version" are the same). A title whose article is moved to the
end ("Legend of Zelda, The: A Link to the Past") is also found under its natural order ("The Legend of
Zelda: A Link to the Past").

`TitleIndex.find` looks a title up in tiers, and the first tier with a match answers:

1. exact: the normalized title is the query;
2. prefix: the title starts with the query;
3. words: every word of the query starts a word of the title, in any order ("zelda link past");
4. close: the titles most similar to the query (a typo), if similar enough (`CLOSE_ENOUGH`).

A subset (`Title [Subset - Name]`) is left out of tiers 2-4 when its own game is a match too, so
"Pokemon Red" means the game, not its subsets. One game: found. Several: the caller lists them.
"""

from __future__ import annotations

import bisect
import difflib
import re
import unicodedata
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from bot.catalogue.model import CatalogueGame, CatalogueRow, catalogue_row

#: The least `difflib` similarity (0-1) for a typo to find a title.
CLOSE_ENOUGH = 0.8
#: Titles compared in full for a typo: those sharing the most three-letter pieces with it.
CLOSE_CANDIDATES = 40
#: The most matches one tier collects; beyond it a lookup is ambiguous anyway.
MAX_TIER_MATCHES = 200

_APOSTROPHES = re.compile("['`\u2018\u2019\u00b4]")
_NOT_WORD = re.compile(r"[\W_]+")
_SUBSET = re.compile(r"\s*\[subset\b[^\]]*\]\s*$", re.IGNORECASE)
_MOVED_ARTICLE = re.compile(r"^(?P<base>.+?), (?P<article>The|A|An)(?P<rest>(?:[:\-\u2013\[(].*)?)$")

How = Literal["exact", "prefix", "words", "close", "none"]


def normalize(text: str) -> str:
    """Lower case, no accents, no punctuation, single spaces: the form titles are compared in."""
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NOT_WORD.sub(" ", _APOSTROPHES.sub("", text.casefold())).strip()


def natural_order(title: str) -> str | None:
    """ "Legend of Zelda, The: A Link to the Past" -> "The Legend of Zelda: A Link to the Past"; None
    when the title has no article moved to the end."""
    moved = _MOVED_ARTICLE.match(title)
    if moved is None:
        return None
    return f"{moved['article']} {moved['base']}{moved['rest']}"


def base_title(title: str) -> str | None:
    """The game a subset belongs to ("Title [Subset - Bonus]" -> "Title"); None for a game."""
    stripped = _SUBSET.sub("", title)
    return stripped if stripped != title else None


def title_keys(title: str) -> tuple[str, ...]:
    """The normalized forms a title is found under: itself, and its natural order if it differs."""
    key = normalize(title)
    natural = natural_order(title)
    other = normalize(natural) if natural else ""
    return (key, other) if other and other != key else (key,)


@dataclass(frozen=True)
class Lookup:
    """What a title lookup found (best first), and by which tier; `total` counts matches not kept."""

    games: tuple[CatalogueGame, ...]
    how: How
    total: int

    @property
    def game(self) -> CatalogueGame | None:
        """The one game found, or None when none or several were."""
        return self.games[0] if len(self.games) == 1 else None


NOTHING = Lookup((), "none", 0)


def _trigrams(key: str) -> set[str]:
    padded = f"  {key} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


class TitleIndex:
    """The catalogue's games by ID and by title. Build it once per refresh (it takes a moment for
    thousands of games: build it off the event loop); `add` puts a game in without a rebuild.

    Games are kept as plain tuples and named on the way out: the garbage collector stops tracking a
    tuple of plain values, not a named tuple, so ten thousand games would lengthen its full passes."""

    def __init__(self, games: Iterable[CatalogueGame] = ()) -> None:
        self._by_id: dict[int, CatalogueRow] = {}
        self._keys_of: dict[int, tuple[str, ...]] = {}
        self._sorted: list[tuple[str, int]] = []  # (key, game_id) for every key of every game
        self._exact: dict[str, tuple[int, ...]] = {}  # tuples: unseen by the garbage collector
        self._vocabulary: list[str] = []  # every word of every key, sorted
        self._word_games: dict[str, array[int]] = {}
        self._trigram_games: dict[str, array[int]] = {}
        self._subset_of: dict[int, str] = {}  # subset game -> normalized title of its game
        for game in games:
            self._sorted.extend((key, game.game_id) for key in self._insert(game))
        self._sorted.sort()
        self._vocabulary = sorted(self._word_games)
        # Each game's place in suggestion order, so that ordering matches costs no key per comparison.
        self._rank: dict[int, int] = {
            game_id: place for place, game_id in enumerate(sorted(self._by_id, key=self._order))
        }

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, game_id: object) -> bool:
        return game_id in self._by_id

    def __iter__(self) -> Iterator[CatalogueGame]:
        return map(CatalogueGame._make, self._by_id.values())

    def get(self, game_id: int) -> CatalogueGame | None:
        row = self._by_id.get(game_id)
        return None if row is None else CatalogueGame._make(row)

    def is_title(self, text: str) -> bool:
        """Whether `text` is exactly some game's title (in normalized form)."""
        return normalize(text) in self._exact

    def add(self, game: CatalogueGame) -> None:
        """Adds a game not in the index yet (a game already there is left as it is)."""
        if game.game_id in self._by_id:
            return
        for key in self._insert(game):
            bisect.insort(self._sorted, (key, game.game_id))
        self._rank[game.game_id] = len(self._rank)  # after the games of the last build
        for word in {w for key in self._keys_of[game.game_id] for w in key.split()}:
            position = bisect.bisect_left(self._vocabulary, word)
            if position == len(self._vocabulary) or self._vocabulary[position] != word:
                self._vocabulary.insert(position, word)

    def _insert(self, game: CatalogueGame) -> tuple[str, ...]:
        """Files the game everywhere but in the two sorted lists; returns its keys."""
        game_id = game.game_id
        keys = tuple(key for key in title_keys(game.title) if key)
        self._by_id[game_id] = catalogue_row(game)
        self._keys_of[game_id] = keys
        base = base_title(game.title)
        if base is not None:
            self._subset_of[game_id] = normalize(base)
        words: set[str] = set()
        trigrams: set[str] = set()
        for key in keys:
            self._exact[key] = (*self._exact.get(key, ()), game_id)
            words.update(key.split())
            trigrams |= _trigrams(key)
        for word in words:
            self._word_games.setdefault(word, array("l")).append(game_id)
        for trigram in trigrams:
            self._trigram_games.setdefault(trigram, array("l")).append(game_id)
        return keys

    # -- lookups -------------------------------------------------------------------------------

    def find(self, text: str) -> Lookup:
        """The games `text` names, by the first tier that matches (see the module's doc)."""
        query = normalize(text)
        if not query:
            return NOTHING
        exact = self._exact.get(query)
        if exact:
            return self._lookup(list(exact), "exact")
        found = self._prefixed(query)
        if found:
            return self._lookup(self._without_covered_subsets(found), "prefix")
        found = self._by_words(query)
        if found:
            return self._lookup(self._without_covered_subsets(found), "words")
        close = self._close(query)
        return self._lookup(close, "close") if close else NOTHING

    def suggest(
        self, text: str, limit: int = 25, exclude: frozenset[int] = frozenset()
    ) -> list[CatalogueGame]:
        """Games for an autocomplete: exact titles, then titles starting with the text, then titles with
        its words, then (only when none of those) close ones; alphabetical within each, subsets last."""
        query = normalize(text)
        if not query or limit <= 0:
            return []
        chosen: dict[int, None] = {}
        # Each tier is looked at only if the ones before it left room, and only its first few matches
        # (in title order) are sorted: a keystroke stays a fraction of a millisecond.
        cap = 4 * limit
        tiers: tuple[Callable[[], list[int]], ...] = (
            lambda: list(self._exact.get(query, ())),
            lambda: self._prefixed(query, cap),
            lambda: self._by_words(query, cap),
        )
        for tier in tiers:
            for game_id in self._alphabetical(tier()):
                if game_id not in exclude:
                    chosen[game_id] = None
                if len(chosen) >= limit:
                    return self._games(chosen)
        if not chosen:
            chosen = dict.fromkeys(game_id for game_id in self._close(query) if game_id not in exclude)
        return self._games(list(chosen)[:limit])

    def starting_with(self, text: str, limit: int = 25) -> list[CatalogueGame]:
        """Games whose title starts with `text` (normalized), alphabetical, subsets last."""
        query = normalize(text)
        return self._games(self._alphabetical(self._prefixed(query))[:limit]) if query else []

    def _games(self, game_ids: Iterable[int]) -> list[CatalogueGame]:
        by_id = self._by_id
        return [CatalogueGame._make(by_id[game_id]) for game_id in game_ids]

    def _lookup(self, game_ids: list[int], how: How) -> Lookup:
        unique = list(dict.fromkeys(game_ids))
        return Lookup(tuple(self._games(self._alphabetical(unique))), how, len(unique))

    def _alphabetical(self, game_ids: list[int]) -> list[int]:
        """Games then subsets, each by title, then by console and ID (games added since the build last)."""
        return sorted(dict.fromkeys(game_ids), key=self._rank.__getitem__)

    def _order(self, game_id: int) -> tuple[bool, str, str, int]:
        console_name = CatalogueGame._make(self._by_id[game_id]).console_name
        return (game_id in self._subset_of, self._keys_of[game_id][0], console_name, game_id)

    def _prefixed(self, query: str, cap: int = MAX_TIER_MATCHES) -> list[int]:
        """Games with a key starting with `query` (at most `cap`), in key order."""
        start = bisect.bisect_left(self._sorted, (query,))
        end = bisect.bisect_left(
            self._sorted, (query + "\U0010ffff",), start, min(start + cap, len(self._sorted))
        )
        return [game_id for _, game_id in self._sorted[start:end]]

    def _by_words(self, query: str, cap: int = MAX_TIER_MATCHES) -> list[int]:
        """Games where every query word starts some word of one key (at most `cap`)."""
        words = query.split()
        ranges = [self._vocabulary_range(word) for word in words]
        if any(low == high for low, high in ranges):
            return []
        # Candidates come from the query word with the fewest vocabulary words; the others filter them.
        narrowest = min(range(len(words)), key=lambda n: ranges[n][1] - ranges[n][0])
        low, high = ranges[narrowest]
        others = [word for n, word in enumerate(words) if n != narrowest]
        seen: set[int] = set()
        found: list[int] = []
        if not others:
            for word in self._vocabulary[low:high]:
                for game_id in self._word_games[word]:
                    if game_id not in seen:
                        seen.add(game_id)
                        found.append(game_id)
                        if len(found) >= cap:
                            return found
            return found
        # The games with every other word somewhere: a quick test that spares most candidates the exact
        # one (which wants all the other words in one and the same key of the game).
        having = set.intersection(
            *(self._games_with_words(*ranges[n]) for n in range(len(words)) if n != narrowest)
        )
        for word in self._vocabulary[low:high]:
            for game_id in self._word_games[word]:
                if game_id not in having or game_id in seen:
                    continue
                seen.add(game_id)
                if self._has_words(game_id, others):
                    found.append(game_id)
                    if len(found) >= cap:
                        return found
        return found

    def _games_with_words(self, low: int, high: int) -> set[int]:
        """The games with a word of `self._vocabulary[low:high]`."""
        games: set[int] = set()
        for word in self._vocabulary[low:high]:
            games.update(self._word_games[word])
        return games

    def _has_words(self, game_id: int, words: list[str]) -> bool:
        for key in self._keys_of[game_id]:
            key_words = key.split()
            if all(any(w.startswith(word) for w in key_words) for word in words):
                return True
        return False

    def _vocabulary_range(self, prefix: str) -> tuple[int, int]:
        low = bisect.bisect_left(self._vocabulary, prefix)
        high = bisect.bisect_left(self._vocabulary, prefix + "\U0010ffff", low)
        return low, high

    def _close(self, query: str) -> list[int]:
        """The games most similar to `query`, if similar enough: all those within a hair of the best."""
        hits: Counter[int] = Counter()
        for trigram in _trigrams(query):
            postings = self._trigram_games.get(trigram)
            if postings is not None:
                hits.update(postings)
        scored: list[tuple[float, int]] = []
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(query)
        for game_id, _ in hits.most_common(CLOSE_CANDIDATES):
            best = 0.0
            for key in self._keys_of[game_id]:
                matcher.set_seq1(key)
                if matcher.real_quick_ratio() >= CLOSE_ENOUGH and matcher.quick_ratio() >= CLOSE_ENOUGH:
                    best = max(best, matcher.ratio())
            if best >= CLOSE_ENOUGH:
                scored.append((best, game_id))
        if not scored:
            return []
        top = max(score for score, _ in scored)
        return self._without_covered_subsets([game_id for score, game_id in scored if score >= top - 0.01])

    def _without_covered_subsets(self, game_ids: list[int]) -> list[int]:
        """Drops the subsets whose own game is among `game_ids`."""
        if not any(game_id in self._subset_of for game_id in game_ids):
            return game_ids
        titles = {self._keys_of[game_id][0] for game_id in game_ids if game_id not in self._subset_of}
        return [
            game_id
            for game_id in game_ids
            if game_id not in self._subset_of or self._subset_of[game_id] not in titles
        ]
