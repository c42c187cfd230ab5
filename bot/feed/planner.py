"""Which awards go to which server, grouped into posts. Pure.

An award goes to a server when its member is linked to the award's account and on that server's board,
the server's feed is active and wants that kind, and the award was earned after both the link and the
feed began (to the second: the API's dates have no finer grain). It goes once per server, even if two
members of the server share the account. Each server's awards, oldest first, are cut into posts of up to
`MAX_EMBEDS`; a post's nonce is derived from its server and its awards, so a post planned once is
retried with the same nonce.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime

from bot.ra.awards import GameAward, parse_award_date
from bot.render.feed import MAX_EMBEDS
from bot.storage.feed import FeedMember, FeedSettings, PlannedPost

#: Discord's limit on a nonce's length.
NONCE_LENGTH = 25


def nonce_for(guild_id: int, award_keys: Iterable[str]) -> str:
    """25 hexadecimal digits (100 bits) of a hash of the server and the post's awards."""
    text = "|".join((str(guild_id), *award_keys))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()[:NONCE_LENGTH]


def plan_posts(
    awards: Iterable[GameAward],
    members: Iterable[FeedMember],
    feeds: Mapping[int, FeedSettings],
    known: Collection[tuple[int, str]],
) -> list[PlannedPost]:
    """The posts for these awards; `known` (server, award key) pairs are already in the ledger."""
    by_account: dict[str, list[FeedMember]] = defaultdict(list)
    for member in members:
        by_account[member.ra_ulid].append(member)
    per_server: dict[int, dict[str, tuple[GameAward, FeedMember]]] = defaultdict(dict)
    for award in sorted(awards, key=lambda a: (a.awarded_at, a.key)):
        for member in by_account.get(award.ulid, ()):
            feed = feeds.get(member.guild_id)
            chosen = per_server[member.guild_id]
            if (
                feed is None
                or not feed.active
                or award.kind not in feed.kinds
                or award.awarded_at < _second(member.linked_at)
                or award.awarded_at < _second(feed.enabled_at)
                or (member.guild_id, award.key) in known
                or award.key in chosen
            ):
                continue
            chosen[award.key] = (award, member)
    posts: list[PlannedPost] = []
    for guild_id in sorted(per_server):
        chosen_awards = list(per_server[guild_id].values())
        for start in range(0, len(chosen_awards), MAX_EMBEDS):
            group = chosen_awards[start : start + MAX_EMBEDS]
            nonce = nonce_for(guild_id, (award.key for award, _ in group))
            first_seq = len(posts)
            posts.extend(
                PlannedPost(
                    guild_id=guild_id,
                    award_key=award.key,
                    discord_user_id=member.discord_user_id,
                    ra_ulid=award.ulid,
                    nonce=nonce,
                    seq=first_seq + index,
                    awarded_at=award.awarded_at,
                    award=award_to_json(award),
                )
                for index, (award, member) in enumerate(group)
            )
    return posts


def award_to_json(award: GameAward) -> str:
    return json.dumps(
        {
            "user": award.user,
            "ulid": award.ulid,
            "kind": award.kind,
            "at": award.awarded_at.isoformat(),
            "game_id": award.game_id,
            "title": award.game_title,
            "console_id": award.console_id,
            "console": award.console_name,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def award_from_json(text: str) -> GameAward:
    """An award as `award_to_json` wrote it; ValueError (or KeyError) if the text is not one."""
    data = json.loads(text)
    awarded_at = parse_award_date(data["at"])
    if awarded_at is None:
        raise ValueError("the award's time is not an ISO 8601 time")
    return GameAward(
        user=str(data["user"]),
        ulid=str(data["ulid"]),
        kind=str(data["kind"]),
        awarded_at=awarded_at,
        game_id=int(data["game_id"]),
        game_title=str(data["title"]),
        console_id=int(data["console_id"]),
        console_name=str(data["console"]),
    )


def _second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)
