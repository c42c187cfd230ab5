"""Discord's error bodies, and `Reject`, which a route raises to answer with one."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

JSON = dict[str, Any]


class Reject(Exception):
    """Raised by a route handler to answer with an error status, body and headers."""

    def __init__(self, status: int, body: JSON, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = headers or {}


def error(code: int, message: str) -> JSON:
    return {"message": message, "code": code}


def unknown_interaction() -> JSON:
    return error(10062, "Unknown interaction")


def unknown_webhook() -> JSON:
    return error(10015, "Unknown Webhook")


def unknown_message() -> JSON:
    return error(10008, "Unknown Message")


def unknown_channel() -> JSON:
    return error(10003, "Unknown Channel")


def missing_access() -> JSON:
    return error(50001, "Missing Access")


def missing_permissions() -> JSON:
    return error(50013, "Missing Permissions")


def invalid_webhook_token() -> JSON:
    return error(50027, "Invalid Webhook Token")


def empty_message() -> JSON:
    return error(50006, "Cannot send an empty message")


def already_acknowledged() -> JSON:
    return error(40060, "Interaction has already been acknowledged.")


def not_found() -> JSON:
    return error(0, "404: Not Found")


def form_error(errors: JSON) -> JSON:
    return {"code": 50035, "message": "Invalid Form Body", "errors": errors}


def field_error(code: str, message: str) -> JSON:
    return {"_errors": [{"code": code, "message": message}]}


def not_a_list() -> JSON:
    return field_error("LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")


def not_an_object() -> JSON:
    return field_error("MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")


def max_length(limit: int) -> JSON:
    return field_error("BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def bad_length(low: int, high: int) -> JSON:
    return field_error("BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")


def required() -> JSON:
    return field_error("BASE_TYPE_REQUIRED", "This field is required")


def one_of(values: Iterable[int]) -> JSON:
    """Discord's error for a value outside a fixed set: "Value must be one of {0, 1}."."""
    listed = ", ".join(str(value) for value in sorted(values))
    return field_error("BASE_TYPE_CHOICES", f"Value must be one of {{{listed}}}.")


def put(errors: JSON, path: tuple[str | int, ...], error: JSON) -> None:
    """Set a Discord-style nested error at `path` (keeps an existing error there)."""
    node = errors
    for key in path[:-1]:
        node = node.setdefault(str(key), {})
    node.setdefault(str(path[-1]), error)
