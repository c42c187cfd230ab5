"""Logging: every line says which process and shard wrote it, and no line ever shows a secret."""

from __future__ import annotations

import contextvars
import logging

from bot.secret import Secret

current_shard: contextvars.ContextVar[str] = contextvars.ContextVar("current_shard", default="-")
LOG_FORMAT = "%(asctime)s %(levelname)-8s [pid %(process)d shard %(shard)s] %(name)s: %(message)s"


def configure_logging(level: str, secrets: list[Secret], process_shards: str = "-") -> None:
    """Log to stderr, with every known secret scrubbed from every record as a last line of defence."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
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


class RedactingFilter(logging.Filter):
    """Replaces each secret's value with `********` in a record's final message and traceback."""

    def __init__(self, secrets: list[Secret]) -> None:
        super().__init__()
        self._values = [s.reveal() for s in secrets if s.reveal()]

    def redact(self, text: str) -> str:
        for value in self._values:
            text = text.replace(value, "********")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = self.redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True
