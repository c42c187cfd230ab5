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
from bot.feed.reasons import decode_reason
from bot.i18n.language import ENGLISH, N_, Language, command
from bot.ra.awards import BEATEN_HARDCORE, BEATEN_SOFTCORE, COMPLETED, MASTERED, GameAward
from bot.ra.models import SITE_BASE_URL
from bot.render.style import BEATEN_ICON, COMPLETED_ICON, EMBED_COLOUR, FOOTER, MASTERED_ICON
from bot.render.style import COMPLETED as COMPLETED_WORD
from bot.render.style import MASTERED as MASTERED_WORD
from bot.render.text import channel_mention, safe_markdown, shorten

MAX_EMBEDS = 10
MAX_EMBED_CHARS = 600
TITLE_LIMIT = 200
CONSOLE_LIMIT = 60
#: Each kind: its mark, its heading, the line that announces one award, its colour.
HEADINGS = {
    MASTERED: (MASTERED_ICON, MASTERED_WORD, N_("{member} mastered **{game}**!"), EMBED_COLOUR),
    COMPLETED: (COMPLETED_ICON, COMPLETED_WORD, N_("{member} completed **{game}**!"), 0x3BA55C),
    BEATEN_HARDCORE: (
        BEATEN_ICON,
        N_("Beaten in hardcore"),
        N_("{member} beat **{game}** in hardcore!"),
        0xD9534F,
    ),
    BEATEN_SOFTCORE: (
        BEATEN_ICON,
        N_("Beaten in softcore"),
        N_("{member} beat **{game}** in softcore!"),
        0x7289DA,
    ),
}
STATUS_TITLE = N_("Award feed")
REASON_LIMIT = 300


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


def render_feed_message(items: Sequence[FeedItem], language: Language = ENGLISH) -> FeedMessage:
    """One post for 1 to 10 awards, in the server's language: a line naming who earned what, and an
    embed per award."""
    if not 1 <= len(items) <= MAX_EMBEDS:
        raise ValueError(f"a feed post holds 1 to {MAX_EMBEDS} awards, not {len(items)}")
    if len(items) == 1:
        item = items[0]
        _, _, line, _ = HEADINGS[item.award.kind]
        title = safe_markdown(item.award.game_title, TITLE_LIMIT)
        member = f"<@{item.member_id}>"
        content = language.t(line, member=member, game=title)
    else:
        members = ", ".join(f"<@{member}>" for member in dict.fromkeys(i.member_id for i in items))
        content = language.tn(
            "**{n} new award** for {members}", "**{n} new awards** for {members}", len(items), members=members
        )
    return FeedMessage(content, [award_embed(item, language) for item in items])


def award_embed(item: FeedItem, language: Language = ENGLISH) -> discord.Embed:
    award = item.award
    emoji, heading, _, colour = HEADINGS[award.kind]
    title = safe_markdown(award.game_title, TITLE_LIMIT) or language.t("Game #{id}", id=str(award.game_id))
    description = f"<@{item.member_id}>"
    if award.console_name:
        description += f" · {safe_markdown(award.console_name, CONSOLE_LIMIT)}"
    embed = discord.Embed(
        title=f"{emoji} {language.t(heading)}: {title}",
        url=award.game_url,
        description=description,
        colour=colour,
        timestamp=award.awarded_at,
    )
    embed.set_author(name=award.user, url=f"{SITE_BASE_URL}/user/{award.user}", icon_url=award.avatar_url)
    if item.icon_url:
        embed.set_thumbnail(url=item.icon_url)
    embed.set_footer(text=language.t(FOOTER))
    return embed


def render_welcome(kinds: frozenset[str], language: Language = ENGLISH) -> FeedMessage:
    """The post that opens a feed in its channel, in the server's language (it also proves the bot may
    post embeds there)."""
    embed = discord.Embed(
        title=language.t(STATUS_TITLE),
        description=language.t(
            "Awards of this server's members are announced here: {kinds}.\n"
            "Members take part by linking their RetroAchievements account with `/{link}`; awards earned "
            "after that are posted within minutes. `/{unlink}` stops it.",
            kinds=describe(kinds, language),
            link=command("link"),
            unlink=command("unlink"),
        ),
        colour=EMBED_COLOUR,
    )
    embed.set_footer(text=language.t(FOOTER))
    return FeedMessage(language.t("📣 This channel now announces RetroAchievements awards."), [embed])


@dataclass(frozen=True)
class FeedStatusView:
    """What `/feed status` shows about a server's feed (reasons as stored: see bot.feed.reasons)."""

    channel_id: int
    kinds: frozenset[str]
    paused_reason: str | None
    last_checked: datetime | None
    last_post: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    posted_last_day: int


def render_status(status: FeedStatusView, language: Language = ENGLISH) -> discord.Embed:
    """`/feed status` in the admin's language."""
    t = language.t
    channel = channel_mention(status.channel_id)
    lines = []
    if status.paused_reason is None:
        lines.append(t("**Posting in** {channel}", channel=channel))
    else:
        lines.append(
            t(
                "**Paused**: {reason}\nTo resume, fix that, then use `/{feed_set}` again. "
                "(It posts in {channel}.)",
                reason=_reason(status.paused_reason, language),
                feed_set=_feed_set(language),
                channel=channel,
            )
        )
    lines.append(t("**Kinds**: {kinds}", kinds=describe(status.kinds, language)))
    not_yet, none_yet = t("not yet"), t("none yet")
    lines.append(t("**Last checked**: {when}", when=_when(status.last_checked, not_yet)))
    lines.append(t("**Last post**: {when}", when=_when(status.last_post, none_yet)))
    lines.append(
        language.tn(
            "**Posted in the last 24 hours**: {n} award",
            "**Posted in the last 24 hours**: {n} awards",
            status.posted_last_day,
        )
    )
    if status.last_error is None:
        lines.append(t("**Last error**: none"))
    else:
        unknown = t("at an unknown time")
        lines.append(
            t(
                "**Last error**: {reason} ({when})",
                reason=_reason(status.last_error, language),
                when=_when(status.last_error_at, unknown),
            )
        )
    return discord.Embed(title=t(STATUS_TITLE), description="\n".join(lines), colour=EMBED_COLOUR)


def _feed_set(language: Language) -> str:
    """`feed set` as members of the language type it."""
    return f"{language.render(command('feed'))} {language.render(command('set'))}"


def _reason(stored: str, language: Language) -> str:
    """The bot's own words about a failure (they name channels as <#id>, so they are not escaped)."""
    return shorten(language.render(decode_reason(stored)), REASON_LIMIT)


def _when(moment: datetime | None, otherwise: str) -> str:
    """A moment as Discord shows it to each reader, in their own language and time zone."""
    return otherwise if moment is None else f"<t:{int(moment.timestamp())}:R>"
