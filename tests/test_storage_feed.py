"""The award feed's storage (bot.storage.feed) against SQLite and PostgreSQL, in test_storage's style."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.storage import Storage
from bot.storage.feed import FeedCursor, PlannedPost
from tests import test_storage as base
from tests.test_storage import GUILD, OTHER_GUILD, Backend, ulid

# The storage suite's fixtures: each backend, with a fresh database per test.
db_path = base.db_path
postgres_database = base.postgres_database
postgres_url = base.postgres_url
backend = base.backend
storage = base.storage

CHANNEL = 5000
OTHER_CHANNEL = 6000
ALL = frozenset({"mastered", "completed", "beaten-hardcore", "beaten-softcore"})
T0 = datetime(2026, 11, 30, 21, 0, 0, tzinfo=UTC)


def post(
    guild: int, member: int, key: str, *, nonce: str = "n1", seq: int = 0, account: int | None = None
) -> PlannedPost:
    return PlannedPost(
        guild_id=guild,
        award_key=key,
        discord_user_id=member,
        ra_ulid=ulid(member if account is None else account),
        nonce=nonce,
        seq=seq,
        awarded_at=T0,
        award=f'{{"key": "{key}"}}',
    )


async def commit(store: Storage, *posts: PlannedPost, high_water: datetime = T0) -> FeedCursor:
    cursor = await store.feed_cursor()
    moved = FeedCursor(cursor.version + 1, high_water, high_water)
    assert await store.commit_feed_poll(cursor.version, moved, posts)
    return moved


async def pending(store: Storage) -> list[tuple[int, int, str, str, int]]:
    return [
        (p.guild_id, p.channel_id, p.nonce, p.award_key, p.seq) for p in await store.pending_feed_posts(100)
    ]


# -- settings ---------------------------------------------------------------------------------------


async def test_a_feed_is_set_moved_and_removed(storage: Storage) -> None:
    assert await storage.get_feed(GUILD) is None
    first = await storage.set_feed(GUILD, CHANNEL, frozenset({"mastered"}))
    assert (first.guild_id, first.channel_id, first.kinds, first.active) == (
        GUILD, CHANNEL, frozenset({"mastered"}), True,
    )  # fmt: skip
    assert first.enabled_at.tzinfo is not None
    assert await storage.get_feed(GUILD) == first

    moved = await storage.set_feed(GUILD, OTHER_CHANNEL, ALL)
    assert (moved.channel_id, moved.kinds) == (OTHER_CHANNEL, ALL)
    assert moved.enabled_at >= first.enabled_at
    assert [f.guild_id for f in await storage.active_feeds()] == [GUILD]

    assert await storage.remove_feed(GUILD) is True
    assert await storage.remove_feed(GUILD) is False
    assert await storage.get_feed(GUILD) is None
    assert await storage.active_feeds() == []


async def test_a_pause_is_recorded_and_cleared_by_setting_the_feed_again(storage: Storage) -> None:
    await storage.set_feed(GUILD, CHANNEL, ALL)
    await storage.set_feed(OTHER_GUILD, OTHER_CHANNEL, ALL)
    at = datetime.now(UTC)
    await storage.feed_failed(GUILD, "missing permission: Embed Links", at, pause=True)
    paused = await storage.get_feed(GUILD)
    assert paused is not None
    assert (paused.paused_reason, paused.last_error, paused.active) == (
        "missing permission: Embed Links", "missing permission: Embed Links", False,
    )  # fmt: skip
    assert paused.last_error_at is not None and abs(paused.last_error_at - at) < timedelta(seconds=1)
    assert [f.guild_id for f in await storage.active_feeds()] == [OTHER_GUILD]

    resumed = await storage.set_feed(GUILD, CHANNEL, ALL)
    assert (resumed.paused_reason, resumed.last_error, resumed.active) == (None, None, True)


# -- who the feed is about --------------------------------------------------------------------------


async def test_feed_members_are_linked_members_on_boards_of_active_feeds(storage: Storage) -> None:
    await storage.set_feed(GUILD, CHANNEL, ALL)
    await storage.set_feed(OTHER_GUILD, OTHER_CHANNEL, ALL)
    await storage.link(1, ulid(1), "Alice", GUILD)
    await storage.record_member(OTHER_GUILD, 1)
    await storage.link(2, ulid(2), "Bob", 3000)  # on a server without a feed
    await storage.record_member(GUILD, 3)  # on the board, never linked
    members = await storage.feed_members([ulid(1), ulid(2), ulid(3), ulid(4)])
    assert [(m.guild_id, m.discord_user_id, m.ra_ulid) for m in members] == [
        (GUILD, 1, ulid(1)),
        (OTHER_GUILD, 1, ulid(1)),
    ]
    link = await storage.get_link(1)
    assert link is not None and members[0].linked_at == link.linked_at

    await storage.feed_failed(OTHER_GUILD, "Unknown Channel", datetime.now(UTC), pause=True)
    assert [m.guild_id for m in await storage.feed_members([ulid(1)])] == [GUILD]
    await storage.unlink(1)
    assert await storage.feed_members([ulid(1)]) == []
    assert await storage.feed_members([]) == []


# -- the cursor and the ledger ----------------------------------------------------------------------


async def test_the_cursor_moves_only_from_the_version_it_was_read_at(storage: Storage) -> None:
    assert await storage.feed_cursor() == FeedCursor(version=0)
    await storage.link(1, ulid(1), "Alice", GUILD)
    await storage.set_feed(GUILD, CHANNEL, ALL)
    moved = await commit(storage, post(GUILD, 1, "a"))
    assert await storage.feed_cursor() == moved

    stale = FeedCursor(1, T0 + timedelta(hours=1), T0 + timedelta(hours=1))
    assert await storage.commit_feed_poll(0, stale, [post(GUILD, 1, "b")]) is False
    assert await storage.feed_cursor() == moved
    assert [key for _, _, _, key, _ in await pending(storage)] == ["a"]


async def test_a_poll_error_is_kept_until_the_next_poll_succeeds(storage: Storage) -> None:
    at = datetime.now(UTC)
    await storage.record_feed_poll_error("RetroAchievements is not answering", at)
    cursor = await storage.feed_cursor()
    assert cursor.last_error == "RetroAchievements is not answering"
    assert cursor.last_error_at is not None and abs(cursor.last_error_at - at) < timedelta(seconds=1)
    await commit(storage)
    assert (await storage.feed_cursor()).last_error is None


async def test_posts_are_pending_in_order_then_posted_once(storage: Storage) -> None:
    await storage.set_feed(GUILD, CHANNEL, ALL)
    await storage.set_feed(OTHER_GUILD, OTHER_CHANNEL, ALL)
    await storage.link(1, ulid(1), "Alice", GUILD)
    await storage.record_member(OTHER_GUILD, 1)
    await storage.link(2, ulid(2), "Bob", GUILD)
    await commit(
        storage,
        post(GUILD, 2, "b", nonce="m2", seq=2),
        post(GUILD, 1, "a", nonce="m1", seq=0),
        post(GUILD, 2, "c", nonce="m1", seq=1),
        post(OTHER_GUILD, 1, "a", nonce="m3", seq=3),
    )
    assert await pending(storage) == [
        (GUILD, CHANNEL, "m1", "a", 0),
        (GUILD, CHANNEL, "m1", "c", 1),
        (GUILD, CHANNEL, "m2", "b", 2),
        (OTHER_GUILD, OTHER_CHANNEL, "m3", "a", 3),
    ]
    assert await storage.known_feed_posts([(GUILD, "a"), (GUILD, "z"), (OTHER_GUILD, "c")]) == {(GUILD, "a")}
    assert await storage.known_feed_posts([]) == set()

    # The same award planned again (an overlapping page) stays one post.
    await commit(storage, post(GUILD, 1, "a", nonce="other", seq=0))
    assert len(await pending(storage)) == 4

    at = datetime.now(UTC)
    await storage.mark_feed_posted(GUILD, "m1", 123, at)
    assert [nonce for _, _, nonce, _, _ in await pending(storage)] == ["m2", "m3"]
    status = await storage.feed_status(GUILD, at - timedelta(hours=24))
    assert status is not None
    assert status.posted_since == 2
    assert status.settings.last_post_at is not None
    assert abs(status.settings.last_post_at - at) < timedelta(seconds=1)
    assert status.cursor == await storage.feed_cursor()
    later = await storage.feed_status(GUILD, at + timedelta(seconds=5))
    assert later is not None and later.posted_since == 0
    assert await storage.feed_status(3000, at) is None


async def test_a_moved_feed_posts_its_pending_awards_in_the_new_channel(storage: Storage) -> None:
    await storage.set_feed(GUILD, CHANNEL, ALL)
    await storage.link(1, ulid(1), "Alice", GUILD)
    await commit(storage, post(GUILD, 1, "a"))
    await storage.set_feed(GUILD, OTHER_CHANNEL, ALL)
    assert await pending(storage) == [(GUILD, OTHER_CHANNEL, "n1", "a", 0)]


async def test_only_members_still_linked_to_that_account_get_posts(storage: Storage) -> None:
    await storage.set_feed(GUILD, CHANNEL, ALL)
    await storage.link(1, ulid(1), "Alice", GUILD)
    await storage.link(2, ulid(2), "Bob", GUILD)
    await storage.link(3, ulid(3), "Carol", GUILD)
    planned = [post(GUILD, 1, "a"), post(GUILD, 2, "b"), post(GUILD, 3, "c")]
    await storage.unlink(2)  # after the poll matched them, before it committed
    await storage.link(3, ulid(33), "Carla", GUILD)  # linked to another account meanwhile
    await commit(storage, *planned)
    assert [key for _, _, _, key, _ in await pending(storage)] == ["a"]


async def test_a_pause_drops_pending_posts_and_a_bad_message_is_dropped_alone(storage: Storage) -> None:
    await storage.set_feed(GUILD, CHANNEL, ALL)
    await storage.set_feed(OTHER_GUILD, OTHER_CHANNEL, ALL)
    await storage.link(1, ulid(1), "Alice", GUILD)
    await storage.record_member(OTHER_GUILD, 1)
    await commit(
        storage,
        post(GUILD, 1, "a", nonce="m1", seq=0),
        post(GUILD, 1, "b", nonce="m2", seq=1),
        post(OTHER_GUILD, 1, "a", nonce="m3", seq=2),
    )
    now = datetime.now(UTC)
    await storage.feed_failed(GUILD, "Invalid Form Body", now, drop_nonce="m1")
    assert [nonce for _, _, nonce, _, _ in await pending(storage)] == ["m2", "m3"]
    feed = await storage.get_feed(GUILD)
    assert feed is not None and (feed.active, feed.last_error) == (True, "Invalid Form Body")

    await storage.feed_failed(OTHER_GUILD, "Unknown Channel", now, pause=True)
    assert [nonce for _, _, nonce, _, _ in await pending(storage)] == ["m2"]
    await storage.set_feed(OTHER_GUILD, OTHER_CHANNEL, ALL)  # resumed: what was dropped stays dropped
    assert [nonce for _, _, nonce, _, _ in await pending(storage)] == ["m2"]

    await storage.feed_failed(GUILD, "HTTP 503", now)  # a passing failure: the post stays pending
    assert [nonce for _, _, nonce, _, _ in await pending(storage)] == ["m2"]


async def test_turning_the_feed_off_drops_its_pending_posts(storage: Storage) -> None:
    await storage.set_feed(GUILD, CHANNEL, ALL)
    await storage.link(1, ulid(1), "Alice", GUILD)
    await commit(storage, post(GUILD, 1, "a"))
    await storage.remove_feed(GUILD)
    await storage.set_feed(GUILD, CHANNEL, ALL)
    assert await pending(storage) == []


async def test_unlink_deletes_what_the_feed_kept_about_the_member(backend: Backend, storage: Storage) -> None:
    await storage.set_feed(GUILD, CHANNEL, ALL)
    await storage.link(1, ulid(1), "Alice", GUILD)
    await storage.link(2, ulid(2), "Bob", GUILD)
    await commit(
        storage, post(GUILD, 1, "a", nonce="m1"), post(GUILD, 1, "b", nonce="m2"), post(GUILD, 2, "c")
    )
    await storage.mark_feed_posted(GUILD, "m1", 1, datetime.now(UTC))
    assert await storage.unlink(1) is True
    assert await backend.rows("SELECT award_key FROM feed_posts ORDER BY award_key") == [("c",)]
    assert await backend.rows("SELECT count(*) FROM feed_posts WHERE discord_user_id = ?", 1) == [(0,)]


async def test_old_posts_are_pruned(backend: Backend, storage: Storage) -> None:
    await storage.set_feed(GUILD, CHANNEL, ALL)
    await storage.link(1, ulid(1), "Alice", GUILD)
    await commit(storage, post(GUILD, 1, "a", nonce="m1"), post(GUILD, 1, "b", nonce="m2"))
    await storage.mark_feed_posted(GUILD, "m1", 1, datetime.now(UTC))
    assert await storage.prune_feed_posts(datetime.now(UTC) - timedelta(hours=1)) == 0
    assert await storage.prune_feed_posts(datetime.now(UTC) + timedelta(seconds=1)) == 2
    assert await backend.rows("SELECT count(*) FROM feed_posts") == [(0,)]


async def test_the_feed_survives_a_reopen(backend: Backend) -> None:
    first = backend.new()
    await first.open()
    try:
        await first.set_feed(GUILD, CHANNEL, ALL)
        await first.link(1, ulid(1), "Alice", GUILD)
        cursor = await commit(first, post(GUILD, 1, "a"))
    finally:
        await first.close()
    second = backend.new()
    await second.open()
    try:
        assert await second.feed_cursor() == cursor
        assert await pending(second) == [(GUILD, CHANNEL, "n1", "a", 0)]
        feed = await second.get_feed(GUILD)
        assert feed is not None and feed.kinds == ALL
    finally:
        await second.close()
