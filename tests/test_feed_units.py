"""The feed's parts on their own: kinds, plans and nonces, render limits, reading cost, settings, leases."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import settings_from_mapping
from bot.errors import ConfigError, InvalidInput
from bot.feed.kinds import ALL_KINDS, describe, parse_kinds, suggest_kinds
from bot.feed.lease import PostgresLease, RedisLease
from bot.feed.options import FeedOptions, feed_options
from bot.feed.planner import NONCE_LENGTH, award_from_json, award_to_json, nonce_for, plan_posts
from bot.feed.posting import EMBED_LINKS, missing_permission
from bot.feed.reader import read_awards
from bot.feed.reasons import decode_reason, encode_reason
from bot.i18n.catalogues import language_for
from bot.i18n.language import ENGLISH, msg_n
from bot.ra.awards import MAX_PAGE, GameAward
from bot.ra.client import RAClient
from bot.render.feed import MAX_EMBEDS, FeedItem, render_feed_message
from bot.sandbox.fake_discord import validate_message
from bot.sandbox.fake_ra import FakeRA, demo_dataset
from bot.storage.feed import FeedMember, FeedSettings, PlannedPost
from tests.services import pg_execute
from tests.test_ra_client import KEY, fast_options
from tests.test_ra_redis import redis_namespace

T0 = datetime(2026, 11, 30, 21, 0, 0, tzinfo=UTC)
GUILD, OTHER = 1, 2


def ulid(n: int) -> str:
    return f"01J{n:023d}"


def award(n: int, kind: str = "mastered", *, seconds: int = 0, account: int | None = None) -> GameAward:
    who = n if account is None else account
    return GameAward(
        f"Player{who}", ulid(who), kind, T0 + timedelta(seconds=seconds), n, f"Game {n}", 1, "NES"
    )


def member(guild: int, discord_id: int, account: int, *, linked: datetime = T0) -> FeedMember:
    return FeedMember(guild, discord_id, ulid(account), linked)


def feed(
    guild: int, kinds: frozenset[str] = ALL_KINDS, *, enabled: datetime = T0, paused: bool = False
) -> FeedSettings:
    return FeedSettings(guild, 100 + guild, kinds, enabled, "paused" if paused else None)


# -- kinds ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kinds"),
    [
        ("mastered", {"mastered"}),
        ("Mastery, completed", {"mastered", "completed"}),
        ("beaten hardcore", {"beaten-hardcore"}),
        ("beaten-softcore; beaten_casual", {"beaten-softcore"}),
        ("beaten", {"beaten-hardcore", "beaten-softcore"}),
        ("beaten, mastered", {"beaten-hardcore", "beaten-softcore", "mastered"}),
        ("ALL", set(ALL_KINDS)),
        ("mastered mastered", {"mastered"}),
    ],
)
def test_kinds_are_read_as_members_type_them(typed: str, kinds: set[str]) -> None:
    assert parse_kinds(typed) == kinds


@pytest.mark.parametrize("typed", ["", "   ", "gold", "mastered, hardcore", "x" * 201])
def test_kinds_that_are_not_awards_are_refused(typed: str) -> None:
    with pytest.raises(InvalidInput):
        parse_kinds(typed)


def test_kinds_are_described_in_the_apis_order_and_suggested() -> None:
    assert describe({"beaten-softcore", "mastered"}) == "mastered, beaten softcore"
    assert [label for label, _ in suggest_kinds("")] == [
        "mastered, completed, beaten hardcore, beaten softcore",
        "mastered",
        "completed",
        "beaten hardcore",
        "beaten softcore",
    ]
    assert suggest_kinds("completed, b") == [
        ("completed, beaten hardcore", "completed, beaten hardcore"),
        ("completed, beaten softcore", "completed, beaten softcore"),
    ]
    assert suggest_kinds("gold, m") == []


def test_kinds_are_shown_and_read_in_the_members_language() -> None:
    german, brazilian = language_for("de"), language_for("pt-BR")
    assert describe({"beaten-softcore", "mastered"}, german) == "gemeistert, abgeschlossen (Casual)"
    assert parse_kinds("Gemeistert, abgeschlossen (Hardcore)", german) == {"mastered", "beaten-hardcore"}
    assert parse_kinds("mastered, zerado (casual)", brazilian) == {"mastered", "beaten-softcore"}
    assert parse_kinds("todos", brazilian) == ALL_KINDS
    # Members read their words; the option gets English, which every language reads.
    assert suggest_kinds("platinado, z", brazilian) == [
        ("platinado, zerado (hardcore)", "mastered, beaten hardcore"),
        ("platinado, zerado (casual)", "mastered, beaten softcore"),
    ]
    assert suggest_kinds("ma", german)[0] == ("gemeistert", "mastered")
    with pytest.raises(InvalidInput) as refused:
        parse_kinds("gold", german)
    assert refused.value.in_language(german) == (
        "`gold` ist keine Art von Auszeichnung. Wähle aus gemeistert, abgeschlossen (alle Errungenschaften), "
        "abgeschlossen (Hardcore), abgeschlossen (Casual) (durch Kommas getrennt) oder alle."
    )


# -- planning ---------------------------------------------------------------------------------------------


def keys(posts: list[PlannedPost]) -> list[tuple[int, str]]:
    return [(p.guild_id, p.award_key) for p in posts]


def test_an_award_goes_to_every_server_of_its_member_once() -> None:
    members = [member(GUILD, 10, 1), member(OTHER, 10, 1), member(GUILD, 11, 1)]  # two members, one account
    posts = plan_posts([award(1)], members, {GUILD: feed(GUILD), OTHER: feed(OTHER)}, set())
    assert keys(posts) == [(GUILD, award(1).key), (OTHER, award(1).key)]
    assert [p.discord_user_id for p in posts] == [10, 10]
    assert award_from_json(posts[0].award) == award(1)


def test_what_a_server_does_not_get() -> None:
    feeds = {
        GUILD: feed(GUILD, frozenset({"mastered"}), enabled=T0 + timedelta(seconds=10)),
        OTHER: feed(OTHER, paused=True),
    }
    members = [
        member(GUILD, 10, 1, linked=T0 + timedelta(seconds=20)),
        member(OTHER, 10, 1),
        member(3, 10, 1),
    ]
    candidates = [
        award(1, seconds=5),  # before the feed began
        award(1, seconds=15, kind="completed"),  # a kind it does not want
        award(1, seconds=19),  # before the link (to the second)
        award(2, seconds=30, account=1),
        award(3, seconds=40, account=1),  # already in the ledger
        award(4, seconds=50),  # nobody linked
    ]
    known = {(GUILD, candidates[4].key)}
    assert keys(plan_posts(candidates, members, feeds, known)) == [(GUILD, candidates[3].key)]


def test_the_second_of_the_link_counts() -> None:
    linked = T0 + timedelta(seconds=20, microseconds=700_000)
    posts = plan_posts(
        [award(1, seconds=20)], [member(GUILD, 10, 1, linked=linked)], {GUILD: feed(GUILD)}, set()
    )
    assert len(posts) == 1


def test_posts_are_grouped_by_ten_oldest_first_with_a_nonce_each() -> None:
    candidates = [award(n, seconds=100 - n, account=1) for n in range(23)]
    posts = plan_posts(candidates, [member(GUILD, 10, 1)], {GUILD: feed(GUILD)}, set())
    nonces = list(dict.fromkeys(p.nonce for p in posts))
    assert [sum(p.nonce == n for p in posts) for n in nonces] == [10, 10, 3]
    assert [p.seq for p in posts] == list(range(23))
    assert [p.awarded_at for p in posts] == sorted(p.awarded_at for p in posts)
    assert nonces[0] == nonce_for(GUILD, [p.award_key for p in posts[:10]])
    assert all(len(n) == NONCE_LENGTH and int(n, 16) >= 0 for n in nonces)
    assert nonce_for(GUILD, ["a"]) != nonce_for(OTHER, ["a"]) != nonce_for(GUILD, ["b"])


def test_the_ledger_text_of_an_award_round_trips() -> None:
    original = GameAward("Max", ulid(1), "beaten-softcore", T0, 9, 'Tïtle, "The" 日本', 3, "SNES")
    assert award_from_json(award_to_json(original)) == original
    with pytest.raises(ValueError):
        award_from_json('{"at": "never"}'.replace("never", "not a time"))


# -- rendering limits -------------------------------------------------------------------------------------


def test_ten_awards_of_the_longest_texts_fit_one_message() -> None:
    longest = GameAward(
        "A" * 20, ulid(1), "beaten-hardcore", T0, 2**31 - 1, "W" * 1000 + "[x](http://evil)", 99, "C" * 1000
    )
    items = [
        FeedItem(longest, 2**63 - 1, "https://media.retroachievements.org/" + "i" * 900)
        for _ in range(MAX_EMBEDS)
    ]
    message = render_feed_message(items)
    body = {"content": message.content, "embeds": [embed.to_dict() for embed in message.embeds]}
    assert validate_message(body) == {}
    texts = (
        len(e.title or "") + len(e.description or "") + len(e.author.name or "") + len(e.footer.text or "")
        for e in message.embeds
    )
    assert sum(texts) <= 6000
    assert "[x](" not in (message.embeds[0].title or "")


@pytest.mark.parametrize("count", [0, MAX_EMBEDS + 1])
def test_a_post_holds_one_to_ten_awards(count: int) -> None:
    with pytest.raises(ValueError):
        render_feed_message([FeedItem(award(1), 10)] * count)


# -- reading cost -----------------------------------------------------------------------------------------


@pytest.fixture
async def fake() -> AsyncIterator[FakeRA]:
    server = FakeRA(demo_dataset(), api_key=KEY)
    await server.start()
    yield server
    await server.stop()


def fill(fake: FakeRA, count: int, start: datetime) -> None:
    for n in range(count):
        fake.awards.add(f"Site{n % 500}", "mastered", 1 + n % 12, at=start + timedelta(seconds=n))


@pytest.mark.parametrize(("new", "requests"), [(0, 1), (1, 1), (99, 1), (150, 2), (250, 3)])
async def test_a_poll_reads_one_page_per_hundred_new_awards(fake: FakeRA, new: int, requests: int) -> None:
    fill(fake, 500, T0)  # already seen
    cursor = T0 + timedelta(seconds=499)
    fill(fake, new, T0 + timedelta(seconds=600))
    async with RAClient(fast_options(fake.base_url)) as ra:
        read = await read_awards(ra, stop_before=cursor, keep_from=cursor + timedelta(seconds=1))
    assert (read.requests, len(read.awards)) == (requests, new)
    assert fake.count("API_GetRecentGameAwards") == requests


async def test_awards_arriving_between_pages_are_neither_missed_nor_doubled(fake: FakeRA) -> None:
    fill(fake, 300, T0)
    cursor = T0 + timedelta(seconds=49)

    class Arriving(RAClient):
        async def get_recent_game_awards(self, **kwargs: object) -> object:  # type: ignore[override]
            page = await super().get_recent_game_awards(**kwargs)  # type: ignore[arg-type]
            fill(fake, 7, T0 + timedelta(hours=1, seconds=fake.count()))  # 7 more after each page
            return page

    async with Arriving(fast_options(fake.base_url)) as ra:
        read = await read_awards(ra, stop_before=cursor, keep_from=cursor + timedelta(seconds=1))
    expected = {a.awarded_at for a in fake.awards.all()[-300:] if a.awarded_at > cursor}
    assert {a.awarded_at for a in read.awards} >= expected
    assert len({a.key for a in read.awards}) == len(read.awards)
    assert read.rows > len(read.awards), "some awards were on two pages"


async def test_reading_stops_at_the_end_of_the_list(fake: FakeRA) -> None:
    fill(fake, MAX_PAGE, T0)
    async with RAClient(fast_options(fake.base_url)) as ra:
        read = await read_awards(ra, stop_before=T0 - timedelta(days=1), keep_from=T0 - timedelta(days=1))
    assert (read.requests, len(read.awards), read.newest) == (
        2,
        MAX_PAGE,
        T0 + timedelta(seconds=MAX_PAGE - 1),
    )


# -- settings ---------------------------------------------------------------------------------------------


def test_feed_settings_default_and_come_from_the_settings() -> None:
    base = {"DISCORD_TOKEN": "token", "RA_API_KEY": KEY}
    assert feed_options(settings_from_mapping(base)) == FeedOptions(60.0, 24.0)
    chosen = settings_from_mapping({**base, "FEED_POLL_SECONDS": "1", "FEED_CATCHUP_HOURS": "0.5"})
    assert feed_options(chosen) == FeedOptions(1.0, 0.5)


@pytest.mark.parametrize(
    "env",
    [
        {"FEED_POLL_SECONDS": "0.5"},
        {"FEED_POLL_SECONDS": "x"},
        {"FEED_CATCHUP_HOURS": "0"},
        {"FEED_CATCHUP_HOURS": "nan"},
    ],
)
def test_bad_feed_settings_name_the_variable(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match=next(iter(env))):
        settings_from_mapping({"DISCORD_TOKEN": "token", "RA_API_KEY": KEY, **env})


# -- leases -----------------------------------------------------------------------------------------------


async def test_a_redis_lease_has_one_holder_and_passes_on_when_it_lapses() -> None:
    async with redis_namespace() as (redis, namespace):
        key = namespace + "lease"
        first, second = RedisLease(redis, 0.3, key=key), RedisLease(redis, 0.3, key=key)
        assert await first.hold() and first.held
        assert not await second.hold() and not second.held
        await asyncio.sleep(0.5)  # the holder's keeper renews it meanwhile
        assert first.held and not await second.hold()
        # The holder stops renewing (its process died): the lease lapses and the other takes it.
        first._lost()
        await asyncio.sleep(0.4)
        assert await second.hold()
        assert not await first.hold(), "the old holder cannot take it back while it is held"
        await second.release()
        assert await first.hold(), "a released lease is free at once"
        await first.release()


async def test_a_redis_lease_whose_holder_lost_it_knows() -> None:
    async with redis_namespace() as (redis, namespace):
        key = namespace + "lease"
        first = RedisLease(redis, 10.0, key=key)
        assert await first.hold()
        await redis.set(key, "someone else")
        assert not await first.hold() and not first.held
        await first.release()
        assert await redis.get(key) == b"someone else", "release deletes only its own lease"


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    base = os.environ.get("TEST_DATABASE_URL", "")
    name = f"test_lease_{secrets.token_hex(4)}"
    await pg_execute(base, f'CREATE DATABASE "{name}"')
    try:
        yield base.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await pg_execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_a_postgres_lock_has_one_holder_and_is_freed_with_its_connection(postgres_url: str) -> None:
    first, second = PostgresLease(postgres_url, 0.3), PostgresLease(postgres_url, 0.3)
    try:
        assert await first.hold()
        assert not await second.hold()
        await asyncio.sleep(0.4)
        assert first.held, "the holder's keeper checked its connection"
        assert first._conn is not None
        first._conn.terminate()  # the holder's process died: PostgreSQL ends its session
        for _ in range(50):
            if await second.hold():
                break
            await asyncio.sleep(0.05)
        assert second.held
        assert not await first.hold()
    finally:
        await first.close()
        await second.close()


# -- reasons ----------------------------------------------------------------------------------------------


def test_a_stored_reason_is_read_back_in_any_language() -> None:
    reason = missing_permission(EMBED_LINKS, 5)
    stored = encode_reason(reason)
    assert decode_reason(stored) == reason
    assert ENGLISH.render(decode_reason(stored)) == "missing permission: Embed Links in <#5>"
    assert (
        language_for("fr").render(decode_reason(stored))
        == "permission manquante : Intégrer des liens dans <#5>"
    )
    plural = msg_n("{n} game", "{n} games", 2, extra="x")
    assert decode_reason(encode_reason(plural)) == plural


@pytest.mark.parametrize(
    "stored",
    ["Unknown Channel", "{", '{"id": 3}', '{"params": {}}', '{"id": "x", "params": {"a": [1]}}', "[]"],
)
def test_text_that_is_not_a_stored_reason_is_shown_as_it_is(stored: str) -> None:
    assert ENGLISH.render(decode_reason(stored)) == stored
