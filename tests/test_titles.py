"""Finding games by title (bot.titles) and lists of games as members type them (bot.game_items): examples,
then properties over generated lists (hypothesis)."""

from __future__ import annotations

import gc
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.catalogue.model import CatalogueGame
from bot.errors import InvalidInput
from bot.game_items import (
    CATALOGUE_LOADING,
    TitleItem,
    format_game_items,
    is_id_list,
    resolve_game_list,
    resolve_one_game,
    split_game_items,
    split_typing,
    title_starts,
    typed_ids,
)
from bot.input import parse_game_ids
from bot.sandbox.fake_catalogue import add_generated_catalogue
from bot.sandbox.fake_ra import demo_dataset
from bot.titles import TitleIndex, base_title, natural_order, normalize, title_keys
from tests.test_input import _cost

ZELDA = "Legend of Zelda, The: A Link to the Past"
GAMES = [
    CatalogueGame(1, "Sonic the Hedgehog", 1, "Genesis/Mega Drive"),
    CatalogueGame(2, "Sonic the Hedgehog 2", 1, "Genesis/Mega Drive"),
    CatalogueGame(3, "Streets of Rage 2", 1, "Genesis/Mega Drive"),
    CatalogueGame(20, "Sonic the Hedgehog", 11, "Master System"),
    CatalogueGame(30, ZELDA, 3, "SNES/Super Famicom"),
    CatalogueGame(31, "Pokémon Red Version", 4, "Game Boy"),
    CatalogueGame(32, "Pokémon Red Version [Subset - Professor Oak Challenge]", 4, "Game Boy"),
    CatalogueGame(40, "Tetris", 4, "Game Boy"),
    CatalogueGame(41, "Tetris", 7, "NES/Famicom"),
    CatalogueGame(42, "1942", 7, "NES/Famicom"),
    CatalogueGame(43, "Addams Family, The", 3, "SNES/Super Famicom"),
    CatalogueGame(44, "Mega Man X2", 3, "SNES/Super Famicom"),
    CatalogueGame(45, "Mega Man X3", 3, "SNES/Super Famicom"),
    CatalogueGame(46, "Director's Cut *Bold* [x](http://evil)", 3, "SNES/Super Famicom"),
]
INDEX = TitleIndex(GAMES)


def ids(text: str, limit: int = 50) -> list[int]:
    return resolve_game_list(text, INDEX, limit)


def refused(text: str) -> str:
    with pytest.raises(InvalidInput) as caught:
        ids(text)
    return caught.value.user_message


# -- normalizing and looking up ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("Pokémon: Red-Version", "pokemon red version"),
        ("  LEGEND of   Zelda, The ", "legend of zelda the"),
        ("Director's Cut", "directors cut"),
        ("Señor Über Café", "senor uber cafe"),
        ("3-D WorldRunner", "3 d worldrunner"),
        ("!!!", ""),
    ],
)
def test_normalize_ignores_case_accents_and_punctuation(text: str, normal: str) -> None:
    assert normalize(text) == normal


def test_an_article_moved_to_the_end_is_found_in_natural_order() -> None:
    assert natural_order(ZELDA) == "The Legend of Zelda: A Link to the Past"
    assert natural_order("Addams Family, The") == "The Addams Family"
    assert natural_order("Sonic, Knuckles") is None
    assert INDEX.find("the addams family").game == GAMES[10]


@pytest.mark.parametrize(
    ("text", "how", "found"),
    [
        ("sonic the hedgehog 2", "exact", [2]),
        ("SONIC THE HEDGEHOG", "exact", [1, 20]),  # the same title on two consoles
        ("streets", "prefix", [3]),
        ("pokemon red", "prefix", [31]),  # the game, not its subset
        ("pokemon red version subset", "prefix", [32]),
        ("zelda link past", "words", [30]),
        ("mega man x", "prefix", [44, 45]),
        ("Sonc the Hedgehg 2", "close", [2]),
        ("Streetz of Rage 2", "close", [3]),
        ("Quackshot", "none", []),
        ("", "none", []),
    ],
)
def test_find_goes_through_the_tiers(text: str, how: str, found: list[int]) -> None:
    lookup = INDEX.find(text)
    assert (lookup.how, [game.game_id for game in lookup.games]) == (how, found)


def test_suggestions_exact_then_prefix_then_words_and_subsets_last() -> None:
    assert [g.game_id for g in INDEX.suggest("sonic the hedgehog")] == [1, 20, 2]
    assert [g.game_id for g in INDEX.suggest("pokemon")] == [31, 32]
    assert [g.game_id for g in INDEX.suggest("red", exclude=frozenset({31}))] == [32]
    assert [g.game_id for g in INDEX.suggest("man x")] == [44, 45]
    assert INDEX.suggest("sonic", limit=2) == [GAMES[0], GAMES[3]]
    assert INDEX.suggest("") == []


def test_games_added_later_are_found() -> None:
    index = TitleIndex(GAMES[:3])
    index.add(CatalogueGame(99, "Zzyzx Racer", 0, "Arcade"))
    index.add(CatalogueGame(1, "Renamed", 0, "Arcade"))  # already there: left as it is
    assert [g.game_id for g in index.suggest("zzy")] == [99]
    assert index.find("zzyzx racer").how == "exact"
    assert index.get(1) == GAMES[0]
    assert index.find("racer").how == "words"


# -- lists -----------------------------------------------------------------------------------------


def test_titles_ids_and_links_in_one_list() -> None:
    assert ids('3, retroachievements.org/game/1 2; "Streets of Rage 2", sonic the hedgehog 2') == [3, 1, 2]
    assert ids(f"{ZELDA}, 1") == [30, 1]
    assert ids(f'"{ZELDA}"') == [30]
    assert ids("The Legend of Zelda: A Link to the Past; 42") == [30, 42]
    assert ids('"1942", 42, 1942') == [42, 1942]  # quoted: a title (game 42); bare: an ID
    assert ids("Addams Family, The, 2\nstreets") == [43, 2, 3]


@pytest.mark.parametrize(
    ("raw", "items"),
    [
        ('"Sonic, the Hedgehog"; 2', [TitleItem("Sonic, the Hedgehog", quoted=True), 2]),
        ("“Streets of Rage 2”, 1", [TitleItem("Streets of Rage 2", quoted=True, comma_after=True), 1]),
        ('„Tetris", 3', [TitleItem("Tetris", quoted=True, comma_after=True), 3]),  # any quote closes
        ('Zelda "A Link", 4', [TitleItem("Zelda A Link", quoted=True, comma_after=True), 4]),
        ('1, "unclosed, and; on', [1, TitleItem("unclosed, and; on", quoted=True)]),
        ('"", ;"x"', [TitleItem("x", quoted=True)]),  # empty items, quoted or not, are dropped
        ('"1942"', [TitleItem("1942", quoted=True)]),
    ],
)
def test_quotes_keep_separators_inside_one_title(raw: str, items: list[int | TitleItem]) -> None:
    assert split_game_items(raw) == items


def test_ambiguous_titles_list_the_candidates_and_say_how_to_pick() -> None:
    assert refused("1, Tetris") == (
        "`Tetris` matches 2 games. Use the ID of the one you mean (or its retroachievements.org link), or "
        "pick it from the suggestions that appear as you type.\n"
        "• Tetris · Game Boy · ID `40`\n"
        "• Tetris · NES/Famicom · ID `41`"
    )


def test_candidates_are_at_most_five_and_their_markdown_is_inert() -> None:
    index = TitleIndex([CatalogueGame(n, "Pac-Man *", n, f"Console {n}") for n in range(1, 9)])
    with pytest.raises(InvalidInput) as caught:
        resolve_game_list("pac-man *", index, 50)
    lines = caught.value.user_message.splitlines()
    assert lines[1:] == [f"• Pac-Man \\* · Console {n} · ID `{n}`" for n in range(1, 6)] + ["…and 3 more."]
    index = TitleIndex([GAMES[-1], CatalogueGame(47, "Director's Cut *Bold* [x](http://evil)", 4, "<@1>")])
    with pytest.raises(InvalidInput) as caught:
        resolve_game_list("Director's Cut", index, 50)
    assert caught.value.user_message.splitlines()[1:] == [
        "• Director's Cut \\*Bold\\* \\[x\\]\\(http\\://evil\\) · \\<\\@1\\> · ID `47`",
        "• Director's Cut \\*Bold\\* \\[x\\]\\(http\\://evil\\) · SNES/Super Famicom · ID `46`",
    ]


def test_unknown_titles_and_the_catalogue_still_loading() -> None:
    assert refused("1, Quackshot") == (
        "No RetroAchievements game is titled `Quackshot`. Check the spelling, or use the game's ID or its "
        "retroachievements.org link; titles are suggested as you type."
    )
    with pytest.raises(InvalidInput) as caught:
        resolve_game_list("streets of rage 2", TitleIndex(), 50, loading=True)
    assert caught.value.user_message == CATALOGUE_LOADING
    assert resolve_game_list("streets of rage 2", INDEX, 50, loading=True) == [3]


def test_limits_and_emptiness_are_checked_after_resolving() -> None:
    assert ids("sonic the hedgehog 2, 2, Sonic the Hedgehog 2") == [2]  # one game, however named
    with pytest.raises(InvalidInput, match="That is 3 games; one command can show at most 2"):
        ids("1, 2, streets of rage 2", limit=2)
    with pytest.raises(InvalidInput, match="Give at least one game"):
        ids(' "" , ')
    with pytest.raises(InvalidInput, match="too long to be a game's title"):
        ids("x" * 301 + ", 1")
    # More different items than allowed are refused before any is looked up (so none is reported unknown).
    with pytest.raises(InvalidInput, match="That is 60 games; one command can show at most 50"):
        ids(", ".join(f"no such title {n}" for n in range(60)))
    assert ids("addams, " * 3000) == [43]  # one title typed 3,000 times is looked up once


def test_one_game_takes_the_whole_text_as_one_title() -> None:
    assert resolve_one_game(ZELDA, INDEX) == 30
    assert resolve_one_game(" 42 ", INDEX) == 42
    assert resolve_one_game("https://retroachievements.org/game/7", INDEX) == 7
    assert resolve_one_game('"1942"', INDEX) == 42
    with pytest.raises(InvalidInput, match="is not a game ID"):
        resolve_one_game("0", INDEX)


# -- what autocomplete completes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kept", "item"),
    [
        ("", "", ""),
        ("son", "", "son"),
        ("1, 2, son", "1, 2, ", "son"),
        ("1 2 son", "1 2 ", "son"),
        ("14", "", "14"),
        ("1; Sonic the Hedgehog 2, str", "1; Sonic the Hedgehog 2, ", "str"),
        ('1, "Legend of Zelda, The: A', "1, ", "Legend of Zelda, The: A"),
        ('"Addams Family, The", tet', '"Addams Family, The", ', "tet"),
        ("1, ", "1, ", ""),
    ],
)
def test_split_typing_keeps_the_items_before_the_one_typed(typed: str, kept: str, item: str) -> None:
    assert split_typing(typed) == (kept, item)


def test_title_starts_find_the_pieces_of_a_title_with_commas() -> None:
    assert title_starts("1, Legend of Zelda, ") == [("1, ", "Legend of Zelda, ")]
    assert title_starts("Super, Mario, ") == [("", "Super, Mario, "), ("Super, ", "Mario, ")]
    assert title_starts("1; 2, ") == []
    assert title_starts("Sonic; ") == []
    assert typed_ids("3, https://retroachievements.org/game/5 x, 0, 99999999999") == frozenset({3, 5})


# -- properties ------------------------------------------------------------------------------------

separators = st.from_regex(r"[\s,;]+", fullmatch=True)
game_ids = st.integers(min_value=1, max_value=2**31 - 1)
id_tokens = game_ids.flatmap(
    lambda n: st.sampled_from(
        [str(n), f"https://retroachievements.org/game/{n}", f"retroachievements.org/game/{n}/", f"0{n}"]
    )
)
title_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters='"“”„«»'),
    min_size=1,
    max_size=40,
).filter(lambda text: bool(normalize(text)) and not is_id_list(text))


@settings(max_examples=300, deadline=None)
@given(st.lists(id_tokens, min_size=1, max_size=60), st.lists(separators, min_size=60, max_size=60))
def test_every_list_of_ids_parses_exactly_as_before(tokens: list[str], seps: list[str]) -> None:
    raw = "".join(token + sep for token, sep in zip(tokens, seps, strict=False))
    try:
        expected: list[int] | str = parse_game_ids(raw, 50)
    except InvalidInput as refusal:
        expected = refusal.user_message
    try:
        got: list[int] | str = resolve_game_list(raw, INDEX, 50)
    except InvalidInput as refusal:
        got = refusal.user_message
    assert got == expected


items = st.lists(st.one_of(game_ids, title_text.map(TitleItem)), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(items)
def test_formatted_lists_read_back_as_the_same_items(written: list[int | TitleItem]) -> None:
    read = split_game_items(format_game_items(written))
    assert [normal(item) for item in read] == [normal(item) for item in written]


def normal(item: int | TitleItem) -> int | str:
    return item if isinstance(item, int) else normalize(item.text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_resolved_or_refused_with_a_message(raw: str) -> None:
    try:
        found = resolve_game_list(raw, INDEX, 50)
    except InvalidInput as refusal:
        assert refusal.user_message
    else:
        assert found and len(found) == len(set(found)) and all(1 <= n < 2**31 for n in found)
    kept, item = split_typing(raw)
    assert raw.startswith(kept) or any(q in raw for q in '"“”„«»')
    assert len(kept) + len(item) <= len(raw)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(GAMES), min_size=1, max_size=6), st.sampled_from([", ", "; ", ",", ";\n"]))
def test_titles_separated_by_commas_or_semicolons_name_their_games(
    chosen: list[CatalogueGame], sep: str
) -> None:
    unique = [game for game in chosen if INDEX.find(game.title).game is not None]
    if not unique:
        return
    # Typed as they read: only a title that is a number needs quotes; commas in titles need none.
    raw = sep.join(f'"{game.title}"' if is_id_list(game.title) else game.title for game in unique)
    assert resolve_game_list(raw, INDEX, 50) == list(dict.fromkeys(game.game_id for game in unique))


# -- suggestions over a generated catalogue, against their definition --------------------------------

GENERATED = demo_dataset()
add_generated_catalogue(GENERATED, games=1500, seed=3)
CATALOGUE = [
    CatalogueGame(g.game_id, g.title, g.console_id, g.console_name)
    for g in GENERATED.games.values()
    if g.achievements > 0
]
BIG_INDEX = TitleIndex(CATALOGUE)
KEYS = {game.game_id: [key for key in title_keys(game.title) if key] for game in CATALOGUE}


def suggestion_order(game: CatalogueGame) -> tuple[bool, str, str, int]:
    """Games then subsets, each by title, then by console and ID."""
    return (base_title(game.title) is not None, KEYS[game.game_id][0], game.console_name, game.game_id)


def suggested_by_definition(text: str, limit: int, exclude: frozenset[int]) -> list[int] | None:
    """Exact titles, then titles starting with the text, then titles with a word starting with each of its
    words (all in one form of the title), each tier in suggestion order; None when a tier has more matches
    than `suggest` looks at, or none matches (close titles are another test's)."""
    query = normalize(text)
    words = query.split()
    tiers = [
        [g for g in CATALOGUE if query in KEYS[g.game_id]],
        [g for g in CATALOGUE if any(key.startswith(query) for key in KEYS[g.game_id])],
        [
            g
            for g in CATALOGUE
            if any(
                all(any(w.startswith(word) for w in key.split()) for word in words) for key in KEYS[g.game_id]
            )
        ],
    ]
    if not query or any(len(tier) > 4 * limit for tier in tiers) or not any(tiers):
        return None
    chosen: dict[int, None] = {}
    for tier in tiers:
        for game in sorted(tier, key=suggestion_order):
            if game.game_id not in exclude:
                chosen[game.game_id] = None
    return list(chosen)[:limit]


def typed_from_titles() -> st.SearchStrategy[str]:
    """What a member types: a prefix of a title, or a few of its words, each cut short, in any order."""
    title = st.sampled_from([game.title for game in CATALOGUE])
    prefix = st.tuples(title, st.integers(1, 40)).map(lambda pair: pair[0][: pair[1]])
    words = st.tuples(title, st.randoms(use_true_random=False)).map(
        lambda pair: (
            " ".join(
                word[: pair[1].randint(1, len(word))]
                for word in pair[1].sample(normalize(pair[0]).split(), pair[1].randint(1, 3))
            )
            if len(normalize(pair[0]).split()) >= 3
            else pair[0]
        )
    )
    return st.one_of(prefix, words)


@settings(max_examples=300, deadline=None)
@given(typed_from_titles(), st.sampled_from([1, 5, 25]), st.sets(st.sampled_from(sorted(KEYS)), max_size=3))
def test_suggestions_over_a_catalogue_follow_their_definition(
    typed: str, limit: int, excluded: set[int]
) -> None:
    expected = suggested_by_definition(typed, limit, frozenset(excluded))
    if expected is not None:
        suggested = BIG_INDEX.suggest(typed, limit, frozenset(excluded))
        assert [game.game_id for game in suggested] == expected


@pytest.mark.parametrize(
    "build",
    [
        lambda n: ", ;" * n + "x",  # separators around nothing
        lambda n: '", ;' * n + "x",  # quotes and separators: a quoted item each time
        lambda n: "sonic, " * n,  # the same title over and over
    ],
    ids=["separators", "quotes and separators", "repeated title"],
)
def test_resolving_a_list_is_linear_in_its_length(build: Callable[[int], str]) -> None:
    """As `tests/test_input.py` does for the other parsers: 100x the input costs far less than 10,000x
    the work (a quadratic step would), compared in one run on one machine."""
    short, long = build(20), build(2000)

    def resolve(raw: str) -> object:
        return resolve_game_list(raw, INDEX, 50)

    ratio = _cost(resolve, long) / max(_cost(resolve, short), 1e-7)
    assert ratio < 1000, f"{ratio:.0f}x the work for 100x the input"


def test_the_index_keeps_its_games_out_of_the_garbage_collectors_sight() -> None:
    """Ten thousand tracked games would lengthen every full collection while members type."""
    games = [CatalogueGame(n, f"Untracked Quest {n}", 1, "Genesis/Mega Drive") for n in range(1, 200)]
    index = TitleIndex(games)
    del games
    gc.collect()  # plain tuples of plain values stop being tracked at their first collection
    tracked = [o for o in gc.get_objects() if isinstance(o, tuple) and "Untracked Quest 7" in o]
    assert tracked == []
    assert index.get(7) == CatalogueGame(7, "Untracked Quest 7", 1, "Genesis/Mega Drive")
    assert [game.game_id for game in index.suggest("untracked quest 7", 3)] == [7, 70, 71]
