"""Command line: `python -m bot` runs the bot; `--check` tests the configuration; `--demo` runs offline."""

from __future__ import annotations

import argparse
import asyncio
import sys

import discord

from bot.config import Settings, load_settings
from bot.errors import ConfigError
from bot.logs import configure_logging
from bot.storage import StorageError

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_CONFIG = 2


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
    configure_logging(settings.log_level, [s for s in secrets if s is not None], describe_shards(settings))
    if args.check:
        from bot.check import run_check

        return EXIT_OK if asyncio.run(run_check(settings)) else EXIT_CHECK_FAILED
    if args.copy_to_postgres:
        return copy_to_postgres(settings)
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


def run(settings: Settings) -> int:
    from bot.app import run_bot

    try:
        asyncio.run(run_bot(settings, handle_signals=True))
    except KeyboardInterrupt:
        return EXIT_OK
    except discord.LoginFailure:
        print(
            "Discord refused DISCORD_TOKEN: copy a fresh token from the Developer Portal "
            "(Bot -> Reset Token).",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    except StorageError as error:
        print(f"Storage error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except ConfigError as error:
        print_config_error(error)
        return EXIT_CONFIG
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
