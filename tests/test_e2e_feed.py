"""The award feed end to end: /feed set, off and status, and the posts, from the real bot in this process.

The real bot runs through its real startup code against the fake Discord and the fake RetroAchievements
(bot.sandbox.harness). Awards are added to the fake while the bot runs; a poll is run with the feed
service's `poll_now` (the same cycle the service runs every FEED_POLL_SECONDS), so nothing waits on a
clock. Assertions are on the exact JSON the bot sent and on what it stored. Several processes, restarts
and kill -9 are in test_feed_processes.py.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.feed.planner import nonce_for
from bot.feed.poller import PollResult
from bot.feed.reasons import decode_reason
from bot.feed.service import FeedService
from bot.i18n.language import ENGLISH
from bot.ra.awards import GameAward
from bot.sandbox.fake_awards import FakeAward
from bot.sandbox.fake_discord import ChannelError, FakeInteraction
from bot.sandbox.harness import DEFAULT_GUILD_ID, DEFAULT_MEMBER_ID, Sandbox, running_sandbox

GUILD = DEFAULT_GUILD_ID
OTHER_GUILD = 300000000000000002
MAX = DEFAULT_MEMBER_ID
SCOTT = 200000000000000002
JAMIRAS = 200000000000000003
ADMIN = 200000000000000009
CHANNEL = 500000000000000001
OTHER_CHANNEL = 500000000000000002
MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3
EPHEMERAL = 64
NO_PINGS: dict[str, list[str]] = {"parse": []}
GOLD = 0xCC9900
FOOTER = {"text": "Data from RetroAchievements.org"}
ALL_KINDS_TEXT = "mastered, completed, beaten hardcore, beaten softcore"
WELCOME_CONTENT = "📣 This channel now announces RetroAchievements awards."
NEEDED = "Give the bot View Channel, Send Messages and Embed Links there, then use `/feed set` again."
ADMINS_ONLY = "Only members with the Manage Server permission can set up or look at the award feed."
NO_FEED = "This server has no award feed. `/feed set` starts one."
FEED_OFF = "The award feed is off: nothing more is posted. `/feed set` turns it on again."
RESUME = "To resume, fix that, then use `/feed set` again."


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with running_sandbox(env={"PROGRESS_COOLDOWN_SECONDS": "0"}) as running:
        yield running


# ---------------------------------------------------------------------------------------------- helpers


def feed_on(interaction_channel: int, kinds: str | None = None) -> list[dict[str, Any]]:
    options: list[dict[str, Any]] = [{"name": "channel", "type": 7, "value": str(interaction_channel)}]
    if kinds is not None:
        options.append({"name": "kinds", "type": 3, "value": kinds})
    return options


async def feed(
    sandbox: Sandbox,
    subcommand: str,
    options: list[dict[str, Any]] | None = None,
    *,
    guild_id: int = GUILD,
    user_id: int = ADMIN,
    permissions: int = MANAGE_GUILD,
    locale: str = "en-US",
    guild_locale: str = "en-US",
) -> FakeInteraction:
    payload = sandbox.discord.slash_payload(
        "feed",
        options or [],
        subcommand=subcommand,
        user_id=user_id,
        guild_id=guild_id,
        permissions=permissions,
        locale=locale,
        guild_locale=guild_locale,
    )
    return await sandbox.discord.send_interaction(payload)


async def set_feed(sandbox: Sandbox, channel: int = CHANNEL, kinds: str | None = None, **kwargs: Any) -> str:
    """/feed set; returns what the admin read."""
    interaction = await feed(sandbox, "set", feed_on(channel, kinds), **kwargs)
    event = await interaction.wait_for(lambda e: e.kind in ("edit_original", "followup"))
    return str(event.body["content"])


async def private_text(interaction: FakeInteraction) -> str:
    """The text of an immediate private answer (callback type 4 with the ephemeral flag)."""
    event = await interaction.wait_for(lambda e: e.kind == "callback")
    assert event.body["type"] == 4 and event.body["data"]["flags"] == EPHEMERAL, event.body
    return str(event.body["data"]["content"])


async def link(sandbox: Sandbox, member: int, name: str, guild_id: int | None = GUILD) -> None:
    """A link as /link stores it (the /link path itself is tested in test_e2e_community)."""
    user = sandbox.ra.dataset.find_user(name)
    assert user is not None
    await sandbox.bot.storage.link(member, user.ulid, user.name, guild_id)


def service(sandbox: Sandbox) -> FeedService:
    # The extension's own module object (load_extension imports it afresh): read the attribute, no isinstance.
    found = getattr(sandbox.bot.get_cog("Feed"), "service", None)
    assert isinstance(found, FeedService)
    return found


async def poll(sandbox: Sandbox) -> PollResult:
    result = await service(sandbox).poll_now()
    assert isinstance(result, PollResult)
    return result


def grant(sandbox: Sandbox, user: str, kind: str, game_id: int, *, ago: float = 0.0) -> FakeAward:
    return sandbox.ra.awards.add(user, kind, game_id, at=datetime.now(UTC) - timedelta(seconds=ago))


def key(award: FakeAward) -> str:
    return f"{award.ulid}:{award.game_id}:{award.kind}:{int(award.awarded_at.timestamp())}"


def posted(sandbox: Sandbox, channel: int = CHANNEL) -> list[dict[str, Any]]:
    """The feed's messages in the channel, oldest first (the welcome post left out)."""
    return [m for m in sandbox.discord.channel(channel).messages if m["content"] != WELCOME_CONTENT]


def post_requests(sandbox: Sandbox, channel: int = CHANNEL) -> list[dict[str, Any]]:
    """Every body the bot POSTed to the channel, refused ones included, welcome posts left out."""
    bodies = [
        r.json
        for r in sandbox.discord.requests
        if r.method == "POST" and r.path == f"/channels/{channel}/messages" and isinstance(r.json, dict)
    ]
    return [body for body in bodies if body.get("content") != WELCOME_CONTENT]


def embed_titles(message: dict[str, Any]) -> list[str]:
    return [embed["title"] for embed in message["embeds"]]


def award_key_of(embed: dict[str, Any], ulids: dict[str, str]) -> str:
    """The award an embed shows, as its key: account, game, kind and time."""
    kinds = {"👑 Mastered": "mastered", "✅ Completed": "completed"}
    kinds |= {"🏁 Beaten in hardcore": "beaten-hardcore", "🏁 Beaten in softcore": "beaten-softcore"}
    kind = kinds[embed["title"].split(":")[0]]
    game = int(embed["url"].rsplit("/", 1)[1])
    moment = int(datetime.fromisoformat(embed["timestamp"]).timestamp())
    return f"{ulids[embed['author']['name']]}:{game}:{kind}:{moment}"


def backdate(sandbox: Sandbox, seconds: float) -> None:
    """As if every link and feed had begun `seconds` earlier, so that awards can be dated in between."""
    with closing(sqlite3.connect(sandbox.settings.sqlite_path)) as conn, conn:
        conn.execute("UPDATE links SET linked_at = linked_at - ?", (seconds,))
        conn.execute("UPDATE feed_settings SET enabled_at = enabled_at - ?", (seconds,))


def english(stored_reason: str | None) -> str | None:
    """A reason as the feed stores it (a message id and its parameters), in English."""
    return None if stored_reason is None else ENGLISH.render(decode_reason(stored_reason))


def db_rows(sandbox: Sandbox, sql: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(sandbox.settings.sqlite_path)) as conn:
        return conn.execute(sql).fetchall()


# ---------------------------------------------------------------------------------------------- /feed set


async def test_set_posts_a_welcome_then_turns_the_feed_on(sandbox: Sandbox) -> None:
    interaction = await feed(sandbox, "set", feed_on(CHANNEL))
    await interaction.wait_for(lambda e: e.kind == "edit_original")
    content = (
        f"The award feed is on in <#{CHANNEL}>: {ALL_KINDS_TEXT}. Awards that linked members of this server "
        "earn from now on are posted there. `/feed status` shows how it goes."
    )
    assert [(e.kind, e.body) for e in interaction.events] == [
        ("callback", {"type": 5, "data": {"flags": EPHEMERAL}}),
        ("edit_original", {"content": content, "tts": False, "allowed_mentions": NO_PINGS}),
    ]
    requests = [r.json for r in sandbox.discord.requests if r.path == f"/channels/{CHANNEL}/messages"]
    assert len(requests) == 1 and isinstance(requests[0], dict)
    welcome = dict(requests[0])
    assert isinstance(welcome.pop("nonce"), str)
    assert welcome == {
        "content": WELCOME_CONTENT,
        "embeds": [
            {
                "type": "rich",
                "flags": 0,
                "title": "Award feed",
                "description": (
                    f"Awards of this server's members are announced here: {ALL_KINDS_TEXT}.\n"
                    "Members take part by linking their RetroAchievements account with `/link`; awards "
                    "earned after that are posted within minutes. `/unlink` stops it."
                ),
                "color": GOLD,
                "footer": FOOTER,
            }
        ],
        "components": [],
        "enforce_nonce": True,
        "tts": False,
        "allowed_mentions": NO_PINGS,
    }
    stored = await sandbox.bot.storage.get_feed(GUILD)
    assert stored is not None
    assert (stored.channel_id, stored.kinds, stored.active) == (
        CHANNEL, frozenset({"mastered", "completed", "beaten-hardcore", "beaten-softcore"}), True,
    )  # fmt: skip


async def test_the_feed_command_is_for_server_admins_and_server_installs(sandbox: Sandbox) -> None:
    registered = {cmd["name"]: cmd for cmd in sandbox.discord.commands[None]}["feed"]
    assert (registered["default_member_permissions"], registered["contexts"]) == (MANAGE_GUILD, [0])
    assert registered["integration_types"] == [0]
    subcommands = {option["name"]: option for option in registered["options"]}
    assert sorted(subcommands) == ["off", "set", "status"]
    channel, kinds = subcommands["set"]["options"]
    assert (channel["name"], channel["type"], channel["required"], channel["channel_types"]) == (
        "channel", 7, True, [0, 5],
    )  # fmt: skip
    assert (kinds["name"], kinds["type"], kinds.get("required", False), kinds["autocomplete"]) == (
        "kinds", 3, False, True,
    )  # fmt: skip


@pytest.mark.parametrize("subcommand", ["set", "off", "status"])
async def test_a_member_without_manage_server_is_refused(sandbox: Sandbox, subcommand: str) -> None:
    options = feed_on(CHANNEL) if subcommand == "set" else []
    interaction = await feed(sandbox, subcommand, options, permissions=0)
    assert await private_text(interaction) == ADMINS_ONLY
    assert sandbox.discord.channel(CHANNEL).messages == []
    assert await sandbox.bot.storage.get_feed(GUILD) is None


async def test_an_administrator_may_use_it_too(sandbox: Sandbox) -> None:
    assert (await set_feed(sandbox, permissions=ADMINISTRATOR)).startswith("The award feed is on")


async def test_kinds_are_chosen_in_words_and_bad_ones_refused(sandbox: Sandbox) -> None:
    answer = await set_feed(sandbox, kinds="Beaten Hardcore; mastery")
    assert answer.startswith(f"The award feed is on in <#{CHANNEL}>: mastered, beaten hardcore. ")
    stored = await sandbox.bot.storage.get_feed(GUILD)
    assert stored is not None and stored.kinds == frozenset({"mastered", "beaten-hardcore"})

    refused = await feed(sandbox, "set", feed_on(OTHER_CHANNEL, "mastered, gold"))
    assert await private_text(refused) == (
        "`gold` is not a kind of award. Choose among mastered, completed, beaten hardcore, beaten "
        "softcore (separated by commas), or all."
    )
    assert sandbox.discord.channel(OTHER_CHANNEL).messages == []


async def test_kinds_autocomplete_completes_the_list(sandbox: Sandbox) -> None:
    payload = sandbox.discord.autocomplete_payload(
        "feed", feed_on(CHANNEL, "mastered, beaten"), focused="kinds", subcommand="set", guild_id=GUILD,
        permissions=MANAGE_GUILD,
    )  # fmt: skip
    interaction = await sandbox.discord.send_interaction(payload)
    event = await interaction.wait_for(lambda e: e.kind == "callback")
    assert event.body == {
        "type": 8,
        "data": {
            "choices": [
                {"name": "mastered, beaten hardcore", "value": "mastered, beaten hardcore"},
                {"name": "mastered, beaten softcore", "value": "mastered, beaten softcore"},
            ]
        },
    }


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (ChannelError.MISSING_ACCESS, f"missing permission: View Channel in <#{CHANNEL}>"),
        (ChannelError.MISSING_PERMISSIONS, f"missing permission: Send Messages in <#{CHANNEL}>"),
        (
            ChannelError.UNKNOWN_CHANNEL,
            f"the channel <#{CHANNEL}> no longer exists (it was deleted, or the bot is not in it)",
        ),
    ],
)
async def test_set_in_a_channel_the_bot_cannot_post_in_says_why(
    sandbox: Sandbox, fault: ChannelError, reason: str
) -> None:
    sandbox.discord.channel(CHANNEL).error = fault
    interaction = await feed(sandbox, "set", feed_on(CHANNEL))
    answer = await interaction.wait_for(lambda e: e.kind == "followup")
    assert answer.body["content"] == f"The bot cannot post in <#{CHANNEL}>: {reason}. {NEEDED}"
    assert answer.body["flags"] == EPHEMERAL
    assert await sandbox.bot.storage.get_feed(GUILD) is None


async def test_set_in_a_channel_without_embed_links_says_so(sandbox: Sandbox) -> None:
    sandbox.discord.channel(CHANNEL).embed_links = False
    interaction = await feed(sandbox, "set", feed_on(CHANNEL))
    answer = await interaction.wait_for(lambda e: e.kind == "followup")
    reason = f"missing permission: Embed Links in <#{CHANNEL}>"
    assert answer.body["content"] == f"The bot cannot post in <#{CHANNEL}>: {reason}. {NEEDED}"
    assert await sandbox.bot.storage.get_feed(GUILD) is None


# ---------------------------------------------------------------------------------------------- status, off


async def test_status_shows_channel_kinds_checks_posts_and_off_turns_it_off(sandbox: Sandbox) -> None:
    assert await private_text(await feed(sandbox, "status")) == NO_FEED
    await link(sandbox, MAX, "MaxMilyin")
    await set_feed(sandbox, kinds="mastered, completed")
    grant(sandbox, "MaxMilyin", "mastered", 1)
    grant(sandbox, "MaxMilyin", "beaten-softcore", 2)  # a kind this server does not want
    await poll(sandbox)
    interaction = await feed(sandbox, "status")
    event = await interaction.wait_for(lambda e: e.kind == "callback")
    cursor = await sandbox.bot.storage.feed_cursor()
    stored = await sandbox.bot.storage.get_feed(GUILD)
    assert cursor.checked_at is not None and stored is not None and stored.last_post_at is not None
    assert event.body == {
        "type": 4,
        "data": {
            "content": None,
            "embeds": [
                {
                    "type": "rich",
                    "flags": 0,
                    "title": "Award feed",
                    "description": (
                        f"**Posting in** <#{CHANNEL}>\n"
                        "**Kinds**: mastered, completed\n"
                        f"**Last checked**: <t:{int(cursor.checked_at.timestamp())}:R>\n"
                        f"**Last post**: <t:{int(stored.last_post_at.timestamp())}:R>\n"
                        "**Posted in the last 24 hours**: 1 award\n"
                        "**Last error**: none"
                    ),
                    "color": GOLD,
                }
            ],
            "flags": EPHEMERAL,
            "tts": False,
            "allowed_mentions": NO_PINGS,
        },
    }
    assert await private_text(await feed(sandbox, "off")) == FEED_OFF
    assert await private_text(await feed(sandbox, "off")) == NO_FEED
    assert await private_text(await feed(sandbox, "status")) == NO_FEED
    grant(sandbox, "MaxMilyin", "mastered", 3)
    assert (await poll(sandbox)).outcome == "idle"
    assert len(posted(sandbox)) == 1


# ---------------------------------------------------------------------------------------------- posts


async def test_an_award_of_a_linked_member_is_posted_once_and_others_are_never_stored(
    sandbox: Sandbox,
) -> None:
    await link(sandbox, MAX, "MaxMilyin")
    await link(sandbox, SCOTT, "Scott", OTHER_GUILD)  # linked, but on another server's board
    await sandbox.bot.storage.record_member(GUILD, JAMIRAS)  # on the board, never linked
    await set_feed(sandbox)
    mastered = grant(sandbox, "MaxMilyin", "mastered", 1)
    grant(sandbox, "Scott", "mastered", 2)
    grant(sandbox, "Jamiras", "completed", 8)
    grant(sandbox, "SomeoneElse", "beaten-hardcore", 5)
    result = await poll(sandbox)
    assert (result.outcome, result.requests, result.awards, result.planned) == ("ok", 1, 4, 1)

    assert post_requests(sandbox) == [
        {
            "content": f"<@{MAX}> mastered **Sonic the Hedgehog**!",
            "embeds": [
                {
                    "type": "rich",
                    "flags": 0,
                    "title": "👑 Mastered: Sonic the Hedgehog",
                    "url": "https://retroachievements.org/game/1",
                    "description": f"<@{MAX}> · Genesis/Mega Drive",
                    "color": GOLD,
                    "timestamp": mastered.awarded_at.isoformat(),
                    "author": {
                        "name": "MaxMilyin",
                        "url": "https://retroachievements.org/user/MaxMilyin",
                        "icon_url": "https://media.retroachievements.org/UserPic/MaxMilyin.png",
                    },
                    "thumbnail": {"url": "https://media.retroachievements.org/Images/085573.png"},
                    "footer": FOOTER,
                }
            ],
            "components": [],
            "nonce": nonce_for(GUILD, [key(mastered)]),
            "enforce_nonce": True,
            "tts": False,
            "allowed_mentions": NO_PINGS,
        }
    ]
    [message] = posted(sandbox)
    assert message["mentions"] == [] and message["mention_everyone"] is False
    assert sandbox.ra.count("API_GetGame") == 0  # the icon came from the game catalogue

    again = await poll(sandbox)
    assert (again.outcome, again.planned) == ("ok", 0)
    assert len(post_requests(sandbox)) == 1
    # The ledger holds the one post; nothing about the other players was stored.
    assert db_rows(sandbox, "SELECT guild_id, award_key, discord_user_id, state FROM feed_posts") == [
        (GUILD, key(mastered), MAX, "posted")
    ]
    text = repr(db_rows(sandbox, "SELECT * FROM feed_posts")) + repr(
        db_rows(sandbox, "SELECT * FROM feed_cursor")
    )
    for name in ("Scott", "Jamiras", "SomeoneElse"):
        assert name not in text
    assert sandbox.ra.count("API_GetRecentGameAwards") == 2
    metrics = sandbox.bot.metrics.exposition().decode()
    assert 'rabot_feed_posts_total{outcome="posted"} 1.0' in metrics
    assert "rabot_feed_awards_matched_total 1.0" in metrics
    assert "rabot_feed_upstream_requests_total 2.0" in metrics
    assert "rabot_feed_lag_seconds_count 1.0" in metrics


async def test_posts_are_in_the_servers_language_and_replies_in_the_members(sandbox: Sandbox) -> None:
    """A German server (guild_locale) whose admin reads Brazilian Portuguese (locale): the welcome and the
    feed's posts are in German, what the admin reads in Portuguese; numbers through Babel."""
    await link(sandbox, MAX, "MaxMilyin")
    pt, de = "pt-BR", "de"
    answer = await set_feed(sandbox, kinds="mastered, zerado (hardcore)", locale=pt, guild_locale=de)
    assert answer == (
        f"O mural de prêmios está ativo em <#{CHANNEL}>: platinado, zerado (hardcore). Os prêmios que os "
        "membros vinculados deste servidor conquistarem a partir de agora serão publicados lá. "
        "`/anúncios situação` mostra como vai."
    )
    [welcome] = post_requests(sandbox)
    assert (welcome["content"], welcome["embeds"][0]["title"], welcome["embeds"][0]["description"]) == (
        "📣 Dieser Kanal kündigt jetzt RetroAchievements-Auszeichnungen an.",
        "Auszeichnungs-Ankündigungen",
        "Hier werden die Auszeichnungen der Mitglieder dieses Servers angekündigt: gemeistert, "
        "abgeschlossen (Hardcore).\nMitglieder machen mit, indem sie ihr RetroAchievements-Konto mit "
        "`/verknüpfen` verknüpfen; danach verdiente Auszeichnungen werden innerhalb von Minuten gepostet. "
        "`/trennen` beendet es.",
    )
    mastered = grant(sandbox, "MaxMilyin", "mastered", 1)
    await poll(sandbox)
    assert post_requests(sandbox)[1:] == [
        {
            "content": f"<@{MAX}> hat **Sonic the Hedgehog** gemeistert!",
            "embeds": [
                {
                    "type": "rich",
                    "flags": 0,
                    "title": "👑 Gemeistert: Sonic the Hedgehog",
                    "url": "https://retroachievements.org/game/1",
                    "description": f"<@{MAX}> · Genesis/Mega Drive",
                    "color": GOLD,
                    "timestamp": mastered.awarded_at.isoformat(),
                    "author": {
                        "name": "MaxMilyin",
                        "url": "https://retroachievements.org/user/MaxMilyin",
                        "icon_url": "https://media.retroachievements.org/UserPic/MaxMilyin.png",
                    },
                    "thumbnail": {"url": "https://media.retroachievements.org/Images/085573.png"},
                    "footer": {"text": "Daten von RetroAchievements.org"},
                }
            ],
            "components": [],
            "nonce": nonce_for(GUILD, [key(mastered)]),
            "enforce_nonce": True,
            "tts": False,
            "allowed_mentions": NO_PINGS,
        }
    ]
    # Grouped posts count in the server's language (the last post: the newest award, as the fake orders them).
    for game_id in range(1, 12):
        grant(sandbox, "MaxMilyin", "beaten-hardcore", game_id)
    await poll(sandbox)
    assert [m["content"] for m in post_requests(sandbox)[2:]] == [
        f"**10 neue Auszeichnungen** für <@{MAX}>",
        f"<@{MAX}> hat **Dungeon Delve Advance** im Hardcore-Modus abgeschlossen!",
    ]
    # The pause's reason is stored as a message: each admin reads it in their own language.
    sandbox.discord.channel(CHANNEL).error = ChannelError.UNKNOWN_CHANNEL
    grant(sandbox, "MaxMilyin", "mastered", 2)
    await poll(sandbox)
    status = await feed(sandbox, "status", locale=pt, guild_locale=de)
    callback = await status.wait_for(lambda e: e.kind == "callback")
    [embed] = callback.body["data"]["embeds"]
    assert embed["title"] == "Mural de prêmios"
    assert embed["description"].split("\n")[:2] == [
        f"**Pausado**: o canal <#{CHANNEL}> não existe mais (foi apagado, ou o bot não está nele)",
        f"Para retomar, corrija isso e use `/anúncios ativar` de novo. (Ele publica em <#{CHANNEL}>.)",
    ]
    assert "**Publicados nas últimas 24 horas**: 12 prêmios" in embed["description"]


async def test_an_award_earned_before_linking_or_before_the_feed_is_not_posted(sandbox: Sandbox) -> None:
    grant(sandbox, "MaxMilyin", "mastered", 1, ago=120)  # before Max linked
    await link(sandbox, MAX, "MaxMilyin")
    await link(sandbox, SCOTT, "Scott")
    grant(sandbox, "Scott", "mastered", 2, ago=60)  # after Scott linked, before the feed began
    await set_feed(sandbox)
    assert (await poll(sandbox)).planned == 0
    grant(sandbox, "MaxMilyin", "mastered", 3)
    assert (await poll(sandbox)).planned == 1
    assert [m["content"] for m in posted(sandbox)] == [f"<@{MAX}> mastered **Streets of Rage 2**!"]


async def test_many_awards_in_one_poll_are_grouped_into_posts_of_ten(sandbox: Sandbox) -> None:
    await link(sandbox, MAX, "MaxMilyin")
    await link(sandbox, SCOTT, "Scott")
    await set_feed(sandbox)
    backdate(sandbox, 60)
    kinds = ["mastered", "completed", "beaten-hardcore", "beaten-softcore"]
    awards = [
        grant(sandbox, "MaxMilyin" if n % 2 else "Scott", kinds[n % 4], 1 + n % 12, ago=30 - n)
        for n in range(13)
    ]
    result = await poll(sandbox)
    assert (result.requests, result.planned) == (1, 13)
    first, second = posted(sandbox)
    assert first["content"] == f"**10 new awards** for <@{SCOTT}>, <@{MAX}>"
    assert second["content"] == f"**3 new awards** for <@{SCOTT}>, <@{MAX}>"
    assert (len(first["embeds"]), len(second["embeds"])) == (10, 3)
    ulids = {"MaxMilyin": awards[1].ulid, "Scott": awards[0].ulid}
    shown = [award_key_of(embed, ulids) for message in (first, second) for embed in message["embeds"]]
    assert shown == [key(award) for award in awards], "oldest first, each once"
    requests = post_requests(sandbox)
    assert [r["nonce"] for r in requests] == [
        nonce_for(GUILD, [key(a) for a in awards[:10]]),
        nonce_for(GUILD, [key(a) for a in awards[10:]]),
    ]


async def test_each_server_gets_its_own_post_of_the_kinds_it_chose(sandbox: Sandbox) -> None:
    await link(sandbox, MAX, "MaxMilyin")
    await sandbox.bot.storage.record_member(OTHER_GUILD, MAX)
    await set_feed(sandbox, kinds="mastered")
    await set_feed(sandbox, OTHER_CHANNEL, guild_id=OTHER_GUILD)
    mastered = grant(sandbox, "MaxMilyin", "mastered", 1)
    beaten = grant(sandbox, "MaxMilyin", "beaten-softcore", 2)
    await poll(sandbox)
    assert [embed_titles(m) for m in posted(sandbox)] == [["👑 Mastered: Sonic the Hedgehog"]]
    [other] = posted(sandbox, OTHER_CHANNEL)
    assert embed_titles(other) == [
        "👑 Mastered: Sonic the Hedgehog",
        "🏁 Beaten in softcore: Sonic the Hedgehog 2",
    ]
    assert post_requests(sandbox, OTHER_CHANNEL)[0]["nonce"] == nonce_for(
        OTHER_GUILD, [key(mastered), key(beaten)]
    )
    [request] = [r for r in sandbox.ra.requests if r.endpoint == "API_GetRecentGameAwards"]
    assert "k" not in request.params, "one server wants every kind: no filter"


async def test_only_the_kinds_some_feed_wants_are_asked_for(sandbox: Sandbox) -> None:
    await set_feed(sandbox, kinds="mastered, beaten hardcore")
    await poll(sandbox)
    [request] = [r for r in sandbox.ra.requests if r.endpoint == "API_GetRecentGameAwards"]
    assert request.params == {"y": request.params["y"], "o": "0", "c": "100", "k": "beaten-hardcore,mastered"}


# ---------------------------------------------------------------------------------------------- failures


async def test_a_channel_that_loses_a_permission_pauses_the_feed_without_retries(sandbox: Sandbox) -> None:
    await link(sandbox, MAX, "MaxMilyin")
    await set_feed(sandbox)
    backdate(sandbox, 60)
    sandbox.discord.channel(CHANNEL).error = ChannelError.MISSING_PERMISSIONS
    grant(sandbox, "MaxMilyin", "mastered", 1, ago=30)
    await poll(sandbox)
    for game, ago in ((2, 20), (3, 10)):  # while the feed is paused
        grant(sandbox, "MaxMilyin", "mastered", game, ago=ago)
        assert (await poll(sandbox)).outcome == "idle", "a paused feed is not polled for"
    assert len(post_requests(sandbox)) == 1, "one refused post, then no retries"
    reason = f"missing permission: Send Messages in <#{CHANNEL}>"
    status = await feed(sandbox, "status")
    event = await status.wait_for(lambda e: e.kind == "callback")
    description = event.body["data"]["embeds"][0]["description"]
    stored = await sandbox.bot.storage.get_feed(GUILD)
    assert stored is not None and stored.last_error_at is not None
    assert description.startswith(f"**Paused**: {reason}\n{RESUME} (It posts in <#{CHANNEL}>.)\n")
    assert description.endswith(
        "**Posted in the last 24 hours**: 0 awards\n"
        f"**Last error**: {reason} (<t:{int(stored.last_error_at.timestamp())}:R>)"
    )
    assert 'rabot_feed_posts_total{outcome="paused"} 1.0' in sandbox.bot.metrics.exposition().decode()

    sandbox.discord.channel(CHANNEL).error = None
    await set_feed(sandbox)  # an admin fixed the channel and resumes: from now on
    grant(sandbox, "MaxMilyin", "completed", 5, ago=-1)
    await poll(sandbox)
    assert [embed_titles(m) for m in posted(sandbox)] == [["✅ Completed: Pixel Quest"]]


async def test_a_deleted_channel_pauses_the_feed_and_status_says_so(sandbox: Sandbox) -> None:
    await link(sandbox, MAX, "MaxMilyin")
    await set_feed(sandbox)
    sandbox.discord.channel(CHANNEL).error = ChannelError.UNKNOWN_CHANNEL
    grant(sandbox, "MaxMilyin", "mastered", 1)
    await poll(sandbox)
    stored = await sandbox.bot.storage.get_feed(GUILD)
    assert stored is not None
    assert (
        english(stored.paused_reason)
        == f"the channel <#{CHANNEL}> no longer exists (it was deleted, or the bot is not in it)"
    )


async def test_a_channel_that_loses_embed_links_gets_the_text_then_pauses(sandbox: Sandbox) -> None:
    await link(sandbox, MAX, "MaxMilyin")
    await set_feed(sandbox)
    sandbox.discord.channel(CHANNEL).embed_links = False
    grant(sandbox, "MaxMilyin", "mastered", 1)
    await poll(sandbox)
    [message] = posted(sandbox)
    assert (message["content"], message["embeds"]) == (f"<@{MAX}> mastered **Sonic the Hedgehog**!", [])
    stored = await sandbox.bot.storage.get_feed(GUILD)
    assert (
        stored is not None
        and english(stored.paused_reason) == f"missing permission: Embed Links in <#{CHANNEL}>"
    )
    grant(sandbox, "MaxMilyin", "mastered", 2)
    await poll(sandbox)
    assert len(post_requests(sandbox)) == 1


async def test_a_discord_outage_is_retried_at_the_next_poll(sandbox: Sandbox) -> None:
    await link(sandbox, MAX, "MaxMilyin")
    await set_feed(sandbox)
    # discord.py gives up on a 503 at once (it waits and retries only 500, 502, 504 and 524).
    sandbox.discord.fail_next("POST", f"/channels/{CHANNEL}/messages", 503, {"message": "down"})
    grant(sandbox, "MaxMilyin", "mastered", 1)
    await poll(sandbox)
    assert posted(sandbox) == []
    stored = await sandbox.bot.storage.get_feed(GUILD)
    assert (
        stored is not None
        and stored.active
        and english(stored.last_error) == "Discord answered HTTP 503 to a post"
    )
    await poll(sandbox)
    assert [m["content"] for m in posted(sandbox)] == [f"<@{MAX}> mastered **Sonic the Hedgehog**!"]


async def test_an_upstream_outage_is_shown_and_nothing_is_lost(sandbox: Sandbox) -> None:
    await link(sandbox, MAX, "MaxMilyin")
    await set_feed(sandbox)
    grant(sandbox, "MaxMilyin", "mastered", 1)
    sandbox.ra.fail_next("API_GetRecentGameAwards", "500", times=10)
    assert await service(sandbox).poll_now() is None
    cursor = await sandbox.bot.storage.feed_cursor()
    assert english(cursor.last_error) == "RetroAchievements is not answering"
    sandbox.ra.clear_failures()
    await poll(sandbox)
    assert len(posted(sandbox)) == 1
    assert (await sandbox.bot.storage.feed_cursor()).last_error is None


async def test_a_retried_post_whose_answer_was_lost_is_not_posted_twice(sandbox: Sandbox) -> None:
    """The bot posted, Discord created the message, the answer never came back (here: the message is
    created by hand with the pending post's nonce). The retry gets the earlier message, not a new one."""
    await link(sandbox, MAX, "MaxMilyin")
    await set_feed(sandbox)
    sandbox.discord.fail_next("POST", f"/channels/{CHANNEL}/messages", 503, {"message": "down"})
    award = grant(sandbox, "MaxMilyin", "mastered", 1)
    await poll(sandbox)
    [pending] = await sandbox.bot.storage.pending_feed_posts(10)
    assert pending.nonce == nonce_for(GUILD, [key(award)])
    async with aiohttp.ClientSession() as http:
        body = {"content": "the lost attempt", "nonce": pending.nonce, "enforce_nonce": True}
        headers = {"Authorization": f"Bot {sandbox.discord.bot_token}"}
        url = f"{sandbox.discord.api_url}/channels/{CHANNEL}/messages"
        async with http.post(url, json=body, headers=headers) as answer:
            earlier = await answer.json()
    await poll(sandbox)
    assert [m["id"] for m in posted(sandbox)] == [earlier["id"]]
    assert await sandbox.bot.storage.pending_feed_posts(10) == []
    assert db_rows(sandbox, "SELECT message_id, state FROM feed_posts") == [(int(earlier["id"]), "posted")]


# ---------------------------------------------------------------------------------------------- /unlink


async def test_unlink_during_a_feed_stops_it_and_deletes_what_it_kept(sandbox: Sandbox) -> None:
    await link(sandbox, MAX, "MaxMilyin")
    await link(sandbox, SCOTT, "Scott")
    await set_feed(sandbox)
    grant(sandbox, "MaxMilyin", "mastered", 1)
    await poll(sandbox)
    sandbox.discord.fail_next("POST", f"/channels/{CHANNEL}/messages", 503, {"message": "down"})
    grant(sandbox, "MaxMilyin", "completed", 3)  # planned, not yet posted when Max unlinks
    grant(sandbox, "Scott", "mastered", 2)
    await poll(sandbox)
    assert len(await sandbox.bot.storage.pending_feed_posts(10)) == 2

    unlink = await sandbox.command("unlink", user_id=MAX)
    await unlink.wait_for(lambda e: e.kind in ("callback", "followup") and "Done" in repr(e.body))
    assert db_rows(sandbox, f"SELECT count(*) FROM feed_posts WHERE discord_user_id = {MAX}") == [(0,)]
    grant(sandbox, "MaxMilyin", "mastered", 5, ago=-1)
    await poll(sandbox)
    contents = [m["content"] for m in posted(sandbox)]
    assert contents == [
        f"<@{MAX}> mastered **Sonic the Hedgehog**!",
        f"<@{SCOTT}> mastered **Sonic the Hedgehog 2**!",
    ]


# ---------------------------------------------------------------------------------------------- catch-up


def rewind(path: Path, *, linked_days: float, high_water_days: float) -> None:
    """As if the member linked, the feed began and the last poll ran that many days ago."""
    with closing(sqlite3.connect(path)) as conn, conn:
        now = datetime.now(UTC).timestamp()
        conn.execute("UPDATE links SET linked_at = ?", (now - linked_days * 86400,))
        conn.execute("UPDATE feed_settings SET enabled_at = ?", (now - linked_days * 86400,))
        conn.execute("UPDATE feed_cursor SET high_water = ?", (now - high_water_days * 86400,))


@pytest.mark.parametrize("catchup_hours", [None, 2.0])
async def test_a_catch_up_after_downtime_posts_what_was_missed_and_skips_what_is_too_old(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    catchup_hours: float | None,
) -> None:
    hours = 24.0 if catchup_hours is None else catchup_hours
    env = {"PROGRESS_COOLDOWN_SECONDS": "0"}
    if catchup_hours is not None:
        env["FEED_CATCHUP_HOURS"] = str(catchup_hours)
    async with running_sandbox(data_dir=tmp_path, env=env) as first:
        await link(first, MAX, "MaxMilyin")
        await set_feed(first)
        grant(first, "Stranger", "mastered", 1)
        await poll(first)
    rewind(tmp_path / "bot.sqlite3", linked_days=3, high_water_days=2)
    caplog.set_level(logging.INFO)
    async with running_sandbox(data_dir=tmp_path, env=env) as second:
        too_old = grant(second, "MaxMilyin", "mastered", 1, ago=(hours + 1) * 3600)
        missed = [
            grant(second, "MaxMilyin", "completed", game, ago=(hours - 1) * 3600 - game) for game in (2, 3)
        ]
        grant(second, "MaxMilyin", "beaten-hardcore", 5, ago=60)
        await poll(second)
        [message] = posted(second)
        assert message["content"] == f"**3 new awards** for <@{MAX}>"
        shown = [award_key_of(embed, {"MaxMilyin": too_old.ulid}) for embed in message["embeds"]]
        assert key(too_old) not in shown
        assert shown[:2] == [key(award) for award in sorted(missed, key=lambda a: a.awarded_at)]
    skipped = [r.getMessage() for r in caplog.records if "are skipped" in r.getMessage()]
    assert len(skipped) == 1, skipped
    assert f"more than {hours:g} h ago" in skipped[0]


# ---------------------------------------------------------------------------------------------- rendering


def test_a_game_award_round_trips_through_the_ledger() -> None:
    from bot.feed.planner import award_from_json, award_to_json

    award = GameAward(
        "Max", "0" * 26, "mastered", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), 9, "Tïtle, “The”", 3, "SNES"
    )
    assert award_from_json(award_to_json(award)) == award
