"""Command line: `python -m bot` runs the bot; `--check` tests the configuration; `--demo` runs offline."""

from __future__ import annotations

import argparse
import asyncio
import sys

import discord

from bot.config import Settings, configure_logging, load_settings
from bot.errors import ConfigError
from bot.storage import StorageError

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_CONFIG = 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="check the settings against the real services")
    mode.add_argument("--demo", action="store_true", help="run the bot offline against fake services")
    args = parser.parse_args(argv)

    if args.demo:
        from bot.sandbox.demo import run_demo

        return asyncio.run(run_demo())
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(settings.log_level, [settings.discord_token, settings.ra_api_key])
    if args.check:
        from bot.check import run_check

        return EXIT_OK if asyncio.run(run_check(settings)) else EXIT_CHECK_FAILED
    return run(settings)


def run(settings: Settings) -> int:
    from bot.app import run_bot

    try:
        asyncio.run(run_bot(settings))
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
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
