"""Waiting for an event with a time limit, in loops that must stop when their task is cancelled."""

from __future__ import annotations

import asyncio


async def wait_until_set(event: asyncio.Event, seconds: float) -> bool:
    """True if `event` is set within `seconds`, False if the time ran out.

    `asyncio.timeout`, not `asyncio.wait_for`: on Python 3.11, `wait_for` loses a cancellation that
    arrives as the event is set, so a loop around it goes on after its task was cancelled (and whoever
    awaits that task waits for ever)."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True
