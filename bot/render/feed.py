"""Pure rendering of the award feed: the posts in a server's channel, the welcome post and `/feed status`.

A post holds up to 10 awards, one embed each. Every text is cut so that one embed stays under
`MAX_EMBED_CHARS`, so ten of them always fit Discord's 6,000 characters per message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import discord

from bot.feed.kinds import describe
from bot.ra.awards import BEATEN_HARDCORE, BEATEN_SOFTCORE, COMPLETED, MASTERED, GameAward
from bot.ra.models import SITE_BASE_URL
from bot.render.progress import EMBED_COLOUR, FOOTER
from bot.render.text import safe_markdown

MAX_EMBEDS = 10
MAX_EMBED_CHARS = 600
TITLE_LIMIT = 200
CONSOLE_LIMIT = 60
HEADINGS = {
    MASTERED: ("👑", "Mastered", "mastered", EMBED_COLOUR),
    COMPLETED: ("✅", "Completed", "completed", 0x3BA55C),
    BEATEN_HARDCORE: ("🏁", "Beaten in hardcore", "beat", 0xD9534F),
    BEATEN_SOFTCORE: ("🏁", "Beaten in softcore", "beat", 0x7289DA),
}
STATUS_TITLE = "Award feed"
REASON_LIMIT = 300
RESUME = "To resume, fix that, then use `/feed set` again."


@dataclass(frozen=True)
class FeedItem:
    """One award to announce, the member it is about, and its game's icon if known."""

    award: GameAward
    member_id: int
    icon_url: str | None = None


@dataclass(frozen=True)
class FeedMessage:
    content: str
    embeds: list[discord.Embed]


def render_feed_message(items: Sequence[FeedItem]) -> FeedMessage:
    """One post for 1 to 10 awards: a line naming who earned what, and an embed per award."""
    if not 1 <= len(items) <= MAX_EMBEDS:
        raise ValueError(f"a feed post holds 1 to {MAX_EMBEDS} awards, not {len(items)}")
    if len(items) == 1:
        item = items[0]
        _, _, verb, _ = HEADINGS[item.award.kind]
        title = safe_markdown(item.award.game_title, TITLE_LIMIT)
        content = f"<@{item.member_id}> {verb} **{title}**!"
    else:
        members = ", ".join(f"<@{member}>" for member in dict.fromkeys(i.member_id for i in items))
        content = f"**{len(items)} new awards** for {members}"
    return FeedMessage(content, [award_embed(item) for item in items])


def award_embed(item: FeedItem) -> discord.Embed:
    award = item.award
    emoji, heading, _, colour = HEADINGS[award.kind]
    title = safe_markdown(award.game_title, TITLE_LIMIT) or f"Game #{award.game_id}"
    description = f"<@{item.member_id}>"
    if award.console_name:
        description += f" · {safe_markdown(award.console_name, CONSOLE_LIMIT)}"
    embed = discord.Embed(
        title=f"{emoji} {heading}: {title}",
        url=award.game_url,
        description=description,
        colour=colour,
        timestamp=award.awarded_at,
    )
    embed.set_author(name=award.user, url=f"{SITE_BASE_URL}/user/{award.user}", icon_url=award.avatar_url)
    if item.icon_url:
        embed.set_thumbnail(url=item.icon_url)
    embed.set_footer(text=FOOTER)
    return embed


def render_welcome(kinds: frozenset[str]) -> FeedMessage:
    """The post that opens a feed in its channel (it also proves the bot may post embeds there)."""
    embed = discord.Embed(
        title=STATUS_TITLE,
        description=(
            f"Awards of this server's members are announced here: {describe(kinds)}.\n"
            "Members take part by linking their RetroAchievements account with `/link`; awards earned "
            "after that are posted within minutes. `/unlink` stops it."
        ),
        colour=EMBED_COLOUR,
    )
    embed.set_footer(text=FOOTER)
    return FeedMessage("📣 This channel now announces RetroAchievements awards.", [embed])


@dataclass(frozen=True)
class FeedStatusView:
    """What `/feed status` shows about a server's feed."""

    channel_id: int
    kinds: frozenset[str]
    paused_reason: str | None
    last_checked: datetime | None
    last_post: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    posted_last_day: int


def render_status(status: FeedStatusView) -> discord.Embed:
    lines = []
    if status.paused_reason is None:
        lines.append(f"**Posting in** <#{status.channel_id}>")
    else:
        lines.append(
            f"**Paused**: {_cut(status.paused_reason)}\n{RESUME} (It posts in <#{status.channel_id}>.)"
        )
    lines.append(f"**Kinds**: {describe(status.kinds)}")
    lines.append(f"**Last checked**: {_when(status.last_checked, 'not yet')}")
    lines.append(f"**Last post**: {_when(status.last_post, 'none yet')}")
    awards = "award" if status.posted_last_day == 1 else "awards"
    lines.append(f"**Posted in the last 24 hours**: {status.posted_last_day} {awards}")
    if status.last_error is None:
        lines.append("**Last error**: none")
    else:
        when = _when(status.last_error_at, "at an unknown time")
        lines.append(f"**Last error**: {_cut(status.last_error)} ({when})")
    return discord.Embed(title=STATUS_TITLE, description="\n".join(lines), colour=EMBED_COLOUR)


def _cut(reason: str) -> str:
    """The bot's own words about a failure (they name channels as <#id>, so they are not escaped)."""
    return reason if len(reason) <= REASON_LIMIT else reason[: REASON_LIMIT - 1] + "…"


def _when(moment: datetime | None, otherwise: str) -> str:
    return otherwise if moment is None else f"<t:{int(moment.timestamp())}:R>"
