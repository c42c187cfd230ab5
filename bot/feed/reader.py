"""Reading the site's awards newest first, only as far back as needed.

Pages of 100 are read until one reaches back to `stop_before` (everything after that time has then
been seen) or the list ends. While awards arrive, later pages shift: an award may show up twice (kept once,
by its key), never not at all. Awards older than `keep_from` are not returned. So a quiet minute costs
one request, and the cost grows with the awards the whole site grants, not with the members followed.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from bot.ra.awards import MAX_PAGE, GameAward
from bot.ra.client import RAClient

log = logging.getLogger(__name__)

#: A catch-up reads at most this many pages (100,000 awards, weeks of the whole site) in one poll.
MAX_PAGES = 1000


@dataclass(frozen=True)
class AwardsRead:
    awards: list[GameAward]  # newest first, each once
    newest: datetime | None  # the newest award seen, if any
    requests: int
    rows: int  # rows read, repeats and skipped ones included


async def read_awards(
    ra: RAClient,
    *,
    stop_before: datetime,
    keep_from: datetime,
    kinds: Collection[str] = (),
    max_pages: int = MAX_PAGES,
) -> AwardsRead:
    """The awards from `keep_from` on, reading pages until one reaches back to `stop_before`."""
    found: dict[str, GameAward] = {}
    newest: datetime | None = None
    requests = rows = offset = 0
    while True:
        page = await ra.get_recent_game_awards(offset=offset, count=MAX_PAGE, kinds=kinds)
        requests += 1
        rows += page.rows
        for award in page.awards:
            if newest is None or award.awarded_at > newest:
                newest = award.awarded_at
            if award.awarded_at >= keep_from:
                found.setdefault(award.key, award)
        if page.skipped:
            log.warning("Feed: skipped %d award(s) of an unexpected shape", page.skipped)
        if page.rows < MAX_PAGE:
            break  # the end of the list
        if page.awards and page.awards[-1].awarded_at <= stop_before:
            break
        if requests >= max_pages:
            log.warning("Feed: stopped reading after %d pages; older awards are skipped", requests)
            break
        offset += page.rows
    ordered = sorted(found.values(), key=lambda a: (a.awarded_at, a.key), reverse=True)
    return AwardsRead(ordered, newest, requests, rows)
