"""The shapes of RetroAchievements names, IDs and links, and of the lists members type: one place each.

Every pattern here is anchored and free of nested or overlapping repetition, so matching is linear in
the input; callers also bound the input's length before matching (see `bot.input`).
"""

from __future__ import annotations

import re

#: RetroAchievements' own rule for user names.
USERNAME = re.compile(r"[A-Za-z0-9]{2,20}")
#: The stable, rename-proof ID of an account.
ULID = re.compile(r"[0-9A-Z]{26}")
#: What separates the items of a list a member types: commas, semicolons, spaces.
LIST_SEPARATORS = re.compile(r"[\s,;]+")
#: The biggest game ID RetroAchievements can have (a signed 32-bit column).
MAX_GAME_ID = 2**31 - 1

SITE_HOST = "retroachievements.org"
#: `https://retroachievements.org/user/<name>` with or without scheme and `www.`, and with anything after
#: the name; group 1 is the name. No part of the name can be taken by the tail, so nothing backtracks.
PROFILE_URL = re.compile(
    r"(?:https?://)?(?:www\.)?retroachievements\.org/user/([^/?#\s]+)(?:[/?#]\S*)?", re.IGNORECASE
)
#: `https://retroachievements.org/game/<id>`, likewise; group 1 is the ID.
GAME_URL = re.compile(
    r"(?:https?://)?(?:www\.)?retroachievements\.org/game/([0-9]+)(?:[/?#]\S*)?", re.IGNORECASE
)


def is_username_or_ulid(text: str) -> bool:
    return USERNAME.fullmatch(text) is not None or ULID.fullmatch(text) is not None
