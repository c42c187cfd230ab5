"""REST routes that answer interactions: the initial callback (one responder per response type) and
the webhook routes used afterwards (followups, and getting, editing or deleting a response)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from discord import InteractionResponseType, InteractionType, MessageType

from bot.sandbox.fake_discord.errors import (
    JSON,
    Reject,
    already_acknowledged,
    empty_message,
    field_error,
    form_error,
    invalid_webhook_token,
    one_of,
    required,
    unknown_interaction,
    unknown_message,
    unknown_webhook,
)
from bot.sandbox.fake_discord.ids import DEFAULT_CHANNEL_ID
from bot.sandbox.fake_discord.limits import is_empty, validate_choices, validate_message, validate_modal
from bot.sandbox.fake_discord.messages import (
    EPHEMERAL,
    LOADING,
    SENDABLE_FLAGS,
    Upload,
    apply_body,
    new_message,
    now_iso,
)
from bot.sandbox.fake_discord.recording import FakeInteraction, RecordedRequest
from bot.sandbox.fake_discord.rest import Reply, Route, route

if TYPE_CHECKING:
    from bot.sandbox.fake_discord.server import FakeDiscord

Match = re.Match[str]
Response = InteractionResponseType
Responder = Callable[[FakeInteraction, JSON, list[Upload]], JSON | None]

# The responses Discord accepts to each kind of interaction.
ALLOWED_RESPONSES: dict[InteractionType, frozenset[Response]] = {
    InteractionType.ping: frozenset({Response.pong}),
    InteractionType.application_command: frozenset(
        {Response.channel_message, Response.deferred_channel_message, Response.modal}
    ),
    InteractionType.component: frozenset(
        {
            Response.channel_message,
            Response.deferred_channel_message,
            Response.deferred_message_update,
            Response.message_update,
            Response.modal,
        }
    ),
    InteractionType.autocomplete: frozenset({Response.autocomplete_result}),
    InteractionType.modal_submit: frozenset(
        {
            Response.channel_message,
            Response.deferred_channel_message,
            Response.deferred_message_update,
            Response.message_update,
        }
    ),
}
_ALLOWED_BY_VALUE = {kind.value: responses for kind, responses in ALLOWED_RESPONSES.items()}
# These act on the message the component was on, so the interaction must come from one.
UPDATES_MESSAGE = frozenset({Response.deferred_message_update, Response.message_update})


def _truthy(value: str | None) -> bool:
    return value is not None and value.lower() in ("1", "true")


class InteractionRoutes:
    def __init__(self, fake: FakeDiscord) -> None:
        self._fake = fake
        self._responders: dict[Response, Responder] = {
            Response.pong: self._pong,
            Response.channel_message: self._reply,
            Response.deferred_channel_message: self._defer,
            Response.deferred_message_update: self._defer_update,
            Response.message_update: self._update,
            Response.autocomplete_result: self._autocomplete,
            Response.modal: self._modal,
        }

    def routes(self) -> list[Route]:
        webhook = r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)"
        message = webhook + r"/messages/(?P<mid>@original|\d+)"
        callback = r"/interactions/(?P<iid>\d+)/(?P<token>[^/]+)/callback"
        return [
            route("POST", callback, self.callback, auth=False),
            route("POST", webhook, self.followup, auth=False),
            route("GET", message, self.get_message, auth=False),
            route("PATCH", message, self.edit_message, auth=False),
            route("DELETE", message, self.delete_message, auth=False),
        ]

    # ------------------------------------------------------------------ the initial response

    def callback(self, match: Match, record: RecordedRequest, uploads: list[Upload]) -> Reply:
        interaction = self._fake.interactions.get(match["iid"])
        if interaction is None or interaction.token != match["token"]:
            raise Reject(404, unknown_interaction())
        body = record.json
        if not isinstance(body, dict) or not isinstance(body.get("type"), int):
            raise Reject(400, form_error({"type": required()}))
        response = self._accepted_response(interaction, body["type"])
        data = body.get("data") or {}
        if not isinstance(data, dict):
            raise Reject(400, form_error({"data": field_error("MODEL_TYPE_CONVERT", "Must be an object")}))
        message = self._responders[response](interaction, data, uploads)
        interaction.callback_type = response.value
        interaction._record("callback", body, message)
        if not _truthy(record.query.get("with_response")):
            return Reply(204)
        return Reply(200, _callback_answer(interaction, response, message))

    def _accepted_response(self, interaction: FakeInteraction, value: int) -> Response:
        """The response type, if Discord takes it for this interaction now; else the refusal."""
        allowed = set(_ALLOWED_BY_VALUE.get(interaction.type, frozenset()))
        if interaction._component_message_id is None:
            allowed -= UPDATES_MESSAGE
        response = next((r for r in allowed if r.value == value), None)
        if response is None:
            raise Reject(400, form_error({"type": one_of(r.value for r in allowed)}))
        if interaction.acknowledged:
            raise Reject(400, already_acknowledged())
        fake = self._fake
        deadline = fake.interaction_deadline if interaction.deadline is None else interaction.deadline
        if deadline <= 0 or fake._now() - interaction.created_at > deadline:
            if not interaction.expired:
                interaction.expired = True
                fake.counts.expired += 1
            raise Reject(404, unknown_interaction())
        return response

    def _pong(self, interaction: FakeInteraction, data: JSON, uploads: list[Upload]) -> JSON | None:
        return None

    def _reply(self, interaction: FakeInteraction, data: JSON, uploads: list[Upload]) -> JSON | None:
        _check_message(data, ("data",), uploads)
        flags = int(data.get("flags") or 0) & SENDABLE_FLAGS
        message = self._store(interaction, self._apply(self._new_message(interaction, flags), data, uploads))
        interaction._original_id = message["id"]
        interaction.ephemeral = bool(message["flags"] & EPHEMERAL)
        return message

    def _defer(self, interaction: FakeInteraction, data: JSON, uploads: list[Upload]) -> JSON | None:
        ephemeral = int(data.get("flags") or 0) & EPHEMERAL
        message = self._new_message(interaction, LOADING | ephemeral)
        interaction._original_id = message["id"]
        interaction._loading = True
        interaction.deferred = True
        interaction.ephemeral = bool(ephemeral)
        return message

    def _defer_update(self, interaction: FakeInteraction, data: JSON, uploads: list[Upload]) -> JSON | None:
        message = self._component_message(interaction)
        interaction.deferred = True
        interaction._original_id = message["id"]
        interaction.ephemeral = bool(message["flags"] & EPHEMERAL)
        return message

    def _update(self, interaction: FakeInteraction, data: JSON, uploads: list[Upload]) -> JSON | None:
        message = self._component_message(interaction)
        errors = validate_message(data, ("data",))
        if errors:
            raise Reject(400, form_error(errors))
        updated = self._apply(message, data, uploads)
        if is_empty(updated):
            raise Reject(400, empty_message())
        updated["edited_timestamp"] = now_iso()
        message = self._store(interaction, updated)
        interaction._original_id = message["id"]
        interaction.ephemeral = bool(message["flags"] & EPHEMERAL)
        return message

    def _autocomplete(self, interaction: FakeInteraction, data: JSON, uploads: list[Upload]) -> JSON | None:
        errors = validate_choices(data)
        if errors:
            raise Reject(400, form_error(errors))
        return None

    def _modal(self, interaction: FakeInteraction, data: JSON, uploads: list[Upload]) -> JSON | None:
        errors = validate_modal(data)
        if errors:
            raise Reject(400, form_error(errors))
        return None

    def _component_message(self, interaction: FakeInteraction) -> JSON:
        mid = interaction._component_message_id
        message = self._fake.messages.get(mid) if mid is not None else None
        if message is None:
            raise Reject(404, unknown_message())
        return message

    # ------------------------------------------------------------------ webhooks, after the initial response

    def followup(self, match: Match, record: RecordedRequest, uploads: list[Upload]) -> Reply:
        """The first followup after a defer fills the "thinking" message and keeps its visibility."""
        interaction = self._webhook_interaction(match)
        data = record.json
        if not isinstance(data, dict):
            raise Reject(400, empty_message())
        _check_message(data, (), uploads)
        flags = int(data.get("flags") or 0)
        original = interaction.original
        if interaction._loading and original is not None:
            message = self._apply(original, data, uploads)
            keep = original["flags"] & EPHEMERAL
            message["flags"] = keep | (flags & (SENDABLE_FLAGS & ~EPHEMERAL))
            self._store(interaction, message)
            interaction._loading = False
        else:
            base = self._new_message(interaction, flags & SENDABLE_FLAGS)
            message = self._store(interaction, self._apply(base, data, uploads))
        interaction._followup_ids.append(message["id"])
        interaction._record("followup", data, message)
        return Reply(200, message) if _truthy(record.query.get("wait")) else Reply(204)

    def get_message(self, match: Match, record: RecordedRequest, uploads: list[Upload]) -> Reply:
        return Reply(200, self._target(self._webhook_interaction(match), match["mid"]))

    def edit_message(self, match: Match, record: RecordedRequest, uploads: list[Upload]) -> Reply:
        interaction = self._webhook_interaction(match)
        current = self._target(interaction, match["mid"])
        data = record.json if isinstance(record.json, dict) else {}
        errors = validate_message(data)
        if errors:
            raise Reject(400, form_error(errors))
        message = self._apply(current, data, uploads)
        if is_empty(message):
            raise Reject(400, empty_message())
        if message["flags"] & LOADING:
            message["flags"] &= ~LOADING
            interaction._loading = False
        else:
            message["edited_timestamp"] = now_iso()
        self._store(interaction, message)
        kind = "edit_original" if match["mid"] == "@original" else "edit_message"
        interaction._record(kind, data, message)
        return Reply(200, message)

    def delete_message(self, match: Match, record: RecordedRequest, uploads: list[Upload]) -> Reply:
        interaction = self._webhook_interaction(match)
        message = self._target(interaction, match["mid"])
        del self._fake.messages[message["id"]]
        if message["id"] == interaction._original_id:
            interaction._loading = False
        kind = "delete_original" if match["mid"] == "@original" else "delete_message"
        interaction._record(kind, {})
        return Reply(204)

    def _webhook_interaction(self, match: Match) -> FakeInteraction:
        fake = self._fake
        interaction = fake._by_token.get(match["token"])
        if interaction is None or fake._now() - interaction.created_at > fake.token_lifetime:
            raise Reject(401, invalid_webhook_token())
        if match["app"] != str(fake.application_id) or not interaction.acknowledged:
            raise Reject(404, unknown_webhook())
        return interaction

    def _target(self, interaction: FakeInteraction, mid: str) -> JSON:
        messages = self._fake.messages
        if mid == "@original":
            message = messages.get(interaction._original_id) if interaction._original_id else None
        else:
            message = messages.get(mid) if mid in interaction._message_ids else None
        if message is None:
            raise Reject(404, unknown_message())
        return message

    # ------------------------------------------------------------------ messages of an interaction

    def _new_message(self, interaction: FakeInteraction, flags: int) -> JSON:
        """A new (empty) response message, stored at once, as Discord shows "thinking" for a defer."""
        fake = self._fake
        payload = interaction.payload
        command = interaction.type == InteractionType.application_command.value
        message = new_message(
            fake.ids.next(),
            str(payload.get("channel_id") or DEFAULT_CHANNEL_ID),
            fake.bot_user(),
            message_type=(MessageType.chat_input_command if command else MessageType.default).value,
            flags=flags,
        )
        metadata: JSON = {
            "id": interaction.id,
            "type": interaction.type,
            "user": payload.get("member", {}).get("user") or payload.get("user"),
            "authorizing_integration_owners": payload.get("authorizing_integration_owners", {}),
        }
        if interaction._component_message_id is not None:
            metadata["interacted_message_id"] = interaction._component_message_id
        message["webhook_id"] = str(fake.application_id)
        message["application_id"] = str(fake.application_id)
        message["interaction_metadata"] = metadata
        return self._store(interaction, message)

    def _apply(self, message: JSON, data: JSON, uploads: list[Upload]) -> JSON:
        return apply_body(message, data, uploads, self._fake.ids, self._fake.base_url)

    def _store(self, interaction: FakeInteraction, message: JSON) -> JSON:
        self._fake.messages[message["id"]] = message
        interaction._message_ids.add(message["id"])
        return message


def _check_message(data: JSON, base: tuple[str | int, ...], uploads: list[Upload]) -> None:
    """A new message within Discord's limits, and not empty."""
    errors = validate_message(data, base)
    if errors:
        raise Reject(400, form_error(errors))
    if is_empty(data) and not uploads:
        raise Reject(400, empty_message())


def _callback_answer(interaction: FakeInteraction, response: Response, message: JSON | None) -> Any:
    """The body of `?with_response=1` (discord.py 2.5+ needs it: an empty 204 crashes it)."""
    info: JSON = {"id": interaction.id, "type": interaction.type}
    answer: JSON = {"interaction": info}
    if message is not None:
        info["response_message_id"] = message["id"]
        info["response_message_loading"] = bool(message["flags"] & LOADING)
        info["response_message_ephemeral"] = bool(message["flags"] & EPHEMERAL)
        answer["resource"] = {"type": response.value, "message": message}
    elif response is not Response.pong:
        answer["resource"] = {"type": response.value}
    return answer
