"""Settings: one clear line per bad setting, the environment wins over .env, secrets never shown."""

from __future__ import annotations

import dataclasses
import itertools
import logging
import os
import re
import subprocess
import sys
import types
import typing
from pathlib import Path

import pytest

from bot.config import Settings, load_settings, settings_from_mapping
from bot.engines import ra_options
from bot.errors import ConfigError
from bot.logs import RedactingFilter
from bot.ra.client import RAClientOptions
from bot.secret import Secret
from bot.settings_spec import BY_ENV, SETTINGS

REPO = Path(__file__).resolve().parent.parent

KEY = "ConfigTestKey000000000000000000a"
GOOD = {"DISCORD_TOKEN": "token.part.two", "RA_API_KEY": KEY}
LONGEST_HOST = ".".join(["a" * 63] * 3 + ["b" * 61])  # 253 characters, as DNS allows


def test_minimal_settings_and_defaults() -> None:
    settings = settings_from_mapping(GOOD)
    assert settings.ra_base_url == "https://retroachievements.org"
    assert settings.discord_guild_id is None and settings.ra_username is None
    assert settings.sqlite_path == Path("data/bot.sqlite3")
    assert KEY not in repr(settings) and "token.part.two" not in repr(settings)
    assert f"{settings.ra_api_key}" == "Secret('********')"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"DISCORD_TOKEN": ""}, "DISCORD_TOKEN is not set"),
        ({"RA_API_KEY": ""}, "RA_API_KEY is not set"),
        ({"RA_API_KEY": "short"}, "RA_API_KEY does not look like"),
        ({"RA_USERNAME": "bad name"}, "RA_USERNAME is 'bad name'"),
        ({"DISCORD_GUILD_ID": "my server"}, "DISCORD_GUILD_ID is 'my server'"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL is 'loud', which is not valid: use one of DEBUG"),
        ({"RA_BASE_URL": "retroachievements.org"}, "RA_BASE_URL is"),
        ({"RA_REQUESTS_PER_SECOND": "0"}, "RA_REQUESTS_PER_SECOND is '0'"),
        ({"MAX_GAMES": "51"}, "MAX_GAMES is '51', which is not valid: use a whole number from 1 to 50"),
        ({"PAGINATOR_TIMEOUT_SECONDS": "1000"}, "PAGINATOR_TIMEOUT_SECONDS is '1000'"),
    ],
)
def test_bad_settings_name_the_variable(changes: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        settings_from_mapping({**GOOD, **changes})


def test_environment_wins_over_dotenv(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"DISCORD_TOKEN=from-file\nRA_API_KEY={KEY}\nLOG_LEVEL=DEBUG\n")
    settings = load_settings({"DISCORD_TOKEN": "from-env"}, dotenv)
    assert settings.discord_token.reveal() == "from-env"
    assert settings.log_level == "DEBUG"


def test_missing_setting_stops_the_bot_with_one_line_and_status_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "RA_API_KEY")}
    run = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env={**env, "RA_API_KEY": KEY, "PYTHONPATH": os.getcwd()},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.strip().count("\n") == 0
    assert run.stderr.startswith("Configuration error: DISCORD_TOKEN is not set")


def test_log_filter_redacts_secrets_from_messages_and_tracebacks() -> None:
    redactor = RedactingFilter([Secret(KEY)])
    try:
        raise ValueError(f"bad url ?y={KEY}")
    except ValueError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "GET %s", (f"/API?y={KEY}",), sys.exc_info()
        )
    redactor.filter(record)
    assert KEY not in record.getMessage() and KEY not in (record.exc_text or "")
    assert "********" in record.getMessage()


def test_the_environment_is_read_when_no_mapping_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "from-environ")
    monkeypatch.setenv("RA_API_KEY", KEY)
    assert load_settings(dotenv_path=None).discord_token.reveal() == "from-environ"


def test_dotenv_in_the_working_folder_is_read_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text(f"DISCORD_TOKEN=from-file\nRA_API_KEY={KEY}\n")
    monkeypatch.chdir(tmp_path)
    assert load_settings({}).discord_token.reveal() == "from-file"
    assert load_settings({"DISCORD_TOKEN": "x", "RA_API_KEY": KEY}, None).discord_token.reveal() == "x"


# ----------------------------------------------------------------------------- every bad setting at once


def test_every_bad_setting_is_reported_at_once_one_message_each() -> None:
    bad = {
        "DISCORD_TOKEN": "",
        "RA_API_KEY": "short",
        "RA_BASE_URL": "http://a..b",
        "MAX_GAMES": "0",
        "LOG_FORMAT": "xml",
        "REDIS_URL": "localhost:6379",
        "SHARD_COUNT": "2",
        "SHARD_IDS": "0,2",
    }
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping(bad)
    assert [message.split(" ")[0] for message in caught.value.messages] == [
        "DISCORD_TOKEN",
        "RA_API_KEY",
        "LOG_FORMAT",
        "RA_BASE_URL",
        "MAX_GAMES",
        "REDIS_URL",
        "SHARD_IDS",
    ]
    assert all("\n" not in message and message.endswith(".") for message in caught.value.messages)
    assert str(caught.value) == "\n".join(caught.value.messages)


def test_a_bad_shard_count_is_not_blamed_on_shard_ids() -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping({**GOOD, "SHARD_COUNT": "two", "SHARD_IDS": "0"})
    assert caught.value.messages == (
        "SHARD_COUNT is 'two', which is not valid: use a whole number from 1 to 10000.",
    )


@pytest.mark.parametrize(
    ("shards", "message"),
    [
        (
            {"SHARD_IDS": "0"},
            "SHARD_IDS is set but SHARD_COUNT is not: set SHARD_COUNT to the total number of shards.",
        ),
        (
            {"SHARD_COUNT": "3", "SHARD_IDS": "1,3"},
            "SHARD_IDS names shard 3, but SHARD_COUNT is 3: shards are numbered 0 to 2.",
        ),
    ],
)
def test_shard_ids_must_be_within_shard_count(shards: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping({**GOOD, **shards})
    assert caught.value.messages == (message,)


@pytest.mark.parametrize(
    ("value", "ids"), [("0", (0,)), ("2, 0,2", (2, 0)), ("0,,1", None), ("0;1", None), ("\u0661", None)]
)
def test_shard_ids_are_numbers_separated_by_commas(value: str, ids: tuple[int, ...] | None) -> None:
    values = {**GOOD, "SHARD_COUNT": "4", "SHARD_IDS": value}
    if ids is None:
        with pytest.raises(ConfigError, match=r"^SHARD_IDS is .*: use shard numbers separated by commas"):
            settings_from_mapping(values)
    else:
        assert settings_from_mapping(values).shard_ids == ids


def test_a_token_with_spaces_is_refused_without_showing_it() -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping({**GOOD, "DISCORD_TOKEN": "Bot abc.def"})
    assert caught.value.messages == (
        "DISCORD_TOKEN contains spaces: paste the token alone, without quotes or 'Bot '.",
    )


def test_secrets_are_never_echoed_in_errors() -> None:
    values = {
        "DISCORD_TOKEN": "tok en-sekrit",
        "RA_API_KEY": "sekrit!",
        "REDIS_URL": "localhost:6379/sekrit",
        "DATABASE_URL": "mysql://u:sekrit@h",
    }
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping(values)
    assert len(caught.value.messages) == 4
    assert "sekrit" not in str(caught.value)
    assert caught.value.messages[2:] == (
        "REDIS_URL is not valid: use a URL starting with redis:// or rediss:// or unix://.",
        "DATABASE_URL is not valid: use a URL starting with postgresql:// or postgres://.",
    )


def test_secret_urls_are_kept_whole() -> None:
    redis, database = "rediss://:pw@127.0.0.1:6379/0", "postgres://bot:pw@db/bot"
    settings = settings_from_mapping({**GOOD, "REDIS_URL": redis, "DATABASE_URL": database})
    assert settings.redis_url == Secret(redis) and settings.database_url == Secret(database)


# ----------------------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("RA_BASE_URL", "http://a..b", "whose host is not a valid host name or IP address"),
        ("RA_BASE_URL", "http://.example.org", "whose host is not a valid host name or IP address"),
        ("RA_BASE_URL", "http://example.org.", "whose host is not a valid host name or IP address"),
        ("RA_BASE_URL", "http://-bad.example", "whose host is not a valid host name or IP address"),
        ("RA_BASE_URL", "http://under_score.example", "whose host is not a valid host name or IP address"),
        ("RA_BASE_URL", "http://10.0.0.300", "whose host is not a valid host name or IP address"),
        ("RA_BASE_URL", "http://" + "a" * 64 + ".example", "whose host is not a valid host name"),
        ("RA_BASE_URL", "http://[::g]/", "whose host is not a valid IP address"),
        ("RA_BASE_URL", "http://a b.example", "which contains spaces"),
        ("RA_BASE_URL", "http://example.org:99999", "whose port is not a number from 1 to 65535"),
        ("RA_BASE_URL", "http://example.org:0", "whose port is not a number from 1 to 65535"),
        ("RA_BASE_URL", "http://example.org:", "whose port is not a number from 1 to 65535"),
        ("RA_BASE_URL", "http://example.org:http", "whose port is not a number from 1 to 65535"),
        ("RA_BASE_URL", "ftp://example.org", "which does not start with http:// or https://"),
        ("RA_BASE_URL", "retroachievements.org", "which does not start with http:// or https://"),
        ("RA_BASE_URL", "http://", "which does not start with http:// or https://"),
        ("RA_BASE_URL", "http://user:pw@example.org", "which holds a user name or password"),
        ("RA_BASE_URL", "https://example.org/?x=1", "which has a query or fragment"),
        ("RA_BASE_URL", "https://example.org/?", "which has a query or fragment"),
        ("RA_BASE_URL", "https://example.org#", "which has a query or fragment"),
        ("RA_BASE_URL", "http://:80", "whose host is not a valid host name or IP address"),
        ("RA_BASE_URL", "http://1::1:80/", "whose port is not a number from 1 to 65535"),
        ("RA_BASE_URL", "http://[example.org]/", "whose host is not a valid IP address"),
        ("RA_BASE_URL", f"http://{LONGEST_HOST}x/", "whose host is not a valid host name or IP address"),
        ("DISCORD_API_URL", "ws://127.0.0.1:1/api", "which does not start with http:// or https://"),
        ("DISCORD_API_URL", "http://a..b/api/v10", "whose host is not a valid host name or IP address"),
        ("DISCORD_GATEWAY_URL", "http://127.0.0.1:1/gateway", "which does not start with ws:// or wss://"),
        ("DISCORD_GATEWAY_URL", "wss://gateway..discord.gg", "whose host is not a valid host name"),
    ],
)
def test_urls_are_checked_at_start(name: str, value: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping({**GOOD, name: value})
    (message,) = caught.value.messages
    assert message.startswith(f"{name} is {value!r}, {problem}")
    assert ": use a" in message and "\n" not in message


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("https://retroachievements.org/", "https://retroachievements.org"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://[::1]:8080/ra", "http://[::1]:8080/ra"),
        ("http://localhost", "http://localhost"),
        ("https://RA.Example-Mirror.org/base/", "https://RA.Example-Mirror.org/base"),
        (f"http://{LONGEST_HOST}", f"http://{LONGEST_HOST}"),
        ("http://bücher.example", "http://bücher.example"),
    ],
)
def test_good_urls_are_kept(value: str, kept: str) -> None:
    assert settings_from_mapping({**GOOD, "RA_BASE_URL": value}).ra_base_url == kept


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "::1", "localhost", "metrics.internal"])
def test_metrics_host_accepts_names_and_addresses(host: str) -> None:
    assert settings_from_mapping({**GOOD, "METRICS_HOST": host}).metrics_host == host


@pytest.mark.parametrize("host", ["a..b", "a b", "http://x", "10.0.0.300", "[::1]", "host:80"])
def test_metrics_host_must_be_a_host(host: str) -> None:
    with pytest.raises(ConfigError, match=r"^METRICS_HOST is .*, which is not valid: use a host name or IP"):
        settings_from_mapping({**GOOD, "METRICS_HOST": host})


# ----------------------------------------------------------------------------- new settings


def test_new_settings_have_their_defaults() -> None:
    settings = settings_from_mapping(GOOD)
    assert settings.log_format == "text"
    assert settings.startup_retry_seconds == 300
    assert settings.storage_timeout_seconds == 5
    assert settings.redis_breaker_seconds == 30
    assert settings.catalogue_refresh_hours == 24
    assert settings.feed_poll_seconds == 60
    assert settings.feed_catchup_hours == 24


def test_new_settings_are_read() -> None:
    settings = settings_from_mapping(
        {
            **GOOD,
            "LOG_FORMAT": "JSON",
            "STARTUP_RETRY_SECONDS": "0",
            "STORAGE_TIMEOUT_SECONDS": "0.25",
            "REDIS_BREAKER_SECONDS": "2",
            "CATALOGUE_REFRESH_HOURS": "0.5",
            "FEED_POLL_SECONDS": "1",
            "FEED_CATCHUP_HOURS": "48",
        }
    )
    assert settings.log_format == "json"
    assert settings.startup_retry_seconds == 0
    assert settings.storage_timeout_seconds == 0.25
    assert settings.redis_breaker_seconds == 2
    assert settings.catalogue_refresh_hours == 0.5
    assert settings.feed_poll_seconds == 1
    assert settings.feed_catchup_hours == 48


# ----------------------------------------------------------------------------- the declaration's bounds

# Each number setting's edges, written out a second time on purpose: a bound changed in
# bot/settings_spec.py must fail here. (lowest accepted, highest accepted or None, rejected values)
BOUNDS: dict[str, tuple[str, str | None, tuple[str, ...]]] = {
    "RA_TIMEOUT_SECONDS": ("0.001", None, ("0", "-1", "inf", "nan")),
    "RA_MAX_RETRIES": ("0", "10", ("-1", "11", "1.5")),
    "RA_REQUESTS_PER_SECOND": ("0.001", None, ("0", "-1", "inf")),
    "RA_BURST": ("1", "100", ("0", "101")),
    "RA_IDS_PER_REQUEST": ("1", "500", ("0", "501")),
    "CACHE_GAME_SECONDS": ("0.001", None, ("0", "inf")),
    "CACHE_PROFILE_SECONDS": ("0.001", None, ("0", "inf")),
    "CACHE_PROGRESS_SECONDS": ("0.001", None, ("0", "inf")),
    "CACHE_LEADERBOARD_SECONDS": ("0.001", None, ("0", "inf")),
    "PROGRESS_COOLDOWN_SECONDS": ("0", None, ("-0.001", "inf")),
    "MAX_GAMES": ("1", "50", ("0", "51")),
    "PAGINATOR_TIMEOUT_SECONDS": ("1", "840", ("0.999", "840.001")),
    "SHARD_COUNT": ("1", "10000", ("0", "10001")),
    "METRICS_PORT": ("1", "65535", ("0", "65536")),
    "SHUTDOWN_GRACE_SECONDS": ("0", None, ("-0.001", "inf")),
    "STARTUP_RETRY_SECONDS": ("0", None, ("-0.001", "inf")),
    "STORAGE_TIMEOUT_SECONDS": ("0.001", None, ("0", "inf")),
    "REDIS_BREAKER_SECONDS": ("0.001", None, ("0", "inf")),
    "CATALOGUE_REFRESH_HOURS": ("0.001", None, ("0", "inf")),
    "FEED_POLL_SECONDS": ("1", None, ("0.999", "inf")),
    "FEED_CATCHUP_HOURS": ("0.001", None, ("0", "inf")),
}


@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_number_settings_accept_exactly_their_bounds(name: str) -> None:
    lowest, highest, rejected = BOUNDS[name]
    setting = BY_ENV[name]
    for accepted in (lowest, highest or "1e9"):
        value = getattr(settings_from_mapping({**GOOD, name: accepted}), setting.field)
        assert value == float(accepted)
    for value in rejected:
        with pytest.raises(ConfigError) as caught:
            settings_from_mapping({**GOOD, name: value})
        assert caught.value.messages == (f"{name} is {value!r}, which is not valid: {setting.help}.",)


def test_every_number_setting_has_its_bounds_written_out() -> None:
    hints = typing.get_type_hints(Settings)
    numbers = {s.env for s in SETTINGS if {int, float} & set(_runtime_types(hints[s.field]))}
    assert numbers == set(BOUNDS) | {"DISCORD_GUILD_ID"}


@pytest.mark.parametrize(("digits", "accepted"), [(14, False), (15, True), (21, True), (22, False)])
def test_a_guild_id_has_15_to_21_digits(digits: int, accepted: bool) -> None:
    values = {**GOOD, "DISCORD_GUILD_ID": "1" * digits}
    if accepted:
        assert settings_from_mapping(values).discord_guild_id == int("1" * digits)
    else:
        with pytest.raises(ConfigError, match=r"^DISCORD_GUILD_ID is '1+', which is not valid"):
            settings_from_mapping(values)


@pytest.mark.parametrize(("name", "shortest", "longest"), [("RA_API_KEY", 16, 64), ("RA_USERNAME", 2, 20)])
def test_letters_and_digits_have_their_lengths(name: str, shortest: int, longest: int) -> None:
    for length in (shortest, longest):
        settings_from_mapping({**GOOD, name: "a1" * (length // 2) + "b" * (length % 2)})
    for length in (shortest - 1, longest + 1):
        with pytest.raises(ConfigError, match=f"^{name} "):
            settings_from_mapping({**GOOD, name: "a" * length})
    with pytest.raises(ConfigError, match=f"^{name} "):
        settings_from_mapping({**GOOD, name: "a-" * shortest})


# ----------------------------------------------------------------------------- one declaration, derived


def test_settings_has_one_field_per_declared_setting() -> None:
    assert [f.name for f in dataclasses.fields(Settings)] == [s.field for s in SETTINGS]


def test_every_default_is_accepted_by_its_own_rule_and_has_the_fields_type() -> None:
    hints = typing.get_type_hints(Settings)
    for setting in SETTINGS:
        if setting.required or setting.default is None:
            continue
        assert setting.accepts.parse(_plain(setting.default)) == setting.default, setting.env
        assert isinstance(setting.default, _runtime_types(hints[setting.field])), setting.env


def test_every_value_has_its_fields_type() -> None:
    hints = typing.get_type_hints(Settings)
    examples = {name: value for name, value in _env_example().items() if value}
    unset_in_example = {"RA_USERNAME": "Someone", "DISCORD_GUILD_ID": "1" * 18, "DATABASE_PATH": "bot.db"}
    everything_set = settings_from_mapping({**GOOD, **examples, **unset_in_example})
    for settings in (settings_from_mapping(GOOD), everything_set):
        for field in dataclasses.fields(settings):
            value = getattr(settings, field.name)
            assert isinstance(value, _runtime_types(hints[field.name])), (field.name, value)
    values = {f.name: getattr(everything_set, f.name) for f in dataclasses.fields(everything_set)}
    assert [name for name, value in values.items() if value is None] == []
    holding_secrets = {name for name, value in values.items() if isinstance(value, Secret)}
    assert holding_secrets == {s.field for s in SETTINGS if s.secret}, (
        "a Secret's setting must be declared secret"
    )


def test_client_options_default_to_the_declared_defaults() -> None:
    options = {f.name: f for f in dataclasses.fields(RAClientOptions)}
    for setting in SETTINGS:
        if setting.client_option is None or setting.required:
            continue
        field = options[setting.client_option]
        if field.default is dataclasses.MISSING:
            assert setting.env == "RA_BASE_URL"  # required by the client, defaulted by the bot
        else:
            assert field.default == setting.default and type(field.default) is type(setting.default)


def test_client_options_carry_the_settings() -> None:
    settings = settings_from_mapping(
        {
            **GOOD,
            "RA_USERNAME": "Someone",
            "RA_BASE_URL": "http://127.0.0.1:9/",
            "RA_TIMEOUT_SECONDS": "7",
            "RA_MAX_RETRIES": "1",
            "RA_REQUESTS_PER_SECOND": "2.5",
            "RA_BURST": "4",
            "RA_IDS_PER_REQUEST": "20",
            "CACHE_GAME_SECONDS": "100",
            "CACHE_PROFILE_SECONDS": "11",
            "CACHE_PROGRESS_SECONDS": "12",
        }
    )
    options = ra_options(settings)
    assert (options.api_key, options.username, options.base_url) == (
        Secret(KEY),
        "Someone",
        "http://127.0.0.1:9",
    )
    assert (options.timeout_seconds, options.max_retries, options.requests_per_second) == (7, 1, 2.5)
    assert (options.burst, options.ids_per_request) == (4, 20)
    assert (options.cache_game_seconds, options.cache_profile_seconds, options.cache_progress_seconds) == (
        100,
        11,
        12,
    )
    assert options.user_agent.startswith("RAProgressBot/")


# ----------------------------------------------------------------------------- documentation


def test_env_example_documents_every_setting_with_its_default() -> None:
    documented = _env_example()
    assert sorted(documented) == sorted(BY_ENV), "declared and documented variables differ"
    for name, value in documented.items():
        setting = BY_ENV[name]
        if setting.required:
            assert value == "", name
        elif setting.default is None:
            assert value == "" or setting.accepts.parse(value) is not None, name
        else:
            assert setting.accepts.parse(value) == setting.default, f"{name}={value} is not its default"


def test_readme_settings_table_is_the_declaration() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n### Settings\n", 1)[1]
    table = "\n".join(itertools.takewhile(lambda line: line.startswith("|"), _from_first_row(section)))
    expected = settings_table()
    assert table == expected, (
        "README's Settings table differs from bot/settings_spec.py; it should be:\n" + expected
    )


def settings_table() -> str:
    """The README's Settings table, made from the declaration."""
    rows = ["| variable | default | accepts | meaning |", "|---|---|---|---|"]
    for setting in SETTINGS:
        if setting.required:
            default = "(required)"
        elif setting.default is None:
            default = setting.unset_means
        else:
            default = f"`{_plain(setting.default)}`"
        accepts = setting.accepts.rule + (f" ({setting.note})" if setting.note else "")
        rows.append(f"| `{setting.env}` | {default} | {accepts} | {setting.meaning} |")
    return "\n".join(rows)


def _from_first_row(text: str) -> list[str]:
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("|"))
    return lines[first:]


def _plain(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _env_example() -> dict[str, str]:
    """NAME -> value of each `NAME=value` or `# NAME=value` line; a name twice is an error."""
    found: dict[str, str] = {}
    for line in (REPO / ".env.example").read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"#? ?([A-Z][A-Z0-9_]*)=(.*)", line)
        if match:
            assert match[1] not in found, f"{match[1]} twice in .env.example"
            found[match[1]] = match[2]
    return found


def _runtime_types(hint: object) -> tuple[type, ...]:
    """`int | None` -> (int, NoneType); `tuple[int, ...]` -> (tuple,)."""
    parts = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    return tuple(typing.get_origin(part) or part for part in parts)
