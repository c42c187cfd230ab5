"""The translations: one gettext catalogue per language in `bot/locales/<lang>/LC_MESSAGES/bot.po`,
compiled when first needed (no binary `.mo` file is kept in git or built into the package).

A Discord locale is served by the catalogue of the same name (`pt-BR` by `pt_BR`), else by the catalogue of
its language (`es-ES` and `es-419` by `es`), else in English. Adding a folder with a `bot.po` is all a new
language needs.
"""

from __future__ import annotations

import io
import logging
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from bot.i18n.language import ENGLISH, Language

log = logging.getLogger(__name__)

DOMAIN = "bot"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
TEMPLATE = LOCALES_DIR / f"{DOMAIN}.pot"


def catalogue_path(folder: str) -> Path:
    return LOCALES_DIR / folder / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def catalogue_folders() -> tuple[str, ...]:
    """The languages that have a catalogue, by folder name (`de`, `pt_BR`...)."""
    if not LOCALES_DIR.is_dir():
        return ()
    return tuple(sorted(p.parent.parent.name for p in LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")))


def folder_for(locale: str) -> str | None:
    """The catalogue that serves a Discord locale (`pt-BR`, `es-419`, `fr`...), or None: English."""
    folders = catalogue_folders()
    exact = locale.replace("-", "_")
    if exact in folders:
        return exact
    language = exact.partition("_")[0]
    return language if language in folders else None


def language_for(locale: str | None) -> Language:
    """The Language a member or a server with this Discord locale reads; English when none serves it."""
    if not locale:
        return ENGLISH
    return _language(locale)


@cache
def _language(locale: str) -> Language:
    folder = folder_for(locale)
    if folder is None:
        return ENGLISH
    try:
        babel_locale = Locale.parse(locale, sep="-")
    except (UnknownLocaleError, ValueError):
        babel_locale = Locale.parse(folder)
    return Language(locale, babel_locale, compiled(folder))


@cache
def compiled(folder: str) -> Translations:
    """A catalogue compiled in memory from its `.po` file (fuzzy entries left out, as gettext does)."""
    with catalogue_path(folder).open("rb") as source:
        catalog = read_po(source, locale=folder, domain=DOMAIN)
    binary = io.BytesIO()
    write_mo(binary, catalog, use_fuzzy=False)
    binary.seek(0)
    return Translations(binary, domain=DOMAIN)


def load_all() -> list[str]:
    """Compiles every catalogue now (at start, so that a broken one fails the start and not a command)."""
    folders = list(catalogue_folders())
    for folder in folders:
        compiled(folder)
    log.info("Translations loaded: %s", ", ".join(folders) or "none")
    return folders
