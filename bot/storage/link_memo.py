"""Members' links as this process last read or wrote them, so that asking again (every keystroke of an
autocomplete) needs no trip to the database. Both backends keep one; each decides when it may be used."""

from __future__ import annotations

from bot.storage.base import NOT_KNOWN, LinkedAccount, NotKnown


class LinkMemo:
    """Discord member -> their link, or None for a member known to have none.

    A read fills an entry only if no change to links happened while it ran: take `stamp()` before the
    read and pass it to `fill`. A write drops what it changes (`forget`, `forget_account`), so the next
    read takes it from the database; `clear` drops everything. At `cap` entries it starts again empty.
    Each account's members are indexed: every `/link` anywhere drops its account's members in every
    process, which must not cost a walk over all the members remembered.
    """

    def __init__(self, cap: int) -> None:
        self._cap = cap
        self._links: dict[int, LinkedAccount | None] = {}
        self._members_of: dict[str, set[int]] = {}
        self._changes = 0

    def __len__(self) -> int:
        return len(self._links)

    def get(self, discord_user_id: int) -> LinkedAccount | NotKnown | None:
        return self._links.get(discord_user_id, NOT_KNOWN)

    def stamp(self) -> int:
        return self._changes

    def fill(self, stamp: int, discord_user_id: int, link: LinkedAccount | None) -> None:
        """Keeps what a read started at `stamp` found, unless links changed meanwhile."""
        if stamp != self._changes:
            return
        if len(self._links) >= self._cap and discord_user_id not in self._links:
            self._links.clear()
            self._members_of.clear()
        self._drop(discord_user_id)
        self._links[discord_user_id] = link
        if link is not None:
            self._members_of.setdefault(link.ra_ulid, set()).add(discord_user_id)

    def forget(self, discord_user_id: int) -> None:
        self._changes += 1
        self._drop(discord_user_id)

    def forget_account(self, ra_ulid: str) -> None:
        """Drops every member linked to the RetroAchievements account (it was renamed or linked again)."""
        self._changes += 1
        for member in self._members_of.pop(ra_ulid, ()):
            del self._links[member]

    def clear(self) -> None:
        self._changes += 1
        self._links.clear()
        self._members_of.clear()

    def _drop(self, discord_user_id: int) -> None:
        link = self._links.pop(discord_user_id, None)
        if link is None:
            return
        members = self._members_of[link.ra_ulid]
        members.discard(discord_user_id)
        if not members:
            del self._members_of[link.ra_ulid]
