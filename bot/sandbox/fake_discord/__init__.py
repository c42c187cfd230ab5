"""A strict fake Discord (REST + gateway, one aiohttp app on 127.0.0.1) for tests, demo and benchmarks.

Modules by concern:
- `server`: FakeDiscord, the app and everything it holds
- `gateway`: the websocket (HELLO, IDENTIFY, READY, RESUME), shards, disconnects
- `rest`: the REST plumbing (recording, injected faults and 429s, routing)
- `application`, `interactions`, `channels`: the REST routes, by what they serve
- `payloads`: INTERACTION_CREATE payloads (slash commands, autocomplete, clicks)
- `limits`: Discord's limits on what the bot sends
- `recording`: what the fake saw (requests, interactions and their events)
- `messages`, `errors`, `ids`: message objects, error bodies, snowflakes
"""

from bot.sandbox.fake_discord.channels import ChannelError, FakeChannel
from bot.sandbox.fake_discord.ids import (
    DEFAULT_CHANNEL_ID,
    DEFAULT_GUILD_ID,
    DEFAULT_USER_ID,
    guild_for_shard,
)
from bot.sandbox.fake_discord.limits import validate_message
from bot.sandbox.fake_discord.payloads import IntegrationType, InteractionContextType
from bot.sandbox.fake_discord.recording import (
    FakeInteraction,
    InteractionCounts,
    InteractionEvent,
    RecordedRequest,
)
from bot.sandbox.fake_discord.server import FakeDiscord

__all__ = [
    "DEFAULT_CHANNEL_ID",
    "DEFAULT_GUILD_ID",
    "DEFAULT_USER_ID",
    "ChannelError",
    "FakeChannel",
    "FakeDiscord",
    "FakeInteraction",
    "IntegrationType",
    "InteractionContextType",
    "InteractionCounts",
    "InteractionEvent",
    "RecordedRequest",
    "guild_for_shard",
    "validate_message",
]
