"""A player's games through the wire: RAClient against the fake RetroAchievements on 127.0.0.1, the
fake's own answers as the reference describes them, and beaten marks read a page at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from redis.asyncio import Redis

from bot.errors import RAInvalidRequest, RAUnavailable
from bot.ra.client import RAClient
from bot.ra.models import GameInfo, GameProgress
from bot.ra.player_games import AwardKind, CompletionPage, RecentGame
from bot.ra.redis_backend import RedisRateLimiter, RedisResponseStore
from bot.reports import GameEntry
from bot.reports.player_games import MAX_COMPLETION_PAGES, beaten_games, gather_recent_report
from bot.sandbox.fake_ra import Dataset, FakeRA, demo_dataset
from tests.test_ra_client import KEY, fast_options
from tests.test_ra_redis import redis_namespace

RECENT = "API_GetUserRecentlyPlayedGames"
COMPLETION = "API_GetUserCompletionProgress"
MAX_ULID = "00003EMFWR7XB8SDPEHB3K56ZQ"
MakeClient = Callable[..., RAClient]


@pytest.fixture
async def fake() -> AsyncIterator[FakeRA]:
    server = FakeRA(demo_dataset(), api_key=KEY)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def make_client(fake: FakeRA) -> AsyncIterator[MakeClient]:
    clients: list[RAClient] = []

    def make(**overrides: Any) -> RAClient:
        client = RAClient(fast_options(fake.base_url, **overrides))
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


@asynccontextmanager
async def serving(data: Dataset) -> AsyncIterator[tuple[FakeRA, RAClient]]:
    async with FakeRA(data, api_key=KEY) as fake, RAClient(fast_options(fake.base_url)) as client:
        yield fake, client


def game(
    game_id: int, title: str, console: str, progress: tuple[int, ...], icon: str | None = None
) -> RecentGame:
    return RecentGame(
        GameInfo(game_id, title, console, icon or f"/Images/{game_id:06d}.png"),
        GameProgress(game_id, *progress),
    )


MAX_RECENT = (
    game(1, "Sonic the Hedgehog", "Genesis/Mega Drive", (23, 251, 23, 251, 23, 251), "/Images/085573.png"),
    game(2, "Sonic the Hedgehog 2", "Genesis/Mega Drive", (35, 400, 20, 210, 12, 130)),
    game(3, "Streets of Rage 2", "Genesis/Mega Drive", (30, 350, 30, 350, 25, 290)),
    game(5, "Pixel Quest", "SNES/Super Famicom", (40, 500, 10, 120, 10, 120)),
    game(6, "Turbo Racer 64", "Nintendo 64", (25, 300, 25, 300, 0, 0)),
    game(7, "Castle of Shadows", "NES/Famicom", (18, 220, 3, 30, 1, 10)),
    game(9, "Dungeon Delve Advance", "Game Boy Advance", (60, 750, 60, 750, 60, 750)),
    game(11, "Neon Fighter", "PlayStation", (45, 600, 1, 5, 0, 0)),
)


def many_games(count: int, *, beaten_at: int | None = None) -> Dataset:
    """A player, Many, with `count` games of 10 achievements, 3 unlocked each, played in ID order (game
    1 last); game `beaten_at` (its place from the most recent) is beaten in hardcore."""
    data = Dataset()
    for game_id in range(1, count + 1):
        data.add_game(game_id, f"Game {game_id}", "NES/Famicom", 10, 100, console_id=7)
    awards = {beaten_at: "beaten-hardcore"} if beaten_at is not None else {}
    data.add_user("Many", {game_id: (3, 30, 3, 30) for game_id in range(1, count + 1)}, awards=awards)
    return data


# -- the client ---------------------------------------------------------------------------------------


async def test_recently_played_most_recent_first_with_progress(fake: FakeRA, make_client: MakeClient) -> None:
    games = await make_client().get_user_recently_played("MaxMilyin", 10)
    assert games == MAX_RECENT
    assert [r.params for r in fake.requests] == [{"y": KEY, "u": "MaxMilyin", "c": "10"}]


async def test_recently_played_by_ulid_with_string_numbers(fake: FakeRA, make_client: MakeClient) -> None:
    fake.string_numbers = True
    assert await make_client().get_user_recently_played(MAX_ULID, 3) == MAX_RECENT[:3]


async def test_recently_played_count_is_kept_within_1_to_50(fake: FakeRA, make_client: MakeClient) -> None:
    client = make_client()
    assert await client.get_user_recently_played("MaxMilyin", 0) == MAX_RECENT[:1]
    assert await client.get_user_recently_played("MaxMilyin", 80) == MAX_RECENT
    assert [r.params["c"] for r in fake.requests] == ["1", "50"]
    assert client.peek_user_recently_played("MaxMilyin", -3) == MAX_RECENT[:1]
    assert client.peek_user_recently_played("MaxMilyin", 51) == MAX_RECENT
    assert client.peek_user_recently_played("MaxMilyin", 2) is None


async def test_an_unknown_player_has_played_nothing(fake: FakeRA, make_client: MakeClient) -> None:
    assert await make_client().get_user_recently_played("NoSuchPlayer", 10) == ()
    assert fake.count(RECENT) == 1


async def test_recently_played_is_cached_and_can_be_peeked_without_io(
    fake: FakeRA, make_client: MakeClient
) -> None:
    client = make_client()
    assert client.peek_user_recently_played("MaxMilyin", 10) is None
    first = await client.get_user_recently_played("MaxMilyin", 10)
    assert await client.get_user_recently_played("maxmilyin", 10) == first
    assert client.peek_user_recently_played("MAXMILYIN", 10) == first
    assert client.peek_user_recently_played("MaxMilyin", 5) is None  # another question
    assert fake.count() == 1
    assert client.stats.cache_hits == 2  # the second call and the peek


async def test_recently_played_expires_like_progress(fake: FakeRA, make_client: MakeClient) -> None:
    client = make_client(cache_progress_seconds=0)
    await client.get_user_recently_played("MaxMilyin", 10)
    await client.get_user_recently_played("MaxMilyin", 10)
    assert fake.count(RECENT) == 2
    assert client.peek_user_recently_played("MaxMilyin", 10) is None


async def test_a_bad_name_is_refused_before_any_request(fake: FakeRA, make_client: MakeClient) -> None:
    client = make_client()
    with pytest.raises(RAInvalidRequest):
        await client.get_user_recently_played("bad name", 10)
    with pytest.raises(RAInvalidRequest):
        await client.get_user_completion_page("x")
    assert fake.requests == []


async def test_completion_page_lists_games_over_5_achievements_most_recent_first(
    fake: FakeRA, make_client: MakeClient
) -> None:
    page = await make_client().get_user_completion_page("MaxMilyin")
    assert page == CompletionPage(
        offset=0,
        total=8,
        rows=8,
        awards={
            1: AwardKind.MASTERED,
            2: AwardKind.BEATEN_HARDCORE,
            3: AwardKind.COMPLETED,
            5: None,
            6: AwardKind.COMPLETED,
            7: None,
            9: AwardKind.MASTERED,
            11: None,
        },
    )
    assert list(page.awards) == [1, 2, 3, 5, 6, 7, 9, 11]
    assert [r.params for r in fake.requests] == [{"y": KEY, "u": "MaxMilyin", "c": "500", "o": "0"}]


async def test_completion_of_an_unknown_player_is_an_empty_page(make_client: MakeClient) -> None:
    assert await make_client().get_user_completion_page("NoSuchPlayer") == CompletionPage(0, 0, 0, {})


async def test_completion_pages_are_cached_each_on_its_own() -> None:
    async with serving(many_games(1200)) as (fake, client):
        first = await client.get_user_completion_page("Many")
        third = await client.get_user_completion_page("many", 1000)
        assert await client.get_user_completion_page("MANY") == first
    assert (first.rows, first.total, first.has_more, first.next_offset) == (500, 1200, True, 500)
    assert list(first.awards)[:3] == [1, 2, 3]
    assert (third.rows, third.has_more, list(third.awards)[-1]) == (200, False, 1200)
    assert [r.params["o"] for r in fake.requests] == ["0", "1000"]


async def test_a_completion_answer_of_the_wrong_shape_is_unavailable(
    fake: FakeRA, make_client: MakeClient
) -> None:
    fake.fail_next(COMPLETION, "json", body={"success": False})
    fake.fail_next(RECENT, "json", body=[{"GameID": 0, "Title": "x"}])
    client = make_client()
    with pytest.raises(RAUnavailable):
        await client.get_user_completion_page("MaxMilyin")
    with pytest.raises(RAUnavailable):
        await client.get_user_recently_played("MaxMilyin", 10)
    assert fake.count() == 2  # a wrong shape is not retried


async def test_a_shared_redis_cache_stores_both_answers(fake: FakeRA) -> None:
    async with redis_namespace() as (redis, namespace):
        first, second = redis_client(fake, redis, namespace), redis_client(fake, redis, namespace)
        try:
            games = await first.get_user_recently_played("MaxMilyin", 10)
            page = await first.get_user_completion_page("MaxMilyin")
            assert await second.get_user_recently_played("MaxMilyin", 10) == games == MAX_RECENT
            assert await second.get_user_completion_page("MaxMilyin") == page
            assert second.peek_user_recently_played("MaxMilyin", 10) is None  # Redis: never without I/O
        finally:
            await first.close()
            await second.close()
    assert fake.count() == 2


def redis_client(fake: FakeRA, redis: Redis, namespace: str) -> RAClient:
    options = fast_options(fake.base_url)
    limiter = RedisRateLimiter(redis, f"{namespace}ratelimit", options.requests_per_second, options.burst)
    return RAClient(options, store=RedisResponseStore(redis, namespace=namespace), limiter=limiter)


# -- beaten marks, a page at a time -------------------------------------------------------------------


def played(game_ids: range | list[int]) -> dict[int, GameProgress]:
    return {game_id: GameProgress(game_id, 10, 100, 3, 30, 3, 30) for game_id in game_ids}


@pytest.mark.parametrize(
    ("beaten_at", "asked", "pages"),
    [
        (2, [2, 3], 1),  # both on the first page
        (700, [700], 2),
        (1100, [1100, 5], 3),
        (None, [1150], 3),  # not beaten: every page up to the one that lists it
    ],
)
async def test_completion_is_read_only_as_far_as_the_games_asked(
    beaten_at: int | None, asked: list[int], pages: int
) -> None:
    async with serving(many_games(1200, beaten_at=beaten_at)) as (fake, client):
        marks = await beaten_games(client, "Many", played(asked))
    assert marks == ({beaten_at: AwardKind.BEATEN_HARDCORE} if beaten_at else {})
    assert [r.params["o"] for r in fake.requests] == [str(500 * n) for n in range(pages)]


async def test_no_request_when_no_game_could_be_beaten(fake: FakeRA, make_client: MakeClient) -> None:
    progress = {
        1: GameProgress(1, 23, 251, 23, 251, 23, 251),  # mastered
        4: GameProgress(4, 5, 50, 3, 30, 0, 0),  # 5 achievements: never listed
        8: GameProgress(8, 12, 150, 0, 0, 0, 0),  # never played
    }
    assert await beaten_games(make_client(), "MaxMilyin", progress) == {}
    assert fake.requests == []


async def test_a_first_page_fetched_beforehand_is_used(fake: FakeRA, make_client: MakeClient) -> None:
    first = CompletionPage(0, 3, 3, {2: None, 5: AwardKind.BEATEN_SOFTCORE, 7: None})
    marks = await beaten_games(make_client(), "MaxMilyin", played([2, 5, 7]), first)
    assert marks == {5: AwardKind.BEATEN_SOFTCORE}
    assert fake.requests == []


async def test_the_recently_played_report(fake: FakeRA, make_client: MakeClient) -> None:
    report = await gather_recent_report(make_client(), "MaxMilyin", 3)
    assert (report.profile.user, report.recently_played) == ("MaxMilyin", True)
    assert report.entries == (
        GameEntry(1, MAX_RECENT[0].info, MAX_RECENT[0].progress),
        GameEntry(2, MAX_RECENT[1].info, MAX_RECENT[1].progress, AwardKind.BEATEN_HARDCORE),
        GameEntry(3, MAX_RECENT[2].info, MAX_RECENT[2].progress),
    )
    assert sorted(r.endpoint for r in fake.requests) == [COMPLETION, "API_GetUserProfile", RECENT]
    assert next(r.params["c"] for r in fake.requests if r.endpoint == RECENT) == "3"


async def test_reading_stops_after_the_most_pages_whatever_the_total() -> None:
    async with serving(many_games(5600, beaten_at=5550)) as (fake, client):
        assert await beaten_games(client, "Many", played([5550])) == {}
    assert fake.count(COMPLETION) == MAX_COMPLETION_PAGES


async def test_a_beaten_award_on_a_game_completed_since_gives_no_mark() -> None:
    data = many_games(3)
    data.users["many"].awards = {2: "beaten-softcore", 3: "beaten-softcore"}
    progress = {**played([2]), 3: GameProgress(3, 10, 100, 10, 100, 3, 30)}  # 3: all 10 unlocked now
    async with serving(data) as (_, client):
        assert await beaten_games(client, "Many", progress) == {2: AwardKind.BEATEN_SOFTCORE}


# -- the fake, as the reference says ------------------------------------------------------------------


async def ask(fake: FakeRA, endpoint: str, **params: str) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{fake.base_url}/API/{endpoint}.php", params={"y": KEY, **params}) as response,
    ):
        return response.status, await response.json()


def invalid(field: str, message: str, *more: tuple[str, str]) -> tuple[int, Any]:
    errors = {field: [message], **{name: [text] for name, text in more}}
    extra = f" (and {len(more)} more error{'s' if len(more) > 1 else ''})" if more else ""
    return 422, {"message": message + extra, "errors": errors}


async def test_the_fakes_recently_played_rows_are_shaped_like_rawebs(fake: FakeRA) -> None:
    status, body = await ask(fake, RECENT, u="Scott", c="1")
    assert status == 200
    assert body == [
        {
            "GameID": 1,
            "ConsoleID": 1,
            "ConsoleName": "Genesis/Mega Drive",
            "Title": "Sonic the Hedgehog",
            "ImageIcon": "/Images/085573.png",
            "ImageTitle": "/Images/000001_title.png",
            "ImageIngame": "/Images/000001_ingame.png",
            "ImageBoxArt": "/Images/000001_box.png",
            "LastPlayed": "2024-06-01 12:00:00",
            "AchievementsTotal": 23,
            "NumPossibleAchievements": 23,
            "PossibleScore": 251,
            "NumAchieved": 23,
            "ScoreAchieved": 251,
            "NumAchievedHardcore": 0,
            "ScoreAchievedHardcore": 0,
        }
    ]


async def test_the_fakes_completion_rows_are_shaped_like_rawebs(fake: FakeRA) -> None:
    status, body = await ask(fake, COMPLETION, u="Scott", c="1", o="3")
    assert status == 200
    assert body == {
        "Count": 1,
        "Total": 4,
        "Results": [
            {
                "GameID": 12,
                "Title": "Ocean Odyssey",
                "ImageIcon": "/Images/000012.png",
                "ConsoleID": 3,
                "ConsoleName": "SNES/Super Famicom",
                "MaxPossible": 50,
                "NumAwarded": 12,
                "NumAwardedHardcore": 6,
                "MostRecentAwardedDate": "2024-06-01T09:00:00+00:00",
                "HighestAwardKind": "beaten-softcore",
                "HighestAwardDate": "2024-06-01T09:00:00+00:00",
            }
        ],
    }


def dated_dataset() -> Dataset:
    """Played out of `progress` order; a hub, an event, a 5-achievement game and an unplayed one."""
    data = Dataset()
    data.add_game(1, "Early", "NES/Famicom", 10, 100, console_id=7)
    data.add_game(2, "Latest", "NES/Famicom", 10, 100, console_id=7)
    data.add_game(3, "Middle", "NES/Famicom", 6, 60, console_id=7)
    data.add_game(4, "Small", "NES/Famicom", 5, 50, console_id=7)
    data.add_game(5, "Untouched", "NES/Famicom", 10, 100, console_id=7)
    data.add_game(100, "[Hub] Series", "Hubs", 0, 0, console_id=100)
    data.add_game(101, "Achievement of the Week", "Events", 52, 52, console_id=101)
    progress = {1: (1, 10, 0, 0), 2: (2, 20, 2, 20), 3: (6, 60, 6, 60), 4: (5, 50, 0, 0), 5: (0, 0, 0, 0)}
    data.add_user(
        "Dated",
        {**progress, 100: (0, 0, 0, 0), 101: (3, 3, 3, 3)},
        last_played={1: "2023-01-01 00:00:00", 2: "2025-03-03 10:00:00", 3: "2024-02-02 00:00:00"},
    )
    return data


async def test_the_fake_orders_by_last_played_and_leaves_hubs_and_events_out() -> None:
    async with FakeRA(dated_dataset(), api_key=KEY) as fake:
        _, recent = await ask(fake, RECENT, u="Dated")
        _, completion = await ask(fake, COMPLETION, u="Dated")
    assert [(row["GameID"], row["LastPlayed"]) for row in recent] == [
        (2, "2025-03-03 10:00:00"),
        (4, "2024-06-01 09:00:00"),  # no date given: an hour per place in `progress`
        (5, "2024-06-01 08:00:00"),
        (3, "2024-02-02 00:00:00"),
        (1, "2023-01-01 00:00:00"),
    ]
    assert [(row["GameID"], row["HighestAwardKind"]) for row in completion["Results"]] == [
        (2, None),
        (3, "mastered"),
        (1, None),
    ]
    assert (completion["Count"], completion["Total"]) == (3, 3)


async def test_the_fake_caps_recently_played_at_50_and_pages_with_o() -> None:
    async with FakeRA(many_games(60), api_key=KEY) as fake:
        assert len((await ask(fake, RECENT, u="Many", c="80"))[1]) == 50
        assert len((await ask(fake, RECENT, u="Many"))[1]) == 10
        assert [row["GameID"] for row in (await ask(fake, RECENT, u="Many", c="3", o="57"))[1]] == [
            58,
            59,
            60,
        ]
        assert await ask(fake, RECENT, u="Many", c="0") == (200, [])
        assert await ask(fake, RECENT, u="Many", c="") == (200, [])  # RAWeb: (int) null is 0
        assert (await ask(fake, RECENT, u="Many", c="+2"))[1][1]["GameID"] == 2
        page = (await ask(fake, COMPLETION, u="Many", c="500", o="55"))[1]
        assert (page["Count"], page["Total"], page["Results"][0]["GameID"]) == (5, 60, 56)
        assert len((await ask(fake, COMPLETION, u="Many"))[1]["Results"]) == 60
        assert len((await ask(fake, COMPLETION, u="Many", c="7"))[1]["Results"]) == 7


async def test_the_fake_answers_unknown_players_as_rawebs_does(fake: FakeRA) -> None:
    assert await ask(fake, RECENT, u="NoSuchPlayer") == (200, [])
    assert await ask(fake, COMPLETION, u="NoSuchPlayer") == (200, {"Count": 0, "Total": 0, "Results": []})
    assert await ask(fake, COMPLETION, u="0" * 26) == (200, {"Count": 0, "Total": 0, "Results": []})
    assert (await ask(fake, RECENT, u=MAX_ULID.lower()))[1][0]["GameID"] == 1


@pytest.mark.parametrize(
    ("endpoint", "params", "answer"),
    [
        (RECENT, {"u": "Scott", "c": "-1"}, invalid("c", "The c field must be at least 0.")),
        (RECENT, {"u": "Scott", "o": "-5"}, invalid("o", "The o field must be at least 0.")),
        (RECENT, {"u": "Scott", "c": "ten"}, invalid("c", "The c field must be an integer.")),
        (RECENT, {"u": "Scott", "c": "1.5"}, invalid("c", "The c field must be an integer.")),
        (RECENT, {"u": "Scott", "c": "010"}, invalid("c", "The c field must be an integer.")),
        (RECENT, {"u": "Scott", "c": "9" * 20}, invalid("c", "The c field must be an integer.")),
        (
            RECENT,
            {"c": "-1", "o": "-1"},
            invalid(
                "u",
                "The u field is required.",
                ("c", "The c field must be at least 0."),
                ("o", "The o field must be at least 0."),
            ),
        ),
        (COMPLETION, {"u": "Scott", "c": "0"}, invalid("c", "The c field must be at least 1.")),
        (COMPLETION, {"u": "Scott", "c": "501"}, invalid("c", "The c field must not be greater than 500.")),
        (COMPLETION, {"u": "Scott", "o": "-1"}, invalid("o", "The o field must be at least 0.")),
        (
            COMPLETION,
            {"u": "Scott", "c": "-2", "o": "-1"},
            invalid("o", "The o field must be at least 0.", ("c", "The c field must be at least 1.")),
        ),
        (COMPLETION, {"u": "x"}, invalid("u", "The u field must be between 2 and 20 characters when "
                                         "providing a username.")),
        (COMPLETION, {"u": "bad name"}, invalid("u", "The u field may only contain letters and numbers.")),
        (COMPLETION, {"u": "-" * 26}, invalid("u", "The u field must be a valid ULID.")),
        (RECENT, {"u": ""}, invalid("u", "The u field is required.")),
    ],
)  # fmt: skip
async def test_the_fake_refuses_bad_parameters_with_laravels_422(
    fake: FakeRA, endpoint: str, params: dict[str, str], answer: tuple[int, Any]
) -> None:
    assert await ask(fake, endpoint, **params) == answer


async def test_the_client_turns_a_422_into_an_invalid_request(fake: FakeRA, make_client: MakeClient) -> None:
    fake.fail_next(RECENT, "422")
    with pytest.raises(RAInvalidRequest):
        await make_client().get_user_recently_played("Scott", 10)
    assert fake.count() == 1
