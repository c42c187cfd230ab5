"""Why a feed failed or paused, kept in storage as a message id and its parameters (JSON), so that
`/feed status` shows it in the language of the admin who asks. Pure.

A parameter is a string (data: a channel mention, Discord's own error text), an int, or a message of its
own (a permission's name). Text that is not such JSON (Discord's words, an older row) is shown as it is.
"""

from __future__ import annotations

import json
from typing import Any

from bot.i18n.language import Message, Text, joined


def encode_reason(message: Message) -> str:
    """The message as the JSON text stored in the feed's `last_error` and `paused_reason`."""
    return json.dumps(_encode(message), ensure_ascii=False, separators=(",", ":"))


def decode_reason(stored: str) -> Text:
    """The message a stored reason holds; text that is not one is shown unchanged."""
    try:
        data = json.loads(stored)
        return _decode(data)
    except (ValueError, TypeError, KeyError, AttributeError):
        return joined(stored)


def _encode(message: Message) -> dict[str, Any]:
    data: dict[str, Any] = {"id": message.id}
    if message.params:
        data["params"] = {
            name: _encode(value) if isinstance(value, Message) else value
            for name, value in message.params.items()
        }
    if message.plural is not None:
        data["plural"], data["n"] = message.plural, message.n
    if message.context is not None:
        data["context"] = message.context
    return data


def _decode(data: object) -> Message:
    if not isinstance(data, dict) or not isinstance(data["id"], str):
        raise ValueError("not a stored message")
    params = {
        name: _decode(value) if isinstance(value, dict) else _plain(value)
        for name, value in dict(data.get("params", {})).items()
    }
    plural, n, context = data.get("plural"), data.get("n", 1), data.get("context")
    if not (plural is None or isinstance(plural, str)) or not isinstance(n, int):
        raise ValueError("not a stored message")
    if not (context is None or isinstance(context, str)):
        raise ValueError("not a stored message")
    return Message(data["id"], params, plural, n, context)


def _plain(value: object) -> str | int:
    if isinstance(value, str | int) and not isinstance(value, bool):
        return value
    raise ValueError("not a stored parameter")
