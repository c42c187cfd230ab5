"""`python -m bot.i18n extract | update | init LANG | stats`: the gettext catalogues' tooling (Babel).

    extract   writes bot/locales/bot.pot: every message the code marks (t, tn, tp, msg, msg_n, msg_p,
              N_) and every command's and option's name and description (from the cogs, each under a
              context such as "command name"); run it after changing member-facing text
    update    merges bot.pot into each bot/locales/<lang>/LC_MESSAGES/bot.po: new messages appear empty,
              changed ones are marked fuzzy with their old translation, removed ones become obsolete (#~)
    init LANG starts a new language's catalogue from bot.pot (LANG as gettext names it: it, ja, zh_TW...)
    stats     how many messages each language translates, and how many are fuzzy or missing

Run from a checkout of the repository. `pybabel extract` gives the code's messages with the same keywords
(`-k t -k tn:1,2 -k tp:1c,2 -k msg -k msg_n:1,2 -k msg_p:1c,2 -k N_`) but not the commands' names.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po
from discord import app_commands
from discord.ext import commands

from bot.i18n.catalogues import DOMAIN, LOCALES_DIR, TEMPLATE, catalogue_folders, catalogue_path
from bot.i18n.commands import DESCRIPTION, NAME, OPTION_DESCRIPTION
from bot.i18n.language import OPTION_NAME

ROOT = LOCALES_DIR.parent.parent
KEYWORDS: dict[str, Any] = {
    "t": None,
    "tn": (1, 2),
    "tp": ((1, "c"), 2),
    "msg": None,
    "msg_n": (1, 2),
    "msg_p": ((1, "c"), 2),
    "N_": None,
}
METHOD_MAP = [("bot/sandbox/**.py", "ignore"), ("bot/**.py", "python"), ("cogs/**.py", "python")]
COMMENT_TAGS = ("Translators:",)
PROJECT = "ra-progress-bot"
WIDTH = 110


def code_messages() -> Iterator[tuple[str | tuple[str, str], str | None, str, list[str]]]:
    """(id or (singular, plural), context, where, translator comments) of every marked message."""
    for filename, lineno, message, comments, context in extract_from_dir(
        ROOT, METHOD_MAP, keywords=KEYWORDS, comment_tags=COMMENT_TAGS, strip_comment_tags=True
    ):
        if isinstance(message, tuple) and len(message) == 1:
            message = message[0]
        if isinstance(message, tuple):
            singular, plural = message[0], message[1]
            if singular and plural:
                yield (singular, plural), context, f"{filename}:{lineno}", list(comments)
        elif message:
            yield message, context, f"{filename}:{lineno}", list(comments)


def command_messages() -> Iterator[tuple[str, str, str]]:
    """(text, context, what it is) of every command's and option's name and description."""
    from bot.app import EXTENSIONS

    for extension in EXTENSIONS:
        module = importlib.import_module(extension)
        for _, cog in inspect.getmembers(module, inspect.isclass):
            if issubclass(cog, commands.Cog) and cog.__module__ == module.__name__:
                yield from _cog_messages(cog)


def _cog_messages(cog: type[commands.Cog]) -> Iterator[tuple[str, str, str]]:
    group_name = getattr(cog, "__cog_group_name__", None)
    prefix = "/"
    if issubclass(cog, commands.GroupCog) and isinstance(group_name, str):
        yield group_name, NAME, f"/{group_name}"
        yield str(cog.__cog_group_description__), DESCRIPTION, f"/{group_name}"
        prefix = f"/{group_name} "
    for command in cog.__cog_app_commands__:
        yield from _command_messages(command, prefix)


def _command_messages(
    command: app_commands.Command[Any, ..., Any] | app_commands.Group, prefix: str
) -> Iterator[tuple[str, str, str]]:
    where = f"{prefix}{command.name}"
    yield command.name, NAME, where
    yield command.description, DESCRIPTION, where
    if isinstance(command, app_commands.Group):
        for child in command.commands:
            yield from _command_messages(child, f"{where} ")
        return
    for parameter in command.parameters:
        yield parameter.name, OPTION_NAME, f"{where} {parameter.name}"
        yield parameter.description, OPTION_DESCRIPTION, f"{where} {parameter.name}"
        for choice in parameter.choices:
            yield choice.name, "choice name", f"{where} {parameter.name}"


def template() -> Catalog:
    catalog = Catalog(project=PROJECT, domain=DOMAIN, charset="utf-8", fuzzy=False)
    for message, context, where, comments in code_messages():
        _add(catalog, message, context, auto_comments=comments, location=where)
    for text, context, what in command_messages():
        _add(catalog, text, context, auto_comments=[what], location=None)
    return catalog


def _add(
    catalog: Catalog,
    message: str | tuple[str, str],
    context: str | None,
    *,
    auto_comments: list[str],
    location: str | None,
) -> None:
    key = message[0] if isinstance(message, tuple) else message
    existing = catalog.get(key, context)
    locations = [(location.rpartition(":")[0], 0)] if location else []  # files only: fewer diffs
    if existing is None:
        catalog.add(message, None, locations, auto_comments=auto_comments, context=context)
        return
    for place in locations:
        if place not in existing.locations:
            existing.locations.append(place)
    for comment in auto_comments:
        if comment not in existing.auto_comments:
            existing.auto_comments.append(comment)


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=locale, domain=DOMAIN)


def write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as target:
        write_po(target, catalog, width=WIDTH, include_lineno=False, ignore_obsolete=True)


def extract() -> int:
    catalog = template()
    write(TEMPLATE, catalog)
    print(f"{TEMPLATE.relative_to(ROOT)}: {len(catalog)} messages")
    return 0


def update() -> int:
    source = read(TEMPLATE)
    for folder in catalogue_folders():
        path = catalogue_path(folder)
        catalog = read(path, folder)
        catalog.update(source, update_creation_date=False)
        write(path, catalog)
    return stats()


def init(folder: str) -> int:
    path = catalogue_path(folder)
    if path.exists():
        print(f"{path.relative_to(ROOT)} already exists: use `update`", file=sys.stderr)
        return 1
    catalog = Catalog(locale=folder, project=PROJECT, domain=DOMAIN, charset="utf-8", fuzzy=False)
    catalog.update(read(TEMPLATE))
    write(path, catalog)
    print(f"{path.relative_to(ROOT)}: {len(catalog)} messages to translate")
    return 0


def stats() -> int:
    total = len(read(TEMPLATE))
    for folder in catalogue_folders():
        catalog = read(catalogue_path(folder), folder)
        fuzzy = sum(1 for m in catalog if m.id and m.fuzzy)
        done = sum(1 for m in catalog if m.id and is_translated(m))
        print(f"{folder:8} {done}/{total} translated, {fuzzy} fuzzy, {total - done - fuzzy} missing")
    return 0


def is_translated(message: Message) -> bool:
    """Not fuzzy, and every form has a translation."""
    forms = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return not message.fuzzy and all(forms)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.i18n", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("extract", help="write bot/locales/bot.pot from the code and the commands")
    sub.add_parser("update", help="merge bot.pot into every language's bot.po")
    sub.add_parser("init", help="start a new language").add_argument("language")
    sub.add_parser("stats", help="how complete each language is")
    args = parser.parse_args(argv)
    if args.command == "extract":
        return extract()
    if args.command == "update":
        return update()
    if args.command == "init":
        return init(args.language)
    return stats()
