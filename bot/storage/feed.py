"""What the award feed keeps: each server's feed, one cursor for the whole deployment, a ledger of posts.

The ledger is an outbox. A poll writes, in ONE transaction, the awards it matched (each a row keyed by
server and award, grouped into messages by `nonce`) and the cursor it reached; the cursor's `version`
must be the one the poll started from, so a poller that lost its lease cannot write over the one that
took it. Delivery then posts the pending rows message by message and marks them posted. A crash between
the two leaves the rows pending, and they are posted again with the same nonce, which Discord answers
with the earlier message instead of a second one.

Nothing here knows Discord or RetroAchievements: an award is a key, a time and a JSON text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

PENDING = "pending"
POSTED = "posted"
DROPPED = "dropped"
#: A feed's settings as both engines select them (`feed_settings`, in this order).
SETTINGS_COLUMNS = (
    "guild_id, channel_id, kinds, enabled_at, paused_reason, last_error, last_error_at, last_post_at, locale"
)


@dataclass(frozen=True)
class FeedSettings:
    """A server's feed. `paused_reason` is set when posting there cannot work until an admin acts."""

    guild_id: int
    channel_id: int
    kinds: frozenset[str]
    enabled_at: datetime
    paused_reason: str | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    last_post_at: datetime | None = None
    locale: str | None = None  # the server's Discord locale when an admin last used /feed (posts' language)

    @property
    def active(self) -> bool:
        return self.paused_reason is None


@dataclass(frozen=True)
class FeedCursor:
    """How far the deployment's poller has read: every award up to `high_water` was considered."""

    version: int
    high_water: datetime | None = None
    checked_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None


@dataclass(frozen=True)
class FeedMember:
    """A linked member on the board of a server whose feed is on."""

    guild_id: int
    discord_user_id: int
    ra_ulid: str
    linked_at: datetime


@dataclass(frozen=True)
class PlannedPost:
    """One award for one server, in the message `nonce`. `seq` orders a poll's posts: messages in the
    order they are to be posted, and the embeds of a message."""

    guild_id: int
    award_key: str
    discord_user_id: int
    ra_ulid: str
    nonce: str
    seq: int
    awarded_at: datetime
    award: str  # the award as JSON, for rendering


@dataclass(frozen=True)
class PendingPost:
    """A planned post not yet acknowledged by Discord, with the channel its server's feed uses now."""

    guild_id: int
    channel_id: int
    award_key: str
    discord_user_id: int
    nonce: str
    seq: int
    awarded_at: datetime
    award: str
    planned_at: datetime
    locale: str | None = None  # the server's locale as the feed last knew it


@dataclass(frozen=True)
class FeedStatus:
    """What `/feed status` shows: the feed, posts since a time, and the deployment's cursor."""

    settings: FeedSettings
    posted_since: int
    cursor: FeedCursor


def join_kinds(kinds: frozenset[str]) -> str:
    return ",".join(sorted(kinds))


def split_kinds(text: str) -> frozenset[str]:
    return frozenset(kind for kind in text.split(",") if kind)
