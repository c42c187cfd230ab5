"""INTERACTION_CREATE payloads as Discord builds them: slash commands, autocomplete, component clicks.

Every builder takes who sends it and from where: `user_id`, `username`, `guild_id` (None: a DM),
`locale` and `guild_locale`, the member's `permissions`, `context` (where it was used) and
`user_install` (authorised by the member's own install of the app rather than the server's).
"""

from __future__ import annotations

import copy
import enum
import secrets
from dataclasses import dataclass
from typing import Any

from discord import AppCommandOptionType, AppCommandType, ComponentType, InteractionType, Locale, MessageType

from bot.sandbox.fake_discord.errors import JSON
from bot.sandbox.fake_discord.ids import DEFAULT_CHANNEL_ID, DEFAULT_GUILD_ID, DEFAULT_USER_ID, Snowflakes
from bot.sandbox.fake_discord.limits import SELECT_TYPES
from bot.sandbox.fake_discord.messages import bot_user_json, new_message, user_json

_GROUP_OPTION_TYPES = (AppCommandOptionType.subcommand.value, AppCommandOptionType.subcommand_group.value)
_JOINED_AT = "2024-01-01T00:00:00+00:00"


class InteractionContextType(enum.IntEnum):
    """Where an interaction was used (Discord's names; discord.py has no enum for these values)."""

    GUILD = 0
    BOT_DM = 1
    PRIVATE_CHANNEL = 2  # a DM or group DM between members, through a user-installed app


class IntegrationType(enum.IntEnum):
    """How an app was installed: `authorizing_integration_owners` keys and a command's `integration_types`."""

    GUILD_INSTALL = 0
    USER_INSTALL = 1


@dataclass(frozen=True)
class _Origin:
    """Who sends an interaction, and from where."""

    user_id: int
    username: str
    guild_id: int | None
    channel_id: int
    locale: str
    guild_locale: str
    permissions: int
    context: InteractionContextType
    user_install: bool


class InteractionPayloads:
    """Payload builders, mixed into FakeDiscord (which holds the attributes declared here)."""

    application_id: int
    bot_user_id: int
    bot_username: str
    ids: Snowflakes
    commands: dict[int | None, list[dict[str, Any]]]
    messages: dict[str, dict[str, Any]]

    def slash_payload(
        self,
        name: str,
        options: list[dict[str, Any]] | None = None,
        *,
        user_id: int = DEFAULT_USER_ID,
        username: str = "member",
        guild_id: int | None = DEFAULT_GUILD_ID,
        subcommand: str | None = None,
        channel_id: int = DEFAULT_CHANNEL_ID,
        locale: str = "en-US",
        guild_locale: str = "en-US",
        permissions: int = 0,
        context: InteractionContextType | None = None,
        user_install: bool = False,
    ) -> dict[str, Any]:
        """A valid INTERACTION_CREATE (type 2, chat input); guild_id=None builds a DM interaction."""
        origin = _origin(
            user_id, username, guild_id, channel_id, locale, guild_locale, permissions, context, user_install
        )
        opts = copy.deepcopy(options or [])
        if subcommand is not None:
            opts = [{"name": subcommand, "type": AppCommandOptionType.subcommand.value, "options": opts}]
        data: JSON = {
            "id": self._command_id_for(name, guild_id),
            "name": name,
            "type": AppCommandType.chat_input.value,
            "options": opts,
        }
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        resolved = _resolved(opts, origin)
        if resolved:
            data["resolved"] = resolved
        return self._base_payload(InteractionType.application_command, data, origin)

    def autocomplete_payload(
        self,
        name: str,
        options: list[dict[str, Any]],
        *,
        focused: str,
        user_id: int = DEFAULT_USER_ID,
        username: str = "member",
        guild_id: int | None = DEFAULT_GUILD_ID,
        subcommand: str | None = None,
        channel_id: int = DEFAULT_CHANNEL_ID,
        locale: str = "en-US",
        guild_locale: str = "en-US",
        permissions: int = 0,
        context: InteractionContextType | None = None,
        user_install: bool = False,
    ) -> dict[str, Any]:
        """A valid autocomplete interaction (type 4) with `focused: true` on option `focused`."""
        payload = self.slash_payload(
            name, options, user_id=user_id, username=username, guild_id=guild_id, subcommand=subcommand,
            channel_id=channel_id, locale=locale, guild_locale=guild_locale, permissions=permissions,
            context=context, user_install=user_install,
        )  # fmt: skip
        payload["type"] = InteractionType.autocomplete.value
        if not _mark_focused(payload["data"]["options"], focused):
            raise ValueError(f"no option named {focused!r} to focus")
        return payload

    def component_payload(
        self,
        message: dict[str, Any],
        custom_id: str,
        *,
        user_id: int = DEFAULT_USER_ID,
        username: str = "member",
        guild_id: int | None = DEFAULT_GUILD_ID,
        values: list[str] | None = None,
        locale: str = "en-US",
        guild_locale: str = "en-US",
        permissions: int = 0,
        context: InteractionContextType | None = None,
        user_install: bool = False,
    ) -> dict[str, Any]:
        """A valid component interaction (type 3) for a click on `custom_id` in `message`.

        The component must be on the message as the fake holds it now; see `click_payload` otherwise.
        """
        current = copy.deepcopy(self.messages.get(str(message["id"]), message))
        component = _find_component(current.get("components") or [], custom_id)
        if component is None:
            raise ValueError(f"message {message['id']} has no component with custom_id {custom_id!r}")
        channel_id = int(current.get("channel_id") or DEFAULT_CHANNEL_ID)
        origin = _origin(
            user_id, username, guild_id, channel_id, locale, guild_locale, permissions, context, user_install
        )
        return self._click(current, custom_id, int(component["type"]), values, origin)

    def click_payload(
        self,
        custom_id: str,
        *,
        message_id: int | str | None = None,
        component_type: int = ComponentType.button.value,
        values: list[str] | None = None,
        user_id: int = DEFAULT_USER_ID,
        username: str = "member",
        guild_id: int | None = DEFAULT_GUILD_ID,
        channel_id: int = DEFAULT_CHANNEL_ID,
        locale: str = "en-US",
        guild_locale: str = "en-US",
        permissions: int = 0,
        context: InteractionContextType | None = None,
        user_install: bool = False,
    ) -> dict[str, Any]:
        """A click on ANY `custom_id`, on any message: one the fake holds (by `message_id`), or else a
        bot message it never saw, such as one sent before a restart. The bot must still answer it."""
        mid = str(message_id) if message_id is not None else self.ids.next()
        known = self.messages.get(mid)
        if known is not None:
            message = copy.deepcopy(known)
            channel_id = int(message.get("channel_id") or channel_id)
        else:
            message = self._earlier_bot_message(mid, channel_id, custom_id, component_type, values or [])
        origin = _origin(
            user_id, username, guild_id, channel_id, locale, guild_locale, permissions, context, user_install
        )
        return self._click(message, custom_id, component_type, values, origin)

    # ------------------------------------------------------------------ parts

    def _click(
        self, message: JSON, custom_id: str, component_type: int, values: list[str] | None, origin: _Origin
    ) -> JSON:
        data: JSON = {"custom_id": custom_id, "component_type": component_type}
        if component_type in SELECT_TYPES:
            data["values"] = list(values or [])
        payload = self._base_payload(InteractionType.component, data, origin)
        payload["message"] = message
        return payload

    def _earlier_bot_message(
        self, message_id: str, channel_id: int, custom_id: str, component_type: int, values: list[str]
    ) -> JSON:
        """A bot message with one component, `custom_id`, as the member's client still shows it."""
        author = bot_user_json(self.bot_user_id, self.bot_username)
        message = new_message(
            message_id,
            str(channel_id),
            author,
            message_type=MessageType.chat_input_command.value,
            flags=0,
        )
        component: JSON = {"type": component_type, "custom_id": custom_id}
        if component_type == ComponentType.button.value:
            component.update(style=2, label="Button")
        elif component_type == ComponentType.select.value:
            component["options"] = [{"label": v, "value": v} for v in values]
        message["components"] = [{"type": ComponentType.action_row.value, "components": [component]}]
        message["application_id"] = str(self.application_id)
        message["webhook_id"] = str(self.application_id)
        return message

    def _command_id_for(self, name: str, guild_id: int | None) -> str:
        for scope in (guild_id, None):
            for cmd in self.commands.get(scope, []):
                if cmd.get("name") == name and cmd.get("type", 1) == AppCommandType.chat_input.value:
                    return str(cmd["id"])
        return self.ids.stable((guild_id, AppCommandType.chat_input.value, name))

    def _base_payload(self, kind: InteractionType, data: JSON, origin: _Origin) -> JSON:
        iid = self.ids.next()
        user = user_json(origin.user_id, origin.username)
        payload: JSON = {
            "id": iid,
            "application_id": str(self.application_id),
            "type": kind.value,
            "token": f"fake-interaction-{iid}-{secrets.token_urlsafe(24)}",
            "version": 1,
            "attachment_size_limit": 10 * 1024 * 1024,
            "app_permissions": "2248473465835073",
            "entitlements": [],
            "authorizing_integration_owners": _owners(origin),
            "locale": origin.locale,
            "channel_id": str(origin.channel_id),
            "context": origin.context.value,
            "data": data,
        }
        if origin.guild_id is None:
            payload["user"] = user
            payload["channel"] = {"id": str(origin.channel_id), "type": 1, "recipients": [user], "flags": 0}
            return payload
        guild_id = str(origin.guild_id)
        payload["guild_id"] = guild_id
        payload["guild_locale"] = origin.guild_locale
        payload["guild"] = {"id": guild_id, "locale": origin.guild_locale, "features": []}
        payload["channel"] = _guild_channel(origin.channel_id, guild_id, "general")
        payload["member"] = {
            "user": user,
            "roles": [],
            "flags": 0,
            "joined_at": _JOINED_AT,
            "premium_since": None,
            "nick": None,
            "avatar": None,
            "permissions": str(origin.permissions),
            "deaf": False,
            "mute": False,
            "pending": False,
            "communication_disabled_until": None,
        }
        return payload


def _origin(
    user_id: int,
    username: str,
    guild_id: int | None,
    channel_id: int,
    locale: str,
    guild_locale: str,
    permissions: int,
    context: InteractionContextType | None,
    user_install: bool,
) -> _Origin:
    """Check that the origin is one Discord can produce."""
    for value in (locale, guild_locale):
        try:
            Locale(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a locale Discord sends") from None
    where = context if context is not None else (
        InteractionContextType.GUILD if guild_id is not None else InteractionContextType.BOT_DM
    )  # fmt: skip
    if (where is InteractionContextType.GUILD) != (guild_id is not None):
        raise ValueError(f"context {where.name} needs guild_id {'set' if guild_id is None else '=None'}")
    if where is InteractionContextType.PRIVATE_CHANNEL and not user_install:
        raise ValueError("only a user-installed app can be used in a private channel: pass user_install=True")
    return _Origin(
        user_id, username, guild_id, channel_id, locale, guild_locale, permissions, where, user_install
    )


def _owners(origin: _Origin) -> JSON:
    """`authorizing_integration_owners`: the member for a user install, else the server (none in DMs)."""
    if origin.user_install:
        return {str(IntegrationType.USER_INSTALL.value): str(origin.user_id)}
    if origin.guild_id is None:
        return {}
    return {str(IntegrationType.GUILD_INSTALL.value): str(origin.guild_id)}


def _guild_channel(channel_id: int, guild_id: str, name: str) -> JSON:
    return {
        "id": str(channel_id),
        "type": 0,
        "guild_id": guild_id,
        "name": name,
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "topic": None,
        "rate_limit_per_user": 0,
        "last_message_id": None,
        "flags": 0,
    }


def _resolved(options: list[JSON], origin: _Origin) -> JSON:
    """`resolved` data for user (type 6) and channel (type 7) options, which discord.py needs."""
    users: JSON = {}
    members: JSON = {}
    channels: JSON = {}
    stack = list(options)
    while stack:
        option = stack.pop()
        stack.extend(option.get("options") or [])
        if "value" not in option:
            continue
        if option.get("type") == AppCommandOptionType.user.value:
            uid = str(option["value"])
            users[uid] = user_json(int(uid), f"user{uid[-4:]}")
            members[uid] = {
                "roles": [],
                "flags": 0,
                "joined_at": _JOINED_AT,
                "nick": None,
                "avatar": None,
                "permissions": "0",
                "pending": False,
            }
        elif option.get("type") == AppCommandOptionType.channel.value and origin.guild_id is not None:
            cid = str(option["value"])
            channel = _guild_channel(int(cid), str(origin.guild_id), f"channel{cid[-4:]}")
            channels[cid] = {**channel, "permissions": str(origin.permissions)}
    resolved: JSON = {}
    if users:
        resolved["users"] = users
        if origin.guild_id is not None:
            resolved["members"] = members
    if channels:
        resolved["channels"] = channels
    return resolved


def _mark_focused(options: list[JSON], name: str) -> bool:
    for option in options:
        if option.get("type") in _GROUP_OPTION_TYPES and _mark_focused(option.get("options") or [], name):
            return True
        if option.get("name") == name and option.get("type") not in _GROUP_OPTION_TYPES:
            option["focused"] = True
            return True
    return False


def _find_component(components: list[Any], custom_id: str) -> JSON | None:
    for comp in components:
        if not isinstance(comp, dict):
            continue
        if comp.get("custom_id") == custom_id:
            return comp
        found = _find_component([*(comp.get("components") or []), comp.get("accessory")], custom_id)
        if found is not None:
            return found
    return None
