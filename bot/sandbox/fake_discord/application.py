"""REST routes of the bot's own application: login, where the gateway is, and command registration."""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING

from discord import AppCommandType

from bot.sandbox.fake_discord.errors import JSON, Reject, field_error, form_error, missing_access
from bot.sandbox.fake_discord.ids import DEFAULT_USER_ID
from bot.sandbox.fake_discord.limits import validate_commands
from bot.sandbox.fake_discord.messages import Upload, user_json
from bot.sandbox.fake_discord.recording import RecordedRequest
from bot.sandbox.fake_discord.rest import Reply, Route, route

if TYPE_CHECKING:
    from bot.sandbox.fake_discord.server import FakeDiscord

Match = re.Match[str]


class ApplicationRoutes:
    def __init__(self, fake: FakeDiscord) -> None:
        self._fake = fake

    def routes(self) -> list[Route]:
        commands = r"/applications/(?P<app>\d+)(?:/guilds/(?P<guild>\d+))?/commands"
        return [
            route("GET", r"/users/@me", self.get_me),
            route("GET", r"/oauth2/applications/@me", self.get_application),
            route("GET", r"/gateway", self.get_gateway, auth=False),
            route("GET", r"/gateway/bot", self.get_gateway_bot),
            route("GET", commands, self.get_commands),
            route("PUT", commands, self.put_commands),
        ]

    def get_me(self, match: Match, record: RecordedRequest, uploads: list[Upload]) -> Reply:
        return Reply(
            200,
            {
                **self._fake.bot_user(),
                "flags": 0,
                "banner": None,
                "accent_color": None,
                "verified": True,
                "mfa_enabled": False,
                "locale": "en-US",
                "email": None,
            },
        )

    def get_application(self, match: Match, record: RecordedRequest, uploads: list[Upload]) -> Reply:
        fake = self._fake
        return Reply(
            200,
            {
                "id": str(fake.application_id),
                "name": fake.bot_username,
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "flags": 0,
                "team": None,
                "summary": "",
                "rpc_origins": [],
                "interactions_endpoint_url": None,
                "bot": fake.bot_user(),
                "owner": user_json(DEFAULT_USER_ID - 1, "owner"),
            },
        )

    def get_gateway(self, match: Match, record: RecordedRequest, uploads: list[Upload]) -> Reply:
        return Reply(200, {"url": self._fake.gateway_url})

    def get_gateway_bot(self, match: Match, record: RecordedRequest, uploads: list[Upload]) -> Reply:
        fake = self._fake
        limit = {
            "total": 1000,
            "remaining": 999,
            "reset_after": 86_400_000,
            "max_concurrency": fake.max_concurrency,
        }
        return Reply(
            200, {"url": fake.gateway_url, "shards": fake.recommended_shards, "session_start_limit": limit}
        )

    def get_commands(self, match: Match, record: RecordedRequest, uploads: list[Upload]) -> Reply:
        return Reply(200, self._fake.commands.get(self._guild_of(match), []))

    def put_commands(self, match: Match, record: RecordedRequest, uploads: list[Upload]) -> Reply:
        """Bulk overwrite: validate everything, then answer the commands with ids Discord keeps stable."""
        fake = self._fake
        guild_id = self._guild_of(match)
        body = record.json
        if not isinstance(body, list):
            raise Reject(400, form_error(field_error("LIST_TYPE_CONVERT", "Only iterables may be used")))
        errors = validate_commands(body)
        if errors:
            raise Reject(400, form_error(errors))
        result = [self._registered(cmd, guild_id) for cmd in body]
        fake.commands[guild_id] = result
        fake.command_syncs += 1
        return Reply(200, result)

    def _registered(self, cmd: JSON, guild_id: int | None) -> JSON:
        fake = self._fake
        out = copy.deepcopy(cmd)
        ctype = int(out.setdefault("type", AppCommandType.chat_input.value))
        out["id"] = fake.ids.stable((guild_id, ctype, out["name"]))
        out["application_id"] = str(fake.application_id)
        out["version"] = fake.ids.next()
        out.setdefault("description", "")
        out.setdefault("default_member_permissions", None)
        out.setdefault("nsfw", False)
        out.setdefault("contexts", None)
        out.setdefault("integration_types", [0])
        if guild_id is None:
            out.setdefault("dm_permission", True)
        else:
            out["guild_id"] = str(guild_id)
        return out

    def _guild_of(self, match: Match) -> int | None:
        if match["app"] != str(self._fake.application_id):
            raise Reject(403, missing_access())
        return int(match["guild"]) if match["guild"] else None
