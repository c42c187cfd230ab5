"""The fake RetroAchievements' `API_GetRecentGameAwards`: the site's awards, added while the bot runs.

As the reference describes the real endpoint: newest first (`AwardDate`, then the most recently granted);
`c` defaults to 25 and is cut to 100; `o` is an offset into the newest-first list; `d` (YYYY-MM-DD) keeps
awards on or before that day (UTC); `k` is a comma-separated list of kinds (invalid ones are ignored, and
if every kind given is invalid the answer is empty); `Total` counts every award the query matches.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

AWARD_KINDS = ("mastered", "completed", "beaten-hardcore", "beaten-softcore")
DEFAULT_COUNT = 25
MAX_COUNT = 100


@dataclass(frozen=True, order=True)
class FakeAward:
    """One award as the site keeps it; `seq` orders awards granted in the same second."""

    awarded_at: datetime
    seq: int
    user: str = field(compare=False)
    ulid: str = field(compare=False)
    kind: str = field(compare=False)
    game_id: int = field(compare=False)
    game_title: str = field(compare=False)
    console_id: int = field(compare=False)
    console_name: str = field(compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "User": self.user,
            "ULID": self.ulid,
            "AwardKind": self.kind,
            "AwardDate": self.awarded_at.astimezone(UTC).isoformat(timespec="seconds"),
            "GameID": self.game_id,
            "GameTitle": self.game_title,
            "ConsoleID": self.console_id,
            "ConsoleName": self.console_name,
        }


class FakeAwards:
    """The site's awards, one sorted list per kind. `dataset` (a `Dataset`) names users and games;
    `invent_ulid` gives the ULID of a site member who is not in it."""

    def __init__(self, dataset: Any, invent_ulid: Callable[[str], str]) -> None:
        self.dataset = dataset
        self._invent_ulid = invent_ulid
        self._by_kind: dict[str, list[FakeAward]] = {kind: [] for kind in AWARD_KINDS}
        self._seq = itertools.count()

    def __len__(self) -> int:
        return sum(len(awards) for awards in self._by_kind.values())

    def add(
        self,
        user: str,
        kind: str,
        game_id: int,
        *,
        at: datetime | None = None,
        ulid: str | None = None,
    ) -> FakeAward:
        """Grant `kind` on `game_id` to `user` (a dataset user, or any other site member) `at` (now).

        The date keeps whole seconds, as the API shows it."""
        if kind not in AWARD_KINDS:
            raise ValueError(f"unknown award kind {kind!r}")
        known = self.dataset.find_user(user)
        name = known.name if known is not None else user
        if ulid is None:
            ulid = known.ulid if known is not None else self._invent_ulid(user)
        game = self.dataset.games.get(game_id)
        when = (at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
        award = FakeAward(
            awarded_at=when,
            seq=next(self._seq),
            user=name,
            ulid=ulid,
            kind=kind,
            game_id=game_id,
            game_title=game.title if game is not None else f"Game {game_id}",
            console_id=game.console_id if game is not None else 0,
            console_name=game.console_name if game is not None else "",
        )
        bisect.insort(self._by_kind[kind], award)
        return award

    def all(self) -> list[FakeAward]:
        """Every award, newest first."""
        return list(self._newest_first(AWARD_KINDS, None))

    def answer(self, query: Mapping[str, str]) -> tuple[dict[str, Any], int]:
        """The endpoint's JSON body and HTTP status for these query parameters."""
        until: datetime | None = None
        raw_date = query.get("d", "").strip()
        if raw_date:
            try:
                day = date.fromisoformat(raw_date)
            except ValueError:
                message = "The d field must be a valid date."
                return {"message": message, "errors": {"d": [message]}}, 422
            until = datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
        count = min(MAX_COUNT, max(0, _int(query.get("c"), DEFAULT_COUNT)))
        offset = max(0, _int(query.get("o"), 0))
        kinds: Iterable[str] = AWARD_KINDS
        raw_kinds = query.get("k", "").strip()
        if raw_kinds:
            asked = {part.strip() for part in raw_kinds.split(",")}
            kinds = [kind for kind in AWARD_KINDS if kind in asked]
        total = sum(self._count(kind, until) for kind in kinds)
        page = list(itertools.islice(self._newest_first(kinds, until), offset, offset + count))
        return {"Count": len(page), "Total": total, "Results": [a.to_json() for a in page]}, 200

    def _count(self, kind: str, until: datetime | None) -> int:
        awards = self._by_kind[kind]
        if until is None:
            return len(awards)
        return bisect.bisect_left(awards, until, key=lambda award: award.awarded_at)

    def _newest_first(self, kinds: Iterable[str], until: datetime | None) -> Iterator[FakeAward]:
        lists = [
            self._by_kind[kind] if until is None else self._by_kind[kind][: self._count(kind, until)]
            for kind in kinds
        ]
        return heapq.merge(*(reversed(awards) for awards in lists), reverse=True)


def _int(raw: str | None, default: int) -> int:
    text = (raw or "").strip()
    if text.startswith("-") and text[1:].isascii() and text[1:].isdigit():
        return -int(text[1:])
    return int(text) if text.isascii() and text.isdigit() else default
