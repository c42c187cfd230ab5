"""Logging: every line says which process and shard wrote it, and no line ever shows a secret.

Lines are text by default, or one JSON object each (`LOG_FORMAT=json`) for log pipelines. Both pass
through the same redaction: the configured secrets, and Discord interaction tokens wherever discord.py
prints them (webhook and callback URLs, gateway payloads) at DEBUG.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
from datetime import UTC, datetime

from bot.secret import Secret

current_shard: contextvars.ContextVar[str] = contextvars.ContextVar("current_shard", default="-")
LOG_FORMAT = "%(asctime)s %(levelname)-8s [pid %(process)d shard %(shard)s] %(name)s: %(message)s"
REDACTED = "********"

# An interaction token lets anyone answer, edit or follow up as the bot for 15 minutes.
_INTERACTION_TOKENS = (
    re.compile(r"(/webhooks/\d+/)[^/\s?#'\"]+"),
    re.compile(r"(/interactions/\d+/)[^/\s?#'\"]+"),
    re.compile(r"""(["']token["']\s*:\s*["'])[^"']+"""),
)


def configure_logging(
    level: str, secrets: list[Secret], process_shards: str = "-", log_format: str = "text"
) -> None:
    """Log to stderr, with every known secret scrubbed from every record as a last line of defence."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(LOG_FORMAT))
    handler.addFilter(ShardFilter(process_shards))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


class ShardFilter(logging.Filter):
    """Adds `shard`: the shard of the interaction being handled, else the shards this process runs."""

    def __init__(self, process_shards: str) -> None:
        super().__init__()
        self.process_shards = process_shards

    def filter(self, record: logging.LogRecord) -> bool:
        shard = current_shard.get()
        record.shard = self.process_shards if shard == "-" else shard
        return True


def redact_interaction_tokens(text: str) -> str:
    for pattern in _INTERACTION_TOKENS:
        text = pattern.sub(rf"\g<1>{REDACTED}", text)
    return text


class RedactingFilter(logging.Filter):
    """Replaces each secret's value, and any interaction token, with `********` in a record's final
    message, traceback and stack."""

    def __init__(self, secrets: list[Secret]) -> None:
        super().__init__()
        self._values = [s.reveal() for s in secrets if s.reveal()]

    def redact(self, text: str) -> str:
        for value in self._values:
            text = text.replace(value, REDACTED)
        return redact_interaction_tokens(text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = self.redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, pid, shard, message, and
    `error_id` and `exception` when the record has them. Runs after the filters, so it sees only the
    redacted message and traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "shard": getattr(record, "shard", "-"),
            "message": record.getMessage(),
        }
        error_id = getattr(record, "error_id", None)
        if error_id is not None:
            entry["error_id"] = str(error_id)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False)
