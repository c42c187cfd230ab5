"""Errors a member or operator can meet, each carrying the message they should read.

Nothing here knows Discord: the tree's error handler turns these into replies.
"""

from __future__ import annotations

import math

from bot.i18n.language import ENGLISH, Joined, Language, Message, Text, msg


class BotError(Exception):
    """An expected failure with a message fit to show a member, in any language.

    `message` is the message id and its parameters; the error path shows it in the member's language
    (`in_language`). `str()` and `user_message` are the English text, for logs and tests.
    """

    def __init__(self, message: Text | str) -> None:
        self.message: Text = message if isinstance(message, Message | Joined) else msg(message)
        super().__init__(ENGLISH.render(self.message))

    @property
    def user_message(self) -> str:
        return ENGLISH.render(self.message)

    def in_language(self, language: Language) -> str:
        return language.render(self.message)


class InvalidInput(BotError):
    """Something the member typed cannot be used; the message names the part and the fix."""


class UserNotFound(BotError):
    """RetroAchievements has no account with this name."""

    def __init__(self, username: str) -> None:
        super().__init__(
            msg(
                "There is no RetroAchievements user named `{username}`. Check the spelling "
                "(names are 2-20 letters and digits).",
                username=username,
            )
        )
        self.username = username


class RAError(BotError):
    """RetroAchievements could not give an answer the bot can use."""


class RAUnavailable(RAError):
    """Timeouts, dropped connections, 5xx answers, or answers of an unexpected shape."""

    def __init__(self, detail: str) -> None:
        super().__init__(msg("RetroAchievements is not answering right now. Please try again in a minute."))
        self.detail = detail

    def __str__(self) -> str:
        return f"RetroAchievements unavailable: {self.detail}"


class RARateLimited(RAError):
    """RetroAchievements kept answering 429 after the bot's bounded retries."""

    def __init__(self) -> None:
        super().__init__(
            msg("RetroAchievements is asking the bot to slow down. Please try again in a few seconds.")
        )


class RAConfigurationError(RAError):
    """RetroAchievements refused the bot's API key (HTTP 401): only the operator can fix this."""

    def __init__(self) -> None:
        super().__init__(
            msg(
                "The bot is misconfigured: RetroAchievements refused its API key. "
                "Please tell this server's admins (the bot's operator must set a valid `RA_API_KEY`)."
            )
        )


class RAInvalidRequest(RAError):
    """RetroAchievements rejected the request's parameters (HTTP 422)."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            msg("RetroAchievements did not accept that request. Check the user name and game IDs.")
        )
        self.detail = detail

    def __str__(self) -> str:
        return f"RetroAchievements rejected the request: {self.detail}"


class ConfigError(Exception):
    """Settings are missing or malformed: one message per problem, each naming the variable and the fix."""

    def __init__(self, *messages: str) -> None:
        super().__init__(*messages)
        self.messages = messages

    def __str__(self) -> str:
        return "\n".join(self.messages)


class OnCooldown(BotError):
    """A member used a command again too soon."""

    def __init__(self, retry_after: float) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(msg("You are going a little fast: try again in {seconds} s.", seconds=seconds))
        self.retry_after = retry_after
