"""A member's language: translated text, numbers, percentages and dates. Pure: no catalogue is loaded here
(`bot.i18n.catalogues` builds each `Language` from its `.po` file), so rendering can take one as a parameter.

Message ids are the English text itself (standard gettext), with `{name}` placeholders. Code marks them
for extraction (`python -m bot.i18n extract`) with these calls:

    lang.t("Progress on {count} games", count=3)                 # translated now
    lang.tn("{n} game", "{n} games", n)                           # plural forms of the language
    lang.tp("summary", "Completed")                               # with a context (msgctxt)
    msg("There is no user named {name}.", name=...)               # a Message, translated later
    msg_n("{n} game", "{n} games", n), msg_p("summary", "Completed")
    N_("Only the member who asked can turn these pages.")         # a constant id, translated later
"""

from __future__ import annotations

import datetime as dt
import gettext
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Final

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent, get_group_symbol

log = logging.getLogger(__name__)

#: Numbers formatted once per language are kept (titles' counts repeat across replies); at most this many.
_NUMBER_CACHE = 4096


def N_(message_id: str) -> str:
    """Marks a constant as a message id for extraction; returns it as it is (English)."""
    return message_id


@dataclass(frozen=True, slots=True)
class Message:
    """Member-facing text not yet in a language: a message id, its plural and count, its parameters.

    Parameters that are ints are shown as numbers of the language, and Messages are translated too.
    """

    id: str
    params: Mapping[str, object] = field(default_factory=dict)
    plural: str | None = None
    n: int = 1
    context: str | None = None


@dataclass(frozen=True, slots=True)
class Joined:
    """Texts shown one after the other, each translated on its own: a refusal made of several messages
    and lines of data. Plain strings among `parts` are shown as they are (data, not words)."""

    parts: tuple[Message | Joined | str, ...]
    separator: str = ""


Text = Message | Joined


def joined(*parts: Message | Joined | str, separator: str = "") -> Joined:
    return Joined(parts, separator)


def msg(message_id: str, /, **params: object) -> Message:
    return Message(message_id, params)


def msg_n(singular: str, plural: str, n: int, /, **params: object) -> Message:
    """`{n}` in either form is `n` as a number of the language."""
    return Message(singular, params, plural, n)


def msg_p(context: str, message_id: str, /, **params: object) -> Message:
    return Message(message_id, params, context=context)


#: The contexts (msgctxt) of command and option names in the catalogues.
COMMAND_NAME = "command name"
OPTION_NAME = "option name"


def command(name: str) -> Message:
    """A slash command's name as members of the language see it in Discord (`vergleichen` for `compare`):
    for messages that tell a member which command to use, written `/{name}` in them."""
    return Message(name, context=COMMAND_NAME)


def option(name: str) -> Message:
    """A command option's name as members of the language see it in Discord (`spieler` for `user`)."""
    return Message(name, context=OPTION_NAME)


class Language:
    """Text, numbers and dates in one language.

    `code` is the locale the member's Discord uses (such as `pt-BR`), or `en` for English; `locale` is
    Babel's, for numbers and dates.
    """

    def __init__(self, code: str, locale: Locale, translations: gettext.NullTranslations) -> None:
        self.code = code
        self.locale = locale
        self._translations = translations
        self._numbers: dict[int, str] = {}
        self._percents: dict[int, str] = {}

    def __repr__(self) -> str:
        return f"Language({self.code!r})"

    # Text

    def t(self, message_id: str, /, **params: object) -> str:
        return self._format(self._translations.gettext(message_id), message_id, params)

    def tn(self, singular: str, plural: str, n: int, /, **params: object) -> str:
        """The form of the language for `n`; `{n}` is `n` as a number of the language."""
        template = self._translations.ngettext(singular, plural, n)
        return self._format(template, singular if n == 1 else plural, {"n": n, **params})

    def tp(self, context: str, message_id: str, /, **params: object) -> str:
        return self._format(self._translations.pgettext(context, message_id), message_id, params)

    def render(self, message: Message | Joined) -> str:
        if isinstance(message, Joined):
            return message.separator.join(
                part if isinstance(part, str) else self.render(part) for part in message.parts
            )
        if message.plural is not None:
            return self.tn(message.id, message.plural, message.n, **message.params)
        if message.context is not None:
            return self.tp(message.context, message.id, **message.params)
        return self.t(message.id, **message.params)

    def translated(self, context: str | None, message_id: str) -> str | None:
        """The catalogue's translation of `message_id`, or None when the catalogue has none."""
        text = (
            self._translations.gettext(message_id)
            if context is None
            else self._translations.pgettext(context, message_id)
        )
        return None if text == message_id else text

    def _format(self, template: str, source: str, params: Mapping[str, object]) -> str:
        if not params:
            return template
        values = {name: self._value(value) for name, value in params.items()}
        try:
            return template.format_map(values)
        except (KeyError, IndexError, ValueError, AttributeError):
            # A catalogue's placeholder that the code does not give (the catalogue tests prevent this).
            log.warning(
                "The %s translation of %r does not fit its parameters; using English", self.code, source
            )
            return source.format_map(values)

    def _value(self, value: object) -> str:
        if isinstance(value, str):  # the most common, and the cheapest to check
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return self.number(value)
        if isinstance(value, Message | Joined):
            return self.render(value)
        return str(value)

    # Numbers and dates

    def number(self, value: int) -> str:
        """A whole number with the language's digit grouping: 1,001 in English, 1.001 in German."""
        text = self._numbers.get(value)
        if text is None:
            try:
                text = format_decimal(value, locale=self.locale)
            except InvalidOperation:  # beyond Decimal's precision: grouped the same way, digit by digit
                text = f"{value:,}".replace(",", get_group_symbol(self.locale))
            if len(self._numbers) >= _NUMBER_CACHE:
                self._numbers.clear()
            self._numbers[value] = text
        return text

    def percent(self, whole: int) -> str:
        """`whole` percent as the language writes it: 57% in English, 57 % in German."""
        text = self._percents.get(whole)
        if text is None:
            text = format_percent(Decimal(whole) / 100, locale=self.locale)
            if 0 <= whole <= 100:
                self._percents[whole] = text
        return text

    def date(self, day: dt.date) -> str:
        return format_date(day, format="medium", locale=self.locale)

    def datetime(self, moment: dt.datetime) -> str:
        """In UTC (Discord does not tell the bot a member's time zone), with the zone named."""
        return format_datetime(moment, format="medium", tzinfo=dt.UTC, locale=self.locale) + " UTC"


#: The source language: message ids shown as they are, English numbers. Needs no catalogue.
ENGLISH: Final = Language("en", Locale.parse("en"), gettext.NullTranslations())
