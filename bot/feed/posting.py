"""Posting a feed message into a channel, and what Discord's answer means for the feed.

`enforce_nonce`: discord.py 2.7 sends it whenever a nonce is given, so a post retried after its
acknowledgement was lost (a crash, a dropped connection) is answered with the earlier message, not made
twice. Mentions ping no one. Discord's 429s are waited out by discord.py itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import aiohttp
import discord

from bot.i18n.language import Message, msg, msg_p
from bot.render.feed import FeedMessage
from bot.render.text import channel_mention

POSTED = "posted"
REFUSED = "refused"  # the channel refuses every post: pause the feed
INVALID = "invalid"  # Discord refused this message itself: drop it
FAILED = "failed"  # may work later: retry at the next poll

#: Discord's names of the permissions a feed needs (a context of their own: Discord's words in each language).
VIEW_CHANNEL = "View Channel"
SEND_MESSAGES = "Send Messages"
EMBED_LINKS = "Embed Links"
_PERMISSIONS = {
    VIEW_CHANNEL: msg_p("permission", "View Channel"),
    SEND_MESSAGES: msg_p("permission", "Send Messages"),
    EMBED_LINKS: msg_p("permission", "Embed Links"),
}


@dataclass(frozen=True)
class PostResult:
    outcome: str
    message_id: int | None = None
    embeds_dropped: bool = False  # posted, but without its embeds: the bot lacks Embed Links there
    reason: Message | None = None  # why it was not posted, for the admins (and, in English, the log)


class Poster(Protocol):
    async def post(self, channel_id: int, message: FeedMessage, nonce: str | None) -> PostResult: ...


def missing_permission(permission: str, channel_id: int) -> Message:
    return msg(
        "missing permission: {permission} in {channel}",
        permission=_PERMISSIONS[permission],
        channel=channel_mention(channel_id),
    )


def channel_gone(channel_id: int) -> Message:
    return msg(
        "the channel {channel} no longer exists (it was deleted, or the bot is not in it)",
        channel=channel_mention(channel_id),
    )


def http_failure(status: int) -> Message:
    return msg("Discord answered HTTP {status} to a post", status=str(status))


class DiscordPoster:
    """Posts through the bot's own REST client; any channel of any server the bot is in, any shard."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def post(self, channel_id: int, message: FeedMessage, nonce: str | None) -> PostResult:
        channel = self._client.get_partial_messageable(channel_id)
        content, embeds, no_pings = message.content, message.embeds, discord.AllowedMentions.none()
        try:
            if nonce is None:
                sent = await channel.send(content, embeds=embeds, allowed_mentions=no_pings)
            else:
                sent = await channel.send(content, embeds=embeds, allowed_mentions=no_pings, nonce=nonce)
        except discord.Forbidden as error:
            if error.code == 50001:
                return PostResult(REFUSED, reason=missing_permission(VIEW_CHANNEL, channel_id))
            if error.code == 50013:
                return PostResult(REFUSED, reason=missing_permission(SEND_MESSAGES, channel_id))
            return PostResult(
                REFUSED,
                reason=msg(
                    "Discord refused to post in {channel} ({code})",
                    channel=channel_mention(channel_id),
                    code=str(error.code),
                ),
            )
        except discord.NotFound:
            return PostResult(REFUSED, reason=channel_gone(channel_id))
        except discord.DiscordServerError as error:
            return PostResult(FAILED, reason=http_failure(error.status))
        except discord.HTTPException as error:
            if error.status == 400:
                text = (error.text or "").replace("\n", " ")[:200]
                return PostResult(
                    INVALID,
                    reason=msg("Discord refused a post ({code}: {text})", code=str(error.code), text=text),
                )
            return PostResult(FAILED, reason=http_failure(error.status))
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            return PostResult(
                FAILED, reason=msg("could not reach Discord ({error})", error=type(error).__name__)
            )
        dropped = bool(message.embeds) and not sent.embeds
        return PostResult(POSTED, message_id=sent.id, embeds_dropped=dropped)
