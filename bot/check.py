"""`python -m bot --check`: one real RetroAchievements call and one real Discord login, reported plainly.

Each line names what was tried (the URL, never the key), what happened, and what to do about it.
"""

from __future__ import annotations

import aiohttp
import discord

from bot.app import point_at_discord
from bot.config import Settings
from bot.ra_probe import probe_ra
from bot.secret import reveal
from bot.startup import DISCORD_API, describe_failure
from bot.storage import StorageError, open_storage


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
    result = await probe_ra(settings)
    return _report(result.ok, "RetroAchievements", result.detail)


async def _check_discord(settings: Settings) -> bool:
    point_at_discord(settings)
    url = f"{(settings.discord_api_url or DISCORD_API).rstrip('/')}/users/@me"
    # A text-only bot needs no voice libraries; the guilds intent keeps discord.py from warning.
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
    intents = discord.Intents.none()
    intents.guilds = True
    client = discord.Client(intents=intents)
    try:
        await client.login(settings.discord_token.reveal())
        app = await client.application_info()
    except discord.LoginFailure:
        return _report(
            False,
            "Discord",
            f"{url} answered HTTP 401: Discord refused DISCORD_TOKEN. Copy a fresh token from the "
            "Developer Portal (Applications -> your app -> Bot -> Reset Token).",
        )
    except discord.HTTPException as error:
        body = "an HTML page" if str(error.text).lstrip().startswith("<") else "an error"
        return _report(
            False,
            "Discord",
            f"{url} answered HTTP {error.status} with {body}: Discord may be having trouble "
            "(https://discordstatus.com), or a proxy is in the way. Try again later.",
        )
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        return _report(
            False,
            "Discord",
            f"could not reach {url}: {describe_failure(error)}. Check this machine's internet "
            "access, DNS and firewall (outgoing HTTPS to discord.com).",
        )
    finally:
        await client.close()
    server, member = install_links(app.id)
    return _report(
        True,
        "Discord",
        f"logged in as {client.user}; add it to a server: {server} ; "
        f"or to a member's account (needs User Install, see the README): {member}",
    )


def install_links(application_id: int) -> tuple[str, str]:
    """Discord's two install links: to a server (the bot joins it), and to a member's own account."""
    base = f"https://discord.com/oauth2/authorize?client_id={application_id}"
    return (
        f"{base}&integration_type=0&scope=bot%20applications.commands",
        f"{base}&integration_type=1&scope=applications.commands",
    )


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
