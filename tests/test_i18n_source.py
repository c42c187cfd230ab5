"""No member-facing text escapes translation: what the bot's code hands Discord or shows a member is never
a bare English literal, f-string or concatenation of them; it comes from a Language (or is a symbol)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Code whose words only operators read (logs, the command line, the metrics server): it stays in English.
OPERATORS_ONLY = ("bot/sandbox/", "bot/i18n/", "bot/storage/", "bot/ra/", "bot/metrics.py", "bot/health.py",
                  "bot/__main__.py", "bot/check.py", "bot/backup.py", "bot/startup.py", "bot/logs.py",
                  "bot/config.py", "bot/settings_spec.py", "bot/command_sync.py")  # fmt: skip
#: Calls whose first argument is text a member reads.
FIRST_ARGUMENT = {
    "send_message",
    "send",
    "edit_original_response",
    "InvalidInput",
    "RefusedOption",
    "BotError",
    "send_error",
}
#: Keyword arguments that are text a member reads, in any call.
TEXT_KEYWORDS = {"content", "title", "description", "text", "label", "placeholder"}
#: Calls whose text is translated elsewhere: command and option names and descriptions go to Discord through
#: the app_commands.Translator, from the catalogues.
TRANSLATED_BY_DISCORD = {"command", "describe", "rename", "Group", "GroupCog"}
#: Keyword arguments that are text a member reads in these calls only.
FIELD_KEYWORDS = {"add_field": {"name", "value"}, "set_author": {"name"}, "Choice": {"name"}}


def has_words(node: ast.expr) -> bool:
    """Whether the expression is (or is built from) a string literal with letters in it."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and any(c.isalpha() for c in node.value)
    if isinstance(node, ast.JoinedStr):
        return any(has_words(part) for part in node.values)
    if isinstance(node, ast.BinOp):
        return has_words(node.left) or has_words(node.right)
    if isinstance(node, ast.IfExp):
        return has_words(node.body) or has_words(node.orelse)
    return False


def call_name(call: ast.Call) -> str:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return call.func.id if isinstance(call.func, ast.Name) else ""


def english_literals(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = call_name(node)
        if name in TRANSLATED_BY_DISCORD:
            continue
        suspects: list[ast.expr] = []
        if name in FIRST_ARGUMENT and node.args:
            suspects.append(node.args[0])
        for keyword in node.keywords:
            if keyword.arg in TEXT_KEYWORDS or keyword.arg in FIELD_KEYWORDS.get(name, set()):
                suspects.append(keyword.value)
        for suspect in suspects:
            if has_words(suspect):
                yield f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(suspect)[:80]}"


def test_no_english_literal_reaches_a_member() -> None:
    found: list[str] = []
    for folder in ("bot", "cogs"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.relative_to(ROOT).as_posix().startswith(OPERATORS_ONLY):
                continue
            found.extend(english_literals(path))
    assert not found, "wrap these in a Language's t()/tn()/tp() or msg():\n" + "\n".join(found)


def test_the_check_sees_english_where_it_hides() -> None:
    source = (
        "await interaction.response.send_message(f'Hello {name}', ephemeral=True)\n"
        "raise InvalidInput('Bad ' + x)\n"
        "embed.add_field(name='Points', value=points)\n"
        "discord.Embed(title=language.t('Fine'), description='Not fine' if x else y)\n"
        "await answer.send(language.t('Fine'))\n"
        "button.label = '1/2'\n"
    )
    calls = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)]
    flagged = []
    for node in calls:
        name = call_name(node)
        exprs = [node.args[0]] if name in FIRST_ARGUMENT and node.args else []
        exprs += [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS | FIELD_KEYWORDS.get(name, set())]
        flagged += [name for e in exprs if has_words(e)]
    assert sorted(flagged) == ["Embed", "InvalidInput", "add_field", "send_message"]
