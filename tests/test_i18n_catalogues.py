"""The catalogues: complete, in step with the code, with the same placeholders, fit as Discord names."""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import discord
import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.plurals import get_plural
from discord import app_commands

from bot.i18n.catalogues import TEMPLATE, catalogue_folders, catalogue_path, compiled, language_for
from bot.i18n.commands import CHOICE, DESCRIPTION, NAME, OPTION_DESCRIPTION, CommandTranslator
from bot.i18n.language import OPTION_NAME
from bot.i18n.tool import KEYWORDS, command_messages, read, template

ROOT = Path(__file__).resolve().parent.parent
#: The complete languages, by catalogue folder.
COMPLETE = ("de", "es", "fr", "pt_BR")
#: Texts a complete language may leave as they are in English, because they are the same word there.
SAME_AS_ENGLISH: dict[str, set[tuple[str | None, str]]] = {
    "pt_BR": {(None, "Hardcore"), (None, "{n} pt"), (None, "{points}/{n} pt")},
    "es": {(None, "Hardcore"), (None, "{n} pt"), (None, "{points}/{n} pt")},
    "fr": {
        (None, "Hardcore"),
        (None, "{n} pt"),
        (None, "{points}/{n} pt"),
        (None, "Points"),
        (None, "Page {page}/{pages}"),
    },
    "de": {(None, "Hardcore"), (None, "Server")},
}
DISCORD_NAME = re.compile(r"[-_'\w]{1,32}")


def messages(catalog: Catalog) -> Iterator[Message]:
    return (message for message in catalog if message.id)


def key(message: Message) -> tuple[str | None, str]:
    return message.context, message.id[0] if isinstance(message.id, tuple | list) else message.id


def forms(value: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if value is None:
        return []
    return list(value) if isinstance(value, tuple | list) else [value]


def placeholders(text: str) -> set[str]:
    """The `{name}` fields of a message; anything but a plain name (attributes, indexes, formats) fails."""
    found = set()
    for _, field, spec, conversion in string.Formatter().parse(text):
        if field is None:
            continue
        assert field.isidentifier() and not spec and not conversion, f"{field!r} in {text!r}"
        found.add(field)
    return found


@pytest.fixture(scope="module")
def pot() -> Catalog:
    return read(TEMPLATE)


def test_the_complete_languages_have_catalogues() -> None:
    assert set(COMPLETE) <= set(catalogue_folders())


def test_the_template_is_what_the_code_marks(pot: Catalog) -> None:
    """`python -m bot.i18n extract` was run after the last change of member-facing text."""
    fresh = template()
    assert {key(m): m.id for m in messages(fresh)} == {key(m): m.id for m in messages(pot)}


def marked_calls() -> Iterator[tuple[str, int, str | None, str, str | None]]:
    """(file, line, context, id, plural) of every marking call with literal arguments in the bot's code,
    f-strings included (which the gettext extractor cannot see into)."""
    for folder in ("bot", "cogs"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.relative_to(ROOT).as_posix().startswith(("bot/sandbox/", "bot/i18n/")):
                continue  # the fakes, and the translation machinery itself
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not isinstance(node, ast.Call):
                    continue
                name = (
                    node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                )
                if name not in KEYWORDS:
                    continue
                literals = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None
                            for a in node.args]  # fmt: skip
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                if name in ("tp", "msg_p"):
                    # A context cannot be marked apart from its text: both must be written in the call.
                    context, text = [*literals, None, None][:2]
                    assert context is not None and text is not None, f"{where}: literal context and text"
                    yield where, node.lineno, context, text, None
                elif name in ("tn", "msg_n"):
                    if len(literals) >= 2 and literals[0] is not None:
                        yield where, node.lineno, None, literals[0], literals[1]
                elif literals and literals[0] is not None:
                    yield where, node.lineno, None, literals[0], None


def test_every_marked_text_is_in_the_template(pot: Catalog) -> None:
    in_template = {key(m) for m in messages(pot)}
    missing = [f"{where}: {text!r}" for where, _, context, text, _ in marked_calls()
               if (context, text) not in in_template]  # fmt: skip
    assert not missing, "run `python -m bot.i18n extract` (and keep marking calls out of f-strings):\n" + (
        "\n".join(missing)
    )
    assert len(list(marked_calls())) > 50


def test_every_command_name_and_description_is_in_the_template(pot: Catalog) -> None:
    in_template = {key(m) for m in messages(pot)}
    assert {(context, text) for text, context, _ in command_messages()} <= in_template


@pytest.mark.parametrize("folder", COMPLETE)
def test_every_message_is_translated_with_the_same_placeholders(pot: Catalog, folder: str) -> None:
    catalog = read(catalogue_path(folder), folder)
    translated = {key(m): m for m in messages(catalog)}
    problems = []
    for source in messages(pot):
        entry = translated.get(key(source))
        if entry is None:
            problems.append(f"missing: {key(source)}")
            continue
        if entry.fuzzy:
            problems.append(f"fuzzy (needs review): {key(source)}")
        ids = forms(source.id)
        wanted = placeholders(ids[-1])
        if len(ids) == 1:
            assert placeholders(ids[0]) == wanted
        texts = forms(entry.string)
        if len(ids) > 1 and len(texts) != catalog.num_plurals:
            problems.append(f"{len(texts)} plural forms, not {catalog.num_plurals}: {key(source)}")
        for text in texts:
            if not text:
                problems.append(f"untranslated: {key(source)}")
            elif placeholders(text) != wanted:
                problems.append(f"placeholders {placeholders(text)} instead of {wanted}: {key(source)}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("folder", COMPLETE)
def test_no_english_is_left_in_a_complete_language(pot: Catalog, folder: str) -> None:
    catalog = read(catalogue_path(folder), folder)
    allowed = SAME_AS_ENGLISH[folder]
    english = []
    for source in messages(pot):
        entry = catalog.get(key(source)[1], source.context)
        assert entry is not None
        english_forms = set(forms(source.id))
        if key(source) not in allowed and english_forms & set(forms(entry.string)):
            english.append(f"{key(source)} -> {entry.string!r}")
    assert not english, "\n".join(english)
    # The list of exceptions stays true: each is in the template and still the same as in English.
    for context, text in allowed:
        entry = catalog.get(text, context)
        assert entry is not None and text in forms(entry.string), (context, text)


@pytest.mark.parametrize("folder", COMPLETE)
def test_the_catalogue_has_its_languages_plural_rule(folder: str) -> None:
    catalog = read(catalogue_path(folder), folder)
    rule = get_plural(folder)
    assert (catalog.num_plurals, catalog.plural_expr) == (rule.num_plurals, rule.plural_expr)


@pytest.mark.parametrize("folder", COMPLETE)
def test_every_message_renders_for_any_count(pot: Catalog, folder: str) -> None:
    language = language_for(folder.replace("_", "-"))
    assert language.code != "en"
    for source in messages(pot):
        ids = forms(source.id)
        values = {name: f"<{name}>" for name in placeholders(ids[-1])}
        for n in (0, 1, 2, 5, 21, 1_000_000):
            if len(ids) > 1:
                text = language.tn(ids[0], ids[1], n, **{**values, "n": n})
                assert language.number(n) in text or "{n}" not in ids[1]
            elif source.context:
                text = language.tp(source.context, ids[0], **values)
            else:
                text = language.t(ids[0], **values)
            assert "{" not in text and "}" not in text, (folder, source.id, text)
            for value in values.values():
                if value != "<n>":
                    assert value in text, (folder, source.id, text)


@pytest.mark.parametrize("folder", COMPLETE)
def test_localised_names_and_descriptions_follow_discords_rules(pot: Catalog, folder: str) -> None:
    catalog = compiled(folder)
    for message in messages(pot):
        if message.context not in (NAME, OPTION_NAME, DESCRIPTION, OPTION_DESCRIPTION, CHOICE):
            continue
        text = str(catalog.pgettext(message.context, str(message.id)))
        if message.context in (NAME, OPTION_NAME):
            assert DISCORD_NAME.fullmatch(text) and text == text.lower(), (folder, message.id, text)
        else:
            assert 1 <= len(text) <= 100, (folder, message.id, text)


async def test_every_command_payload_is_localised_within_discords_rules() -> None:
    """What registering sends, for every Discord locale: names lowercase, 1-32 characters, no spaces;
    descriptions 1-100; each served language has a translation of every name and description."""
    client = discord.Client(intents=discord.Intents.none())
    tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)
    translator = CommandTranslator()
    served = {locale.value for locale in discord.Locale if language_for(locale.value).code != "en"}
    assert {"pt-BR", "es-ES", "es-419", "fr", "de"} <= served
    payloads = [await command.get_translated_payload(tree, translator) for command in _commands()]
    assert payloads

    def check(item: dict[str, Any]) -> None:
        names: dict[str, str] = item["name_localizations"]
        descriptions: dict[str, str] = item["description_localizations"]
        assert set(names) == served and set(descriptions) == served, item["name"]
        for name in names.values():
            assert DISCORD_NAME.fullmatch(name) and name == name.lower(), name
        for description in descriptions.values():
            assert 1 <= len(description) <= 100, description
        for option in item.get("options") or []:
            check(option)

    for payload in payloads:
        check(payload)
    await client.close()


def _commands() -> list[app_commands.Command[Any, ..., Any] | app_commands.Group]:
    import importlib
    import inspect

    from discord.ext import commands

    from bot.app import EXTENSIONS

    found = []
    for extension in EXTENSIONS:
        module = importlib.import_module(extension)
        for _, cog in inspect.getmembers(module, inspect.isclass):
            if issubclass(cog, commands.Cog) and cog.__module__ == module.__name__:
                found.extend(cog.__cog_app_commands__)
    return found
