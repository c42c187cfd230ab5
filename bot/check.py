"""`python -m bot --check`: one real RetroAchievements call and one real Discord login, reported plainly."""

from __future__ import annotations

import discord

from bot.app import point_at_discord
from bot.config import Settings
from bot.engines import ra_options
from bot.errors import BotError, UserNotFound
from bot.ra.client import RAClient
from bot.secret import reveal
from bot.storage import StorageError, open_storage

PROBE_USER = "MaxMilyin"


async def run_check(settings: Settings) -> bool:
    results = [
        await _check_retroachievements(settings),
        await _check_discord(settings),
        await _check_storage(settings),
    ]
    return all(results)


def _report(ok: bool, what: str, detail: str) -> bool:
    print(f"{'ok  ' if ok else 'FAIL'} {what}: {detail}")
    return ok


async def _check_retroachievements(settings: Settings) -> bool:
    client = RAClient(ra_options(settings))
    user = settings.ra_username or PROBE_USER
    try:
        profile = await client.get_user_profile(user)
    except UserNotFound:
        return _report(
            False, "RetroAchievements", f"the key works, but there is no user {user} (check RA_USERNAME)"
        )
    except BotError as error:
        return _report(False, "RetroAchievements", error.user_message)
    finally:
        await client.close()
    return _report(True, "RetroAchievements", f"the API key works (looked up {profile.user})")


async def _check_discord(settings: Settings) -> bool:
    point_at_discord(settings)
    client = discord.Client(intents=discord.Intents.none())
    try:
        await client.login(settings.discord_token.reveal())
        app = await client.application_info()
    except discord.LoginFailure:
        return _report(False, "Discord", "DISCORD_TOKEN was refused: reset the token in the Developer Portal")
    except (discord.HTTPException, OSError) as error:
        return _report(False, "Discord", f"could not reach Discord ({type(error).__name__})")
    finally:
        await client.close()
    invite = f"https://discord.com/oauth2/authorize?client_id={app.id}&scope=bot%20applications.commands"
    return _report(True, "Discord", f"logged in as {client.user}; invite link: {invite}")


async def _check_storage(settings: Settings) -> bool:
    storage = open_storage(settings.sqlite_path, reveal(settings.database_url))
    try:
        await storage.open()
    except StorageError as error:
        return _report(False, "Storage", str(error))
    finally:
        await storage.close()
    where = (
        "the PostgreSQL database in DATABASE_URL"
        if settings.database_url
        else f"database at {settings.sqlite_path}"
    )
    return _report(True, "Storage", f"{where} is usable")
