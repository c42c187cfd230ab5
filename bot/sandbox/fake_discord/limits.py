"""Discord's limits on what a bot sends: messages, embeds, components, autocomplete choices, modals,
command registrations and nonces. Each check returns Discord-style nested errors ({} when valid)."""

from __future__ import annotations

import re
from typing import Any

from discord import AppCommandOptionType, AppCommandType, ButtonStyle, ComponentType, Locale

from bot.sandbox.fake_discord.errors import (
    JSON,
    bad_length,
    field_error,
    max_length,
    not_a_list,
    not_an_object,
    one_of,
    put,
    required,
)
from bot.sandbox.fake_discord.messages import IS_COMPONENTS_V2

Path = tuple[str | int, ...]

SELECT_TYPES = frozenset(
    t.value
    for t in (
        ComponentType.select,
        ComponentType.user_select,
        ComponentType.role_select,
        ComponentType.mentionable_select,
        ComponentType.channel_select,
    )
)
_GROUP_OPTION_TYPES = (AppCommandOptionType.subcommand.value, AppCommandOptionType.subcommand_group.value)
_COMMAND_NAME_RE = re.compile(r"[-_'\w]{1,32}")
_LOCALES = frozenset(locale.value for locale in Locale)
INTEGRATION_TYPES = frozenset({0, 1})  # installed to a server, installed to a member's account
CONTEXTS = frozenset({0, 1, 2})  # a server, the bot's DMs, other DMs and group DMs
NONCE_MAX_LENGTH = 25
_MENTION_KINDS = ("roles", "users", "everyone")
_MENTION_CHOICES = "Value must be one of ('roles', 'users', 'everyone')."


# ---------------------------------------------------------------------------------------------- messages


def validate_message(data: JSON, base: Path = ()) -> JSON:
    """Return Discord-style nested errors for a message create/edit body ({} when valid)."""
    errors: JSON = {}
    content = data.get("content")
    if content is not None and (not isinstance(content, str) or len(content) > 2000):
        put(errors, (*base, "content"), max_length(2000))
    if data.get("embeds") is not None:
        _validate_embeds(data["embeds"], errors, base)
    if data.get("components") is not None:
        _validate_components(data["components"], int(data.get("flags") or 0), errors, base)
    return errors


def is_empty(message: JSON) -> bool:
    """Whether a message body has nothing to show (Discord refuses it with 50006)."""
    return not (
        message.get("content")
        or message.get("embeds")
        or message.get("components")
        or message.get("attachments")
        or message.get("poll")
        or message.get("sticker_ids")
    )


def validate_nonce(data: JSON) -> JSON:
    """A nonce is an integer or a string of at most 25 characters."""
    errors: JSON = {}
    nonce = data.get("nonce")
    if isinstance(nonce, str) and len(nonce) > NONCE_MAX_LENGTH:
        put(errors, ("nonce",), max_length(NONCE_MAX_LENGTH))
    elif nonce is not None and (not isinstance(nonce, int | str) or isinstance(nonce, bool)):
        put(errors, ("nonce",), field_error("BASE_TYPE_STRING", "Must be a string or an integer."))
    return errors


def validate_allowed_mentions(data: JSON) -> JSON:
    """`parse` names kinds (roles, users, everyone); a kind cannot be both parsed and listed."""
    errors: JSON = {}
    allowed = data.get("allowed_mentions")
    if allowed is None:
        return errors
    if not isinstance(allowed, dict):
        put(errors, ("allowed_mentions",), field_error("MODEL_TYPE_CONVERT", "Only dictionaries may be used"))
        return errors
    parse = allowed.get("parse") or []
    for i, kind in enumerate(parse):
        if kind not in _MENTION_KINDS:
            put(errors, ("allowed_mentions", "parse", i), field_error("BASE_TYPE_CHOICES", _MENTION_CHOICES))
    for kind in ("roles", "users"):
        listed = allowed.get(kind) or []
        if len(listed) > 100:
            put(errors, ("allowed_mentions", kind), max_length(100))
        elif listed and kind in parse:
            put(
                errors,
                ("allowed_mentions",),
                field_error(
                    "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                    f'parse:["{kind}"] and {kind}: [ids] are mutually exclusive.',
                ),
            )
    return errors


def _validate_embeds(embeds: Any, errors: JSON, base: Path) -> None:
    if not isinstance(embeds, list):
        put(
            errors,
            (*base, "embeds"),
            not_a_list(),
        )
        return
    if len(embeds) > 10:
        put(errors, (*base, "embeds"), max_length(10))
    total = 0
    for i, embed in enumerate(embeds):
        path = (*base, "embeds", i)
        if not isinstance(embed, dict):
            put(
                errors,
                path,
                not_an_object(),
            )
            continue
        total += _validate_embed(embed, errors, path)
    if total > 6000:
        put(
            errors,
            (*base, "embeds"),
            field_error("MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"),
        )


def _validate_embed(embed: JSON, errors: JSON, path: Path) -> int:
    """Check one embed's fields; return how many characters it counts towards the 6000."""
    total = 0
    for key, limit in (("title", 256), ("description", 4096)):
        value = embed.get(key)
        if isinstance(value, str):
            total += len(value)
            if len(value) > limit:
                put(errors, (*path, key), max_length(limit))
    fields = embed.get("fields") or []
    if len(fields) > 25:
        put(errors, (*path, "fields"), max_length(25))
    for j, fld in enumerate(fields):
        for key, limit in (("name", 256), ("value", 1024)):
            value = fld.get(key) if isinstance(fld, dict) else None
            if not isinstance(value, str) or not value:
                put(errors, (*path, "fields", j, key), required())
                continue
            total += len(value)
            if len(value) > limit:
                put(errors, (*path, "fields", j, key), max_length(limit))
    for key, sub, limit in (("footer", "text", 2048), ("author", "name", 256)):
        part = embed.get(key)
        value = part.get(sub) if isinstance(part, dict) else None
        if isinstance(value, str):
            total += len(value)
            if len(value) > limit:
                put(errors, (*path, key, sub), max_length(limit))
    return total


def _validate_components(components: Any, flags: int, errors: JSON, base: Path) -> None:
    if not isinstance(components, list):
        put(errors, (*base, "components"), field_error("LIST_TYPE_CONVERT", "Only iterables may be used"))
        return
    v2 = bool(flags & IS_COMPONENTS_V2)
    if not v2 and len(components) > 5:
        put(errors, (*base, "components"), max_length(5))
    seen: set[str] = set()
    total = 0
    for i, comp in enumerate(components):
        path = (*base, "components", i)
        if not v2 and isinstance(comp, dict) and comp.get("type") != ComponentType.action_row.value:
            put(errors, (*path, "type"), one_of({ComponentType.action_row.value}))
        total += _validate_component(comp, path, errors, seen)
    if v2 and total > 40:
        put(errors, (*base, "components"), max_length(40))


def _validate_component(comp: Any, path: Path, errors: JSON, seen: set[str]) -> int:
    """Validate one component (recursively); return how many components it counts for."""
    if not isinstance(comp, dict) or not isinstance(comp.get("type"), int):
        put(errors, (*path, "type"), required())
        return 1
    ctype: int = comp["type"]
    custom_id = comp.get("custom_id")
    if isinstance(custom_id, str):
        if len(custom_id) > 100:
            put(errors, (*path, "custom_id"), max_length(100))
        elif custom_id in seen:
            put(
                errors,
                (*path, "custom_id"),
                field_error("COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated"),
            )
        seen.add(custom_id)
    if ctype == ComponentType.button.value:
        _validate_button(comp, path, errors)
    elif ctype in SELECT_TYPES:
        if not custom_id:
            put(errors, (*path, "custom_id"), required())
        if ctype == ComponentType.select.value and len(comp.get("options") or []) > 25:
            put(errors, (*path, "options"), max_length(25))
    children = comp.get("components")
    if ctype == ComponentType.action_row.value:
        children = _validate_row(children, path, errors)
    count = 1
    if isinstance(children, list):
        for i, child in enumerate(children):
            count += _validate_component(child, (*path, "components", i), errors, seen)
    accessory = comp.get("accessory")
    if isinstance(accessory, dict):
        count += _validate_component(accessory, (*path, "accessory"), errors, seen)
    return count


def _validate_button(button: JSON, path: Path, errors: JSON) -> None:
    label = button.get("label")
    if isinstance(label, str) and len(label) > 80:
        put(errors, (*path, "label"), max_length(80))
    style = button.get("style")
    if style == ButtonStyle.link.value and not button.get("url"):
        put(errors, (*path, "url"), required())
    elif style not in (ButtonStyle.link.value, ButtonStyle.premium.value) and not button.get("custom_id"):
        put(errors, (*path, "custom_id"), required())


def _validate_row(children: Any, path: Path, errors: JSON) -> Any:
    """Check an action row's children (1-5 buttons, or one select); return those to check further."""
    if not isinstance(children, list) or not children:
        put(
            errors, (*path, "components"), field_error("BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length.")
        )
        return []
    if len(children) > 5:
        put(errors, (*path, "components"), max_length(5))
    elif len(children) > 1 and any(isinstance(c, dict) and c.get("type") in SELECT_TYPES for c in children):
        put(
            errors,
            (*path, "components"),
            field_error(
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "The specified component exceeds the maximum width"
            ),
        )
    return children


# ---------------------------------------------------------------------------------------------- responses


def validate_choices(data: JSON) -> JSON:
    """An autocomplete answer: at most 25 choices, names 1-100 characters, string values at most 100."""
    errors: JSON = {}
    choices = data.get("choices")
    if not isinstance(choices, list):
        put(errors, ("data", "choices"), required())
        return errors
    if len(choices) > 25:
        put(errors, ("data", "choices"), max_length(25))
    for i, choice in enumerate(choices):
        name = choice.get("name") if isinstance(choice, dict) else None
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            put(errors, ("data", "choices", i, "name"), bad_length(1, 100))
        value = choice.get("value") if isinstance(choice, dict) else None
        if value is None:
            put(errors, ("data", "choices", i, "value"), required())
        elif isinstance(value, str) and len(value) > 100:
            put(errors, ("data", "choices", i, "value"), max_length(100))
    return errors


def validate_modal(data: JSON) -> JSON:
    errors: JSON = {}
    custom_id = data.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        put(errors, ("data", "custom_id"), required())
    elif len(custom_id) > 100:
        put(errors, ("data", "custom_id"), max_length(100))
    title = data.get("title")
    if not isinstance(title, str) or not 1 <= len(title) <= 45:
        put(errors, ("data", "title"), bad_length(1, 45))
    components = data.get("components")
    if not isinstance(components, list) or not 1 <= len(components) <= 5:
        put(errors, ("data", "components"), bad_length(1, 5))
    return errors


# ---------------------------------------------------------------------------------------------- commands


def validate_commands(body: list[Any]) -> JSON:
    """A bulk command registration (`PUT .../commands`): at most 100, names unique per type."""
    errors: JSON = {}
    seen: set[tuple[int, str]] = set()
    for i, cmd in enumerate(body):
        _validate_command(cmd, i, errors)
        if isinstance(cmd, dict):
            key = (int(cmd.get("type", AppCommandType.chat_input.value)), str(cmd.get("name")))
            if key in seen:
                put(
                    errors,
                    (i, "name"),
                    field_error(
                        "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique"
                    ),
                )
            seen.add(key)
    if len(body) > 100:
        errors.update(max_length(100))
    return errors


def _validate_command(cmd: Any, index: int, errors: JSON) -> None:
    if not isinstance(cmd, dict):
        put(
            errors,
            (index,),
            not_an_object(),
        )
        return
    chat_input = cmd.get("type", AppCommandType.chat_input.value) == AppCommandType.chat_input.value
    _check_named(cmd, chat_input, (index,), errors)
    if chat_input:
        _validate_options(cmd.get("options") or [], (index, "options"), errors)
    _check_values(cmd.get("integration_types"), INTEGRATION_TYPES, (index, "integration_types"), errors)
    _check_values(cmd.get("contexts"), CONTEXTS, (index, "contexts"), errors)


def _check_values(values: Any, allowed: frozenset[int], path: Path, errors: JSON) -> None:
    """`integration_types` and `contexts`: absent, null, or a list of known values."""
    if values is None:
        return
    if not isinstance(values, list):
        put(errors, path, not_a_list())
        return
    for i, value in enumerate(values):
        if not isinstance(value, int) or isinstance(value, bool) or value not in allowed:
            put(errors, (*path, i), one_of(allowed))


def _check_named(item: JSON, chat_input: bool, path: Path, errors: JSON) -> None:
    """A command's or an option's name and description, and their translations."""
    name_error = _name_error(item.get("name"), chat_input)
    if name_error is not None:
        put(errors, (*path, "name"), name_error)
    if chat_input and not _valid_description(item.get("description")):
        put(errors, (*path, "description"), bad_length(1, 100))
    for locale, translated in _localizations(item, "name_localizations", path, errors):
        name_error = _name_error(translated, chat_input)
        if name_error is not None:
            put(errors, (*path, "name_localizations", locale), name_error)
    for locale, translated in _localizations(item, "description_localizations", path, errors):
        if chat_input and not _valid_description(translated):
            put(errors, (*path, "description_localizations", locale), bad_length(1, 100))


def _name_error(name: Any, chat_input: bool) -> JSON | None:
    if not isinstance(name, str) or not name:
        return required()
    if len(name) > 32:
        return bad_length(1, 32)
    if chat_input and (not _COMMAND_NAME_RE.fullmatch(name) or name != name.lower()):
        return field_error("APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    return None


def _valid_description(description: Any) -> bool:
    return isinstance(description, str) and 1 <= len(description) <= 100


def _localizations(item: JSON, key: str, path: Path, errors: JSON) -> list[tuple[str, Any]]:
    """The translations under `key` whose locale Discord knows (the others are errors)."""
    translations = item.get(key)
    if not isinstance(translations, dict):
        return []
    known = []
    for locale, translated in translations.items():
        if locale in _LOCALES:
            known.append((locale, translated))
        else:
            put(
                errors,
                (*path, key, locale),
                field_error("BASE_TYPE_CHOICES", "Value must be a valid locale."),
            )
    return known


def _validate_options(options: Any, path: Path, errors: JSON) -> None:
    if not isinstance(options, list):
        return
    if len(options) > 25:
        put(errors, path, max_length(25))
    names: set[str] = set()
    seen_optional = False
    for i, opt in enumerate(options):
        opath = (*path, i)
        if not isinstance(opt, dict):
            put(errors, opath, required())
            continue
        _check_named(opt, True, opath, errors)
        name = opt.get("name")
        if isinstance(name, str):
            if name in names:
                put(
                    errors,
                    (*opath, "name"),
                    field_error(
                        "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", "Option names must be unique"
                    ),
                )
            names.add(name)
        if opt.get("type") in _GROUP_OPTION_TYPES:
            _validate_options(opt.get("options") or [], (*opath, "options"), errors)
            continue
        if opt.get("required"):
            if seen_optional:
                put(
                    errors,
                    (*opath, "required"),
                    field_error(
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    ),
                )
        else:
            seen_optional = True
        _validate_option_choices(opt.get("choices") or [], (*opath, "choices"), errors)


def _validate_option_choices(choices: list[Any], path: Path, errors: JSON) -> None:
    if len(choices) > 25:
        put(errors, path, max_length(25))
    for j, choice in enumerate(choices):
        name = choice.get("name") if isinstance(choice, dict) else None
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            put(errors, (*path, j, "name"), bad_length(1, 100))
        value = choice.get("value") if isinstance(choice, dict) else None
        if isinstance(value, str) and len(value) > 100:
            put(errors, (*path, j, "value"), max_length(100))
