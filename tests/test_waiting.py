"""`wait_until_set`: a loop around it stops when its task is cancelled, whatever else happens then."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from bot.waiting import wait_until_set


async def looping_task(wait: Callable[[asyncio.Event], Awaitable[object]], event: asyncio.Event) -> None:
    while True:
        event.clear()
        await wait(event)


async def test_set_in_time_and_not() -> None:
    event = asyncio.Event()
    assert await wait_until_set(event, 0.01) is False
    asyncio.get_running_loop().call_later(0.01, event.set)
    assert await wait_until_set(event, 5) is True


async def test_a_cancel_that_arrives_as_the_event_is_set_stops_the_loop() -> None:
    """The feed's delivery loop hung a shutdown this way (found by the e2e feed tests under load)."""
    event = asyncio.Event()
    task = asyncio.create_task(looping_task(lambda e: wait_until_set(e, 60), event))
    await asyncio.sleep(0)  # the task is waiting now
    event.set()
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=2)
    assert task in done and task.cancelled()


@pytest.mark.skipif("sys.version_info >= (3, 12)", reason="fixed in Python 3.12")
async def test_asyncio_wait_for_loses_that_cancel_on_this_python() -> None:
    """Why `wait_until_set` exists: the same loop over `asyncio.wait_for` does not stop."""
    event = asyncio.Event()
    task = asyncio.create_task(looping_task(lambda e: asyncio.wait_for(e.wait(), 60), event))
    await asyncio.sleep(0)
    event.set()
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=0.2)
    assert task not in done
    task.cancel()
    await asyncio.wait({task}, timeout=2)
