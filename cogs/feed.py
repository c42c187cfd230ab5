"""The award feed: /feed set, /feed off and /feed status for admins, and the poller of this process."""

from __future__ import annotations

from datetime import timedelta

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import ProgressBot
from bot.errors import BotError, InvalidInput
from bot.feed.delivery import Deliverer
from bot.feed.kinds import ALL_KINDS, describe
from bot.feed.lease import lease_ttl, open_lease
from bot.feed.options import feed_options
from bot.feed.poller import FeedPoller, utc_now
from bot.feed.posting import EMBED_LINKS, FAILED, POSTED, DiscordPoster, missing_permission
from bot.feed.service import FeedService
from bot.i18n.interactions import channel_language, member_language
from bot.i18n.language import Message, command, msg
from bot.render.feed import FeedStatusView, render_status, render_welcome
from bot.render.text import channel_mention
from bot.secret import reveal
from bot.transformers import AwardKinds, PostingChannel

FEED, SET = command("feed"), command("set")
NOT_HERE = msg(
    "The award feed belongs to a server: use `/{feed}` in a server the bot was added to.", feed=FEED
)
ADMINS_ONLY = msg("Only members with the Manage Server permission can set up or look at the award feed.")
NO_FEED = msg("This server has no award feed. `/{feed} {set}` starts one.", feed=FEED, set=SET)
NEEDED = msg(
    "Give the bot View Channel, Send Messages and Embed Links there, then use `/{feed} {set}` again.",
    feed=FEED,
    set=SET,
)


class Feed(commands.Cog):
    feed = app_commands.Group(
        name="feed",
        description="Announce members' masteries and beaten games in a channel",
        default_permissions=discord.Permissions(manage_guild=True),
        allowed_contexts=app_commands.AppCommandContext(guild=True),
        allowed_installs=app_commands.AppInstallationType(guild=True),
    )

    def __init__(self, bot: ProgressBot) -> None:
        self.bot = bot
        self.poster = DiscordPoster(bot)
        self.service: FeedService | None = None

    async def cog_load(self) -> None:
        bot, settings = self.bot, self.bot.settings
        options = feed_options(settings)
        ttl = lease_ttl(options.poll_seconds)
        lease, close_lease = await open_lease(reveal(settings.redis_url), reveal(settings.database_url), ttl)
        metrics = bot.metrics.feed
        poller = FeedPoller(bot.ra, bot.storage, lease, metrics, catchup_hours=options.catchup_hours)
        deliverer = Deliverer(
            bot.storage,
            self.poster,
            bot.catalogue,
            metrics,
            clock=utc_now,
            is_leader=lambda: lease.held,
            on_drained=lambda: self.service.wake() if self.service is not None else None,
            locale_of=self._server_locale,
        )
        self.service = FeedService(
            poller,
            deliverer,
            lease,
            bot.storage,
            metrics,
            poll_seconds=options.poll_seconds,
            retry_seconds=ttl / 3,
            retention=timedelta(hours=options.catchup_hours + 1),
            clock=utc_now,
            on_close=close_lease,
        )
        self.service.start()

    def _server_locale(self, guild_id: int) -> str | None:
        """The server's Discord locale, if this process sees the server (feed posts are in it)."""
        guild = self.bot.get_guild(guild_id)
        return None if guild is None else guild.preferred_locale.value

    async def cog_unload(self) -> None:
        if self.service is not None:
            await self.service.stop()

    @feed.command(name="set", description="Post members' awards in a channel, from now on")
    @app_commands.describe(
        channel="The channel to post in",
        kinds="Which awards: mastered, completed, beaten hardcore, beaten softcore (default: all four)",
    )
    async def set_feed(
        self,
        interaction: discord.Interaction[ProgressBot],
        channel: app_commands.Transform[app_commands.AppCommandChannel, PostingChannel],
        kinds: app_commands.Transform[frozenset[str], AwardKinds] | None = None,
    ) -> None:
        guild_id = admin_server(interaction)
        chosen = kinds or ALL_KINDS
        await interaction.response.defer(ephemeral=True, thinking=True)
        welcome = render_welcome(chosen, channel_language(interaction))
        result = await self.poster.post(channel.id, welcome, nonce=None)
        where = channel_mention(channel.id)
        if result.outcome == FAILED:
            raise BotError(
                msg(
                    "Discord did not take the bot's post in {channel} just now. Please try again.",
                    channel=where,
                )
            )
        if result.embeds_dropped:
            reason: Message | None = missing_permission(EMBED_LINKS, channel.id)
        else:
            reason = result.reason
        if result.outcome != POSTED or reason is not None:
            raise InvalidInput(
                msg(
                    "The bot cannot post in {channel}: {reason}. {needed}",
                    channel=where,
                    reason=reason or msg("Discord did not say why"),
                    needed=NEEDED,
                )
            )
        locale = interaction.guild_locale.value if interaction.guild_locale is not None else None
        await self.bot.storage.set_feed(guild_id, channel.id, chosen, locale)
        language = member_language(interaction)
        await interaction.edit_original_response(
            content=language.t(
                "The award feed is on in {channel}: {kinds}. Awards that linked members of this server "
                "earn from now on are posted there. `/{feed} {status}` shows how it goes.",
                channel=where,
                kinds=describe(chosen, language),
                feed=FEED,
                status=command("status"),
            )
        )

    @feed.command(name="off", description="Stop posting members' awards")
    async def feed_off(self, interaction: discord.Interaction[ProgressBot]) -> None:
        guild_id = admin_server(interaction)
        removed = await self.bot.storage.remove_feed(guild_id)
        language = member_language(interaction)
        await interaction.response.send_message(
            language.t(
                "The award feed is off: nothing more is posted. `/{feed} {set}` turns it on again.",
                feed=FEED,
                set=SET,
            )
            if removed
            else language.render(NO_FEED),
            ephemeral=True,
        )

    @feed.command(name="status", description="Where the award feed posts, what it posted, what went wrong")
    async def feed_status(self, interaction: discord.Interaction[ProgressBot]) -> None:
        guild_id = admin_server(interaction)
        status = await self.bot.storage.feed_status(guild_id, utc_now() - timedelta(hours=24))
        language = member_language(interaction)
        if status is None:
            await interaction.response.send_message(language.render(NO_FEED), ephemeral=True)
            return
        settings, cursor = status.settings, status.cursor
        errors = [
            (at, error)
            for at, error in (
                (settings.last_error_at, settings.last_error),
                (cursor.last_error_at, cursor.last_error),
            )
            if error is not None and at is not None
        ]
        last_error_at, last_error = max(errors) if errors else (None, None)
        view = FeedStatusView(
            channel_id=settings.channel_id,
            kinds=settings.kinds,
            paused_reason=settings.paused_reason,
            last_checked=cursor.checked_at,
            last_post=settings.last_post_at,
            last_error=last_error,
            last_error_at=last_error_at,
            posted_last_day=status.posted_since,
        )
        await interaction.response.send_message(embed=render_status(view, language), ephemeral=True)


def admin_server(interaction: discord.Interaction[ProgressBot]) -> int:
    """The server, if the command runs in one the bot is in and the member may manage it."""
    if interaction.guild_id is None or not interaction.is_guild_integration():
        raise InvalidInput(NOT_HERE)
    permissions = interaction.permissions
    if not (permissions.manage_guild or permissions.administrator):
        raise InvalidInput(ADMINS_ONLY)
    return interaction.guild_id


async def setup(bot: ProgressBot) -> None:
    await bot.add_cog(Feed(bot))
