"""One cheap RetroAchievements call that says, in an operator's words, whether the key works.

Used by `--check` and, in the background, at every start. It bypasses the client's cache, single
flight and metrics on purpose: it asks the server itself, once, and never shows the key (the URL it
reports leaves the `y` and `z` parameters out).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp

from bot.config import Settings
from bot.engines import USER_AGENT
from bot.startup import describe_failure

PROBE_USER = "MaxMilyin"
ENDPOINT = "API_GetUserProfile"
KEY_ADVICE = "Copy the Web API Key from retroachievements.org (Settings -> Keys) into RA_API_KEY."


@dataclass(frozen=True)
class ProbeResult:
    """`ok`: the key works and the user exists. `key_refused`: RetroAchievements answered 401.
    `reached`: some answer came back. `detail`: one line for the operator, naming the URL tried."""

    ok: bool
    key_refused: bool
    reached: bool
    detail: str


async def probe_ra(settings: Settings) -> ProbeResult:
    user = settings.ra_username or PROBE_USER
    url = f"{settings.ra_base_url.rstrip('/')}/API/{ENDPOINT}.php"
    shown = f"{url}?{urlencode({'u': user})}"
    params = {"u": user, "y": settings.ra_api_key.reveal()}
    if settings.ra_username:
        params["z"] = settings.ra_username
    try:
        async with (
            aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=settings.ra_timeout_seconds),
                headers={"User-Agent": USER_AGENT},
            ) as session,
            session.get(url, params=params) as response,
        ):
            status = response.status
            body = await response.read()
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        cause = describe_failure(error)
        if cause == "timed out":
            cause = f"no answer within {settings.ra_timeout_seconds:g} s (RA_TIMEOUT_SECONDS)"
        return ProbeResult(
            False,
            False,
            False,
            f"could not reach {shown}: {cause}. Check this machine's internet access, DNS and "
            "firewall, and RA_BASE_URL.",
        )
    return _interpret(shown, user, status, body, settings.ra_username is not None)


def _interpret(shown: str, user: str, status: int, body: bytes, named_user: bool) -> ProbeResult:
    if status == 401:
        return ProbeResult(
            False,
            True,
            True,
            f"{shown} answered HTTP 401: RetroAchievements refused RA_API_KEY. {KEY_ADVICE}",
        )
    try:
        data: object = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        what = "an HTML page" if body.lstrip()[:1] == b"<" else "something"
        return ProbeResult(
            False,
            False,
            True,
            f"{shown} answered HTTP {status} with {what} instead of JSON: RA_BASE_URL may name the "
            "wrong server, or a proxy or a maintenance page is in the way. Try again later.",
        )
    if status in (200, 404) and (data == [] or status == 404):
        hint = "check RA_USERNAME" if named_user else "RetroAchievements did not find the probe user"
        return ProbeResult(False, False, True, f"the key works, but there is no user {user} ({hint})")
    if status == 200 and isinstance(data, dict) and isinstance(data.get("User"), str):
        return ProbeResult(True, False, True, f"the API key works (looked up {data['User']})")
    if status == 429:
        advice = "too many requests: another program may be using this key. Try again in a minute."
    elif status >= 500:
        advice = "RetroAchievements is having trouble. Try again later."
    else:
        advice = "an answer the bot does not understand. Check RA_BASE_URL."
    return ProbeResult(False, False, True, f"{shown} answered HTTP {status}: {advice}")
