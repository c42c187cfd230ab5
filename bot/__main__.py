"""Command line: `python -m bot` (or `ra-progress-bot`) runs the bot; the options below do one job each.

Exit status: 0 done; 1 a check, backup or copy found a problem; 2 a setting or the data needs fixing
(starting again will not help); 3 a service stayed unreachable for STARTUP_RETRY_SECONDS.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import discord

from bot.config import Settings, load_settings
from bot.errors import ConfigError
from bot.logs import configure_logging
from bot.startup import EXIT_CONFIG, EXIT_UNREACHABLE, StartupFailure, describe_failure
from bot.storage import StorageError

T = TypeVar("T")

EXIT_OK = 0
EXIT_CHECK_FAILED = 1

PG_DUMP_HINT = (
    "DATABASE_URL is set, so the links are in PostgreSQL: back them up with pg_dump, for example "
    '`pg_dump --format=custom --file=bot.pgdump "$DATABASE_URL"` '
    '(restore: `pg_restore --clean --if-exists --dbname="$DATABASE_URL" bot.pgdump`).'
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="check the settings against the real services")
    mode.add_argument("--demo", action="store_true", help="run the bot offline against fake services")
    mode.add_argument(
        "--copy-to-postgres",
        action="store_true",
        help="copy the SQLite database (DATABASE_PATH) into DATABASE_URL, then verify every link",
    )
    mode.add_argument(
        "--sync-commands",
        action="store_true",
        help="register the slash commands with Discord now (links are not touched)",
    )
    mode.add_argument(
        "--backup",
        metavar="PATH",
        type=Path,
        help="copy the SQLite database to PATH, consistently, even while the bot runs",
    )
    args = parser.parse_args(argv)

    if args.demo:
        from bot.sandbox.demo import run_demo

        return asyncio.run(run_demo())
    try:
        settings = load_settings()
    except ConfigError as error:
        print_config_error(error)
        return EXIT_CONFIG
    secrets = [settings.discord_token, settings.ra_api_key, settings.redis_url, settings.database_url]
    # --check speaks on stdout; its log shows only problems, unless asked for DEBUG.
    level = settings.log_level if not args.check or settings.log_level == "DEBUG" else "WARNING"
    configure_logging(
        level, [s for s in secrets if s is not None], describe_shards(settings), settings.log_format
    )
    if args.check:
        from bot.check import run_check

        return EXIT_OK if asyncio.run(run_check(settings)) else EXIT_CHECK_FAILED
    if args.copy_to_postgres:
        return copy_to_postgres(settings)
    if args.backup is not None:
        return backup(settings, args.backup)
    if args.sync_commands:
        return sync_commands(settings)
    return run(settings)


def print_config_error(error: ConfigError) -> None:
    for message in error.messages:
        print(f"Configuration error: {message}", file=sys.stderr)


def describe_shards(settings: Settings) -> str:
    if settings.shard_ids is not None:
        return ",".join(map(str, settings.shard_ids))
    return "all" if settings.shard_count else "-"


def copy_to_postgres(settings: Settings) -> int:
    from bot.storage.sqlite_to_postgres import copy_sqlite_to_postgres

    if settings.database_url is None:
        print("Set DATABASE_URL to the PostgreSQL database to copy into.", file=sys.stderr)
        return EXIT_CONFIG
    try:
        report = asyncio.run(copy_sqlite_to_postgres(settings.sqlite_path, settings.database_url.reveal()))
    except StorageError as error:
        print(f"Storage error: {error}", file=sys.stderr)
        return EXIT_CHECK_FAILED
    print(report.summary())
    return EXIT_OK


def backup(settings: Settings, path: Path) -> int:
    from bot.backup import BackupError, backup_sqlite

    if settings.database_url is not None:
        print(PG_DUMP_HINT, file=sys.stderr)
        return EXIT_CONFIG
    try:
        report = backup_sqlite(settings.sqlite_path, path)
    except BackupError as error:
        print(f"Backup failed: {error}", file=sys.stderr)
        return EXIT_CHECK_FAILED
    print(report.summary())
    return EXIT_OK


def sync_commands(settings: Settings) -> int:
    from bot.command_sync import sync_commands_now

    result, code = _run_explained(sync_commands_now(settings), settings)
    if result is not None:
        print(result.summary())
    return code


def run(settings: Settings) -> int:
    from bot.app import run_bot

    return _run_explained(run_bot(settings, handle_signals=True), settings)[1]


def _run_explained(work: Coroutine[Any, Any, T], settings: Settings) -> tuple[T | None, int]:
    """Runs `work`; a failure at start becomes one line on stderr (a JSON one with LOG_FORMAT=json)
    and its exit status."""
    try:
        return asyncio.run(work), EXIT_OK
    except KeyboardInterrupt:
        return None, EXIT_OK
    except StartupFailure as error:
        message, code = str(error), error.exit_code
    except discord.LoginFailure:
        message = (
            "Discord refused DISCORD_TOKEN: copy a fresh token from the Developer Portal "
            "(Bot -> Reset Token)."
        )
        code = EXIT_CONFIG
    except StorageError as error:
        message, code = f"Storage error: {error}", EXIT_CONFIG
    except ConfigError as error:
        message = "\n".join(f"Configuration error: {line}" for line in error.messages)
        code = EXIT_CONFIG
    except discord.HTTPException as error:
        message = f"Discord answered HTTP {error.status} while the bot logged in; try again later."
        code = EXIT_UNREACHABLE
    except (aiohttp.ClientError, TimeoutError) as error:
        message = f"Discord became unreachable while the bot logged in: {describe_failure(error)}."
        code = EXIT_UNREACHABLE
    log = logging.getLogger("bot")
    log.debug("Start-up failed", exc_info=True)
    if settings.log_format == "json":
        log.critical(message)
    else:
        print(message, file=sys.stderr)
    return None, code


if __name__ == "__main__":
    sys.exit(main())
