"""API_GetRecentGameAwards: the parser, the client's call and the fake endpoint, as the reference says."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.errors import RAUnavailable
from bot.ra.awards import AwardsPage, GameAward, parse_award_date, parse_recent_game_awards
from bot.ra.backends import MemoryRateLimiter
from bot.ra.client import RAClient
from bot.ra.models import ResponseShapeError
from bot.sandbox.fake_ra import FakeRA, demo_dataset, fake_ulid
from tests.test_ra_client import KEY, fast_options

MAX_ULID = "00003EMFWR7XB8SDPEHB3K56ZQ"
T0 = datetime(2026, 11, 30, 21, 4, 5, tzinfo=UTC)
ROW: dict[str, Any] = {
    "User": "MaxMilyin",
    "ULID": MAX_ULID,
    "AwardKind": "mastered",
    "AwardDate": "2026-11-30T21:04:05+00:00",
    "GameID": 1,
    "GameTitle": "Sonic the Hedgehog",
    "ConsoleID": 1,
    "ConsoleName": "Genesis/Mega Drive",
}
SONIC_MASTERED = GameAward(
    "MaxMilyin", MAX_ULID, "mastered", T0, 1, "Sonic the Hedgehog", 1, "Genesis/Mega Drive"
)


# -- the parser -------------------------------------------------------------------------------------


def test_a_page_is_parsed_into_awards() -> None:
    page = parse_recent_game_awards({"Count": 1, "Total": 8000, "Results": [ROW]})
    assert page == AwardsPage(total=8000, awards=(SONIC_MASTERED,), rows=1, skipped=0)
    award = page.awards[0]
    assert award.key == f"{MAX_ULID}:1:mastered:{int(T0.timestamp())}"
    assert award.game_url == "https://retroachievements.org/game/1"
    assert award.avatar_url == "https://media.retroachievements.org/UserPic/MaxMilyin.png"


def test_numbers_as_strings_and_other_iso_forms_are_accepted() -> None:
    row = {**ROW, "GameID": "1", "ConsoleID": "1", "AwardDate": "2026-11-30T21:04:05Z"}
    assert parse_recent_game_awards({"Total": "1", "Results": [row]}).awards == (SONIC_MASTERED,)
    assert parse_award_date("2026-11-30 21:04:05") == T0  # no offset: UTC
    assert parse_award_date("2026-11-30T22:04:05+01:00") == T0
    assert parse_award_date("2026-11-30T21:04:05.500000+00:00") == T0 + timedelta(milliseconds=500)


@pytest.mark.parametrize(
    "change",
    [
        {"User": "Max Milyin"},
        {"User": None},
        {"ULID": "not-a-ulid"},
        {"AwardKind": "participated"},
        {"AwardKind": None},
        {"AwardDate": "yesterday"},
        {"AwardDate": "2026-11-30T21:04:05+00:00" + " " * 50},
        {"AwardDate": 1764536645},
        {"GameID": 0},
        {"GameID": -3},
        {"GameID": "one"},
        {"ConsoleID": "x"},
    ],
)
def test_a_bad_row_is_skipped_and_counted(change: dict[str, Any]) -> None:
    page = parse_recent_game_awards({"Total": 2, "Results": [{**ROW, **change}, ROW]})
    assert (page.awards, page.rows, page.skipped) == ((SONIC_MASTERED,), 2, 1)


def test_texts_are_cleaned_and_missing_ones_filled() -> None:
    row = {**ROW, "GameTitle": "\u202eSonic\u200b", "ConsoleName": None}
    award = parse_recent_game_awards({"Results": [row, "junk"]}).awards[0]
    assert (award.game_title, award.console_name) == ("Sonic", "")
    untitled = parse_recent_game_awards({"Results": [{**ROW, "GameTitle": ""}]}).awards[0]
    assert untitled.game_title == "Game 1"


@pytest.mark.parametrize(
    "data", [[], None, "x", {"Results": None}, {"Results": {}}, {"Total": -1, "Results": []}]
)
def test_a_page_of_the_wrong_shape_is_refused(data: object) -> None:
    with pytest.raises(ResponseShapeError):
        parse_recent_game_awards(data)


# -- the fake endpoint, through the client ------------------------------------------------------------


@pytest.fixture
async def fake() -> AsyncIterator[FakeRA]:
    server = FakeRA(demo_dataset(), api_key=KEY)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def client(fake: FakeRA) -> AsyncIterator[RAClient]:
    async with RAClient(fast_options(fake.base_url)) as ra:
        yield ra


def grant(fake: FakeRA, count: int, start: datetime = T0) -> list[str]:
    """`count` awards, one a second from `start`, by alternating users, kinds and games; oldest first."""
    kinds = ["mastered", "completed", "beaten-hardcore", "beaten-softcore"]
    keys = []
    for n in range(count):
        award = fake.awards.add(f"Player{n % 7}", kinds[n % 4], 1 + n % 12, at=start + timedelta(seconds=n))
        keys.append(f"{award.ulid}:{award.game_id}:{award.kind}:{int(award.awarded_at.timestamp())}")
    return keys


async def test_awards_come_newest_first_with_the_total(fake: FakeRA, client: RAClient) -> None:
    keys = grant(fake, 30)
    page = await client.get_recent_game_awards(count=10)
    assert page.total == 30
    assert [a.key for a in page.awards] == keys[::-1][:10]
    assert fake.requests[-1].params == {"y": KEY, "o": "0", "c": "10"}
    second = await client.get_recent_game_awards(offset=10, count=10)
    assert [a.key for a in second.awards] == keys[::-1][10:20]


async def test_dataset_users_and_games_are_named_and_others_invented(fake: FakeRA, client: RAClient) -> None:
    fake.awards.add("maxmilyin", "mastered", 1, at=T0)
    fake.awards.add("Stranger", "completed", 999, at=T0 + timedelta(seconds=1))
    page = await client.get_recent_game_awards()
    stranger = GameAward(
        "Stranger", fake_ulid("Stranger"), "completed", T0 + timedelta(seconds=1), 999, "Game 999", 0, ""
    )
    assert page.awards == (stranger, SONIC_MASTERED)


async def test_count_defaults_to_25_and_is_cut_to_100(fake: FakeRA, client: RAClient) -> None:
    grant(fake, 150)
    for params, expected in (({}, 25), ({"c": "500"}, 100), ({"c": "7"}, 7), ({"c": "-4"}, 0)):
        body, status = fake.awards.answer(params)
        assert (status, body["Count"], len(body["Results"]), body["Total"]) == (200, expected, expected, 150)
    assert len((await client.get_recent_game_awards(count=1000)).awards) == 100
    assert fake.requests[-1].params["c"] == "100"


async def test_the_kind_filter_and_invalid_kinds(fake: FakeRA, client: RAClient) -> None:
    grant(fake, 20)
    mastered = await client.get_recent_game_awards(kinds=["mastered"])
    assert mastered.total == 5 and {a.kind for a in mastered.awards} == {"mastered"}
    both = await client.get_recent_game_awards(kinds=["mastered", "beaten-hardcore"])
    assert both.total == 10
    assert fake.requests[-1].params["k"] == "beaten-hardcore,mastered"
    body, _ = fake.awards.answer({"k": "mastered,bogus"})
    assert body["Total"] == 5
    assert fake.awards.answer({"k": "bogus,nonsense"}) == ({"Count": 0, "Total": 0, "Results": []}, 200)


async def test_the_date_keeps_awards_on_or_before_that_day(fake: FakeRA) -> None:
    fake.awards.add("Scott", "mastered", 2, at=datetime(2026, 11, 29, 23, 59, 59, tzinfo=UTC))
    fake.awards.add("Scott", "mastered", 3, at=datetime(2026, 11, 30, 0, 0, 0, tzinfo=UTC))
    fake.awards.add("Scott", "mastered", 5, at=datetime(2026, 12, 1, 0, 0, 0, tzinfo=UTC))
    body, _ = fake.awards.answer({"d": "2026-11-30"})
    assert [row["GameID"] for row in body["Results"]] == [3, 2]
    assert body["Total"] == 2
    assert fake.awards.answer({"d": "2026-11-28"})[0]["Total"] == 0
    assert fake.awards.answer({"d": "tomorrow"})[1] == 422


async def test_awards_granted_in_the_same_second_come_newest_granted_first(fake: FakeRA) -> None:
    first = fake.awards.add("Scott", "mastered", 2, at=T0)
    second = fake.awards.add("Jamiras", "mastered", 8, at=T0)
    body, _ = fake.awards.answer({})
    assert [row["User"] for row in body["Results"]] == [second.user, first.user]


async def test_a_page_while_awards_arrive_shifts_by_the_newcomers(fake: FakeRA, client: RAClient) -> None:
    keys = grant(fake, 10)
    first = await client.get_recent_game_awards(count=5)
    grant(fake, 2, start=T0 + timedelta(minutes=5))
    second = await client.get_recent_game_awards(offset=5, count=5)
    # Two awards arrived: the second page repeats two of the first, and misses none.
    assert [a.key for a in second.awards][:2] == [a.key for a in first.awards][-2:]
    assert {a.key for a in first.awards + second.awards} >= set(keys[::-1][:8])


async def test_the_call_is_never_cached_and_a_wrong_shape_is_unavailable(
    fake: FakeRA, client: RAClient
) -> None:
    await client.get_recent_game_awards()
    await client.get_recent_game_awards()
    assert fake.count("API_GetRecentGameAwards") == 2
    fake.fail_next("API_GetRecentGameAwards", "json", body={"Results": "nope"})
    with pytest.raises(RAUnavailable, match="unexpected shape"):
        await client.get_recent_game_awards()


class RecordingLimiter(MemoryRateLimiter):
    """Records which lane each request asked for."""

    def __init__(self) -> None:
        super().__init__(1000.0, 1000)
        self.asked: list[bool] = []

    async def acquire(self, *, background: bool = False) -> float:
        self.asked.append(background)
        return await super().acquire(background=background)


async def test_the_feeds_requests_take_the_background_lane(fake: FakeRA) -> None:
    """The award pages and the feed's icon lookups yield to members' commands; a member's game does not."""
    limiter = RecordingLimiter()
    async with RAClient(fast_options(fake.base_url), limiter=limiter) as ra:
        await ra.get_recent_game_awards()
        await ra.get_games([1], background=True)
        await ra.get_game(2)
    assert limiter.asked == [True, True, False]
