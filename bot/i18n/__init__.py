"""Every member reads the bot in their own language: see `language` (pure: what rendering receives),
`catalogues` (the `.po` files), `interactions` (whose language an answer is in), `commands` (command names)
and `tool` (`python -m bot.i18n`: extracting and updating the catalogues)."""

from bot.i18n.language import (
    ENGLISH,
    N_,
    Joined,
    Language,
    Message,
    Text,
    command,
    joined,
    msg,
    msg_n,
    msg_p,
    option,
)

__all__ = [
    "ENGLISH",
    "N_",
    "Joined",
    "Language",
    "Message",
    "Text",
    "command",
    "joined",
    "msg",
    "msg_n",
    "msg_p",
    "option",
]
