"""Keeps the catalogue filled: on first start, then every `refresh_hours`, in the background.

One process refreshes (the holder of storage's "catalogue" lease; see `Storage.hold_lease`), the others
reload their index when storage's copy changes, and take the lease over when its holder dies. A pass:

1. asks API_GetConsoleIDs for the consoles, when the console list is older than `refresh_hours`;
2. asks API_GetGameList for each console whose games are older than that, one request at a time in the
   rate limiter's background lane (members' commands always go first), and replaces the console's games
   in one transaction, but only with a good answer: an error, `{"success": false}`, an HTML page, a
   truncated or malformed list, or a list that lost most of a console's games leaves the copy as it was;
3. rebuilds the index at the end (and every `INDEX_EVERY_SECONDS` of the first fill, so that titles
   work before it ends).

Every request counts its failures in one warning per pass; failed consoles are retried after
`retry_seconds` (doubling up to `refresh_hours`). A restart finds the copy fresh and asks for nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.catalogue.model import Console, StoredConsole
from bot.catalogue.service import Catalogue
from bot.errors import RAConfigurationError, RAError
from bot.ra.client import RAClient
from bot.storage import Storage, StorageError
from bot.waiting import wait_until_set

log = logging.getLogger(__name__)

LEASE = "catalogue"
DEFAULT_REFRESH_HOURS = 24.0
DEFAULT_RETRY_SECONDS = 600.0
#: How often a process that does not refresh checks storage for a newer copy, and for a dead holder.
DEFAULT_FOLLOW_SECONDS = 60.0
#: During a long pass, the index is rebuilt at most this often so that titles work before it ends.
INDEX_EVERY_SECONDS = 10.0
#: Below this many games, a console may lose any number of them; above it, at most half per refresh.
SHRINK_CHECKED_FROM = 20


@dataclass
class PassReport:
    """What one pass did: requests made, consoles replaced, what failed and why; seconds to the next."""

    requests: int = 0
    replaced: int = 0
    failures: list[str] = field(default_factory=list)
    next_in: float = 0.0


def plausible(previous: int, fresh: int) -> bool:
    """Whether a console's new game count may replace its old one: never all of them gone, and a big
    console never loses more than half at once (a damaged answer is likelier than such a purge)."""
    if previous > 0 and fresh == 0:
        return False
    return not (previous >= SHRINK_CHECKED_FROM and fresh < previous / 2)


class CatalogueRefresher:
    """`await start()` loads the stored copy and starts the loop; `await close()` stops it.

    `refresh_hours` is the `CATALOGUE_REFRESH_HOURS` setting; `clock` gives Unix seconds (tests move it).
    `first_pass` is set once the first pass (or, in a process without the lease, the first look) is done.
    """

    def __init__(
        self,
        catalogue: Catalogue,
        storage: Storage,
        client: RAClient,
        *,
        refresh_hours: float = DEFAULT_REFRESH_HOURS,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
        follow_seconds: float = DEFAULT_FOLLOW_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not refresh_hours > 0:
            raise ValueError("refresh_hours must be greater than 0")
        self.catalogue = catalogue
        self._storage = storage
        self._client = client
        self.interval = refresh_hours * 3600.0
        self._retry_seconds = retry_seconds
        self._follow_seconds = follow_seconds
        self._clock = clock
        self._failed_passes = 0
        self._pass_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self.first_pass = asyncio.Event()
        self.leading = False
        self.last: PassReport | None = None

    async def start(self) -> None:
        """Loads the stored copy (titles work at once after a restart), then refreshes in the background."""
        try:
            await self.catalogue.load()
        except StorageError as error:
            log.warning("Could not read the game catalogue (%s); it will be loaded again later", error)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="catalogue-refresh")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def wake(self) -> None:
        """Runs the next cycle now instead of at its time."""
        self._wake.set()

    async def refresh_now(self, *, force: bool = False) -> PassReport:
        """One pass now, if this process holds the lease (`force`: every console, fresh or not)."""
        if not await self._storage.hold_lease(LEASE):
            return PassReport(failures=["another process refreshes the catalogue"])
        return await self._pass(force=force)

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                delay = await self._cycle()
            except StorageError as error:
                log.warning("Game catalogue: storage failed (%s); trying again later", error)
                delay = self._retry_seconds
            except Exception:
                log.exception("Game catalogue: unexpected failure; trying again later")
                delay = self._retry_seconds
            self.first_pass.set()
            await wait_until_set(self._wake, max(0.01, delay))

    async def _cycle(self) -> float:
        """Refresh if this process holds the lease; otherwise follow the holder's copy."""
        self.leading = await self._storage.hold_lease(LEASE)
        if self.leading:
            return (await self._pass()).next_in
        await self.catalogue.reload_if_changed()
        return self._follow_seconds

    async def _pass(self, *, force: bool = False) -> PassReport:
        async with self._pass_lock:
            report = PassReport()
            now = self._clock()
            consoles = await self._consoles(report, now, force)
            due = [
                c
                for c in consoles
                if force or c.refreshed_at is None or now - c.refreshed_at >= self.interval
            ]
            last_index = time.monotonic()
            stale_index = False
            first_fill = not self.catalogue.filled
            for console in due:
                try:
                    stale_index |= await self._refresh_console(console, report, now)
                except RAConfigurationError:
                    report.failures.append("every console (RetroAchievements refused the API key)")
                    break
                if first_fill and stale_index and time.monotonic() - last_index >= INDEX_EVERY_SECONDS:
                    await self.catalogue.load()
                    last_index, stale_index = time.monotonic(), False
            if stale_index:
                await self.catalogue.load()
            report.next_in = self._next_in(report, await self._storage.catalogue_consoles())
            self._report(report, len(due))
            self.last = report
            return report

    async def _consoles(self, report: PassReport, now: float, force: bool) -> list[StoredConsole]:
        """The stored consoles, after asking for the console list if it is old."""
        stored = await self._storage.catalogue_consoles()
        listed_at = max((console.listed_at for console in stored), default=None)
        if force or listed_at is None or now - listed_at >= self.interval:
            report.requests += 1
            try:
                fresh = await self._client.get_console_ids(background=True)
            except RAConfigurationError:
                report.failures.append("the console list (RetroAchievements refused the API key)")
                return stored
            except RAError as error:
                report.failures.append(f"the console list ({error})")
                return stored
            if not fresh:
                report.failures.append("the console list (it was empty)")
                return stored
            await self._storage.save_catalogue_consoles(fresh, now)
            stored = await self._storage.catalogue_consoles()
        return stored

    async def _refresh_console(self, console: StoredConsole, report: PassReport, now: float) -> bool:
        """Replaces one console's games if RetroAchievements gives a good list; True if it did."""
        report.requests += 1
        try:
            games = await self._client.get_game_list(console.console_id, background=True)
        except RAConfigurationError:
            raise
        except RAError as error:
            report.failures.append(f"{console.name} ({error})")
            return False
        if not plausible(console.game_count, len(games)):
            report.failures.append(
                f"{console.name} (listed {len(games)} games where it had {console.game_count}; kept those)"
            )
            return False
        await self._storage.replace_catalogue_games(
            Console(console.console_id, console.name), games, refreshed_at=now
        )
        report.replaced += 1
        return True

    def _next_in(self, report: PassReport, consoles: list[StoredConsole]) -> float:
        if report.failures:
            self._failed_passes += 1
            return min(self.interval, self._retry_seconds * 2.0 ** (self._failed_passes - 1))
        self._failed_passes = 0
        if not consoles:
            return self._retry_seconds
        last_done = [0.0 if c.refreshed_at is None else c.refreshed_at for c in consoles]
        last_done.append(max(c.listed_at for c in consoles))
        return max(60.0, min(last_done) + self.interval - self._clock())

    def _report(self, report: PassReport, due: int) -> None:
        if report.failures:
            shown = "; ".join(report.failures[:5])
            more = f"; and {len(report.failures) - 5} more" if len(report.failures) > 5 else ""
            log.warning(
                "Game catalogue: %d of %d requests failed, their previous copy is kept (%s%s); "
                "trying again in %.0f min",
                len(report.failures),
                report.requests,
                shown,
                more,
                report.next_in / 60,
            )
        elif report.requests:
            log.info(
                "Game catalogue refreshed: %d console(s), %d games in all", due, len(self.catalogue.index)
            )
