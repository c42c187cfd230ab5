"""The catalogue's refresh against real storage (SQLite and PostgreSQL) and the fake RetroAchievements:
when it asks, what it keeps when answers go bad, and how several processes share one copy."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass

import pytest

from bot.background import BackgroundWrites
from bot.catalogue.refresh import CatalogueRefresher, plausible
from bot.catalogue.service import Catalogue
from bot.ra.client import RAClient
from bot.sandbox.fake_ra import FakeRA, demo_dataset
from bot.storage import Storage
from tests.test_ra_client import KEY, fast_options
from tests.test_storage import Backend, backend, db_path, postgres_database, postgres_url  # noqa: F401

HOUR = 3600.0
CONSOLES = 8  # in the demo dataset


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Process:
    """What one bot process runs for its catalogue."""

    storage: Storage
    catalogue: Catalogue
    refresher: CatalogueRefresher


@pytest.fixture
async def fake() -> AsyncIterator[FakeRA]:
    async with FakeRA(demo_dataset(), api_key=KEY) as server:
        yield server


@pytest.fixture
async def processes(
    backend: Backend,  # noqa: F811
    fake: FakeRA,
) -> AsyncIterator[Callable[[Clock], Awaitable[Process]]]:
    async with AsyncExitStack() as stack:

        async def start(clock: Clock) -> Process:
            storage = backend.new()
            await storage.open()
            stack.push_async_callback(storage.close)
            client = RAClient(fast_options(fake.base_url))
            stack.push_async_callback(client.close)
            catalogue = Catalogue(storage, client, BackgroundWrites())
            refresher = CatalogueRefresher(
                catalogue, storage, client, retry_seconds=0.05, follow_seconds=0.02, clock=clock
            )
            await refresher.start()
            stack.push_async_callback(refresher.close)
            await asyncio.wait_for(refresher.first_pass.wait(), 10)
            return Process(storage, catalogue, refresher)

        yield start


async def eventually(check: Callable[[], bool]) -> None:
    for _ in range(500):
        if check():
            return
        await asyncio.sleep(0.01)
    pytest.fail("never happened")


def test_a_console_never_loses_all_or_most_of_its_games_at_once() -> None:
    assert plausible(0, 0) and plausible(0, 500) and plausible(3, 1) and plausible(19, 2)
    assert plausible(100, 50) and plausible(100, 400)
    assert not plausible(5, 0)
    assert not plausible(100, 49)


async def test_a_fresh_catalogue_is_not_asked_for_again_until_it_is_due(
    processes: Callable[[Clock], Awaitable[Process]], fake: FakeRA
) -> None:
    clock = Clock()
    process = await processes(clock)
    assert fake.count("API_GetConsoleIDs") == 1
    assert fake.count("API_GetGameList") == CONSOLES
    assert len(process.catalogue.index) == 11 and process.catalogue.filled
    assert process.refresher.last is not None and process.refresher.last.next_in == pytest.approx(24 * HOUR)

    clock.now += 23 * HOUR
    report = await process.refresher.refresh_now()
    assert (report.requests, report.failures) == (0, [])
    assert report.next_in == pytest.approx(HOUR)

    fake.dataset.games[3].title = "Streets of Rage 2: Remastered"
    clock.now += 2 * HOUR
    report = await process.refresher.refresh_now()
    assert (report.requests, report.replaced) == (1 + CONSOLES, CONSOLES)
    game = process.catalogue.index.get(3)
    assert game is not None and game.title == "Streets of Rage 2: Remastered"


async def test_a_shrinking_console_keeps_its_games_and_is_tried_again(
    processes: Callable[[Clock], Awaitable[Process]], fake: FakeRA
) -> None:
    process = await processes(Clock())
    for game_id in (1, 2, 3):
        del fake.dataset.games[game_id]  # console 1 would be left with no game
    report = await process.refresher.refresh_now(force=True)
    assert report.failures == ["Genesis/Mega Drive (listed 0 games where it had 3; kept those)"]
    assert report.next_in == pytest.approx(0.05)
    assert process.catalogue.index.get(1) is not None


async def test_one_process_refreshes_and_the_others_read(
    processes: Callable[[Clock], Awaitable[Process]], fake: FakeRA
) -> None:
    clock = Clock()
    first = await processes(clock)
    second = await processes(clock)
    third = await processes(clock)
    assert [p.refresher.leading for p in (first, second, third)] == [True, False, False]
    assert fake.count("API_GetGameList") == CONSOLES  # one process asked; the others read its copy
    await eventually(lambda: len(second.catalogue.index) == len(third.catalogue.index) == 11)

    fake.dataset.games[5].title = "Pixel Quest DX"
    clock.now += 25 * HOUR
    first.refresher.wake()
    await eventually(lambda: fake.count("API_GetGameList") == 2 * CONSOLES)
    await eventually(
        lambda: (game := third.catalogue.index.get(5)) is not None and game.title == "Pixel Quest DX"
    )
    assert fake.count("API_GetConsoleIDs") == 2  # still only the first process asks


async def test_when_the_refreshing_process_dies_another_takes_over(
    processes: Callable[[Clock], Awaitable[Process]], fake: FakeRA
) -> None:
    clock = Clock()
    first = await processes(clock)
    second = await processes(clock)
    assert not second.refresher.leading
    await first.refresher.close()
    await first.storage.close()  # the process is gone, and its lease with it
    await eventually(lambda: second.refresher.leading)
    assert fake.count("API_GetGameList") == CONSOLES  # the copy was fresh: nothing asked again
    clock.now += 25 * HOUR
    second.refresher.wake()
    await eventually(lambda: fake.count("API_GetGameList") == 2 * CONSOLES)


async def test_learned_games_reach_storage_and_other_processes(
    processes: Callable[[Clock], Awaitable[Process]], fake: FakeRA
) -> None:
    clock = Clock()
    first = await processes(clock)
    second = await processes(clock)
    infos = await second.catalogue.get_games([4, 1, 15934])
    assert [None if info is None else info.title for info in infos.values()] == [
        "Homebrew Test Cart",
        "Sonic the Hedgehog",
        None,
    ]
    assert fake.count("API_GetGame") == 2
    await eventually(lambda: second.catalogue.learned == 1)
    await asyncio.sleep(0.1)
    await first.catalogue.reload_if_changed()
    game = first.catalogue.index.get(4)
    assert game is not None and game.title == "Homebrew Test Cart"
