"""End-to-end tests of the fake Discord, driven by a minimal plain discord.py Bot (not the project's bot)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import aiohttp
import discord
import pytest
import yarl
from discord import app_commands
from discord.ext import commands
from discord.gateway import DiscordWebSocket

from bot.sandbox.fake_discord import (
    DEFAULT_GUILD_ID,
    DEFAULT_USER_ID,
    ChannelError,
    FakeDiscord,
    FakeInteraction,
    InteractionContextType,
    InteractionCounts,
    InteractionEvent,
    guild_for_shard,
)

DEADLINE = 0.3
FRUITS = ["apple", "apricot", "banana", "cherry"]

Interaction = discord.Interaction[commands.Bot]
AnyBot = TypeVar("AnyBot", commands.Bot, commands.AutoShardedBot)


@dataclass
class Probe:
    """What the test bot's commands observed (exceptions, codes) that the fake cannot see."""

    outcomes: asyncio.Queue[Any] = field(default_factory=asyncio.Queue)


class PressView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Press", custom_id="press")
    async def press(self, interaction: Interaction, button: discord.ui.Button[PressView]) -> None:
        await interaction.response.edit_message(content="pressed", view=None)

    @discord.ui.button(label="Later", custom_id="later")
    async def later(self, interaction: Interaction, button: discord.ui.Button[PressView]) -> None:
        await interaction.response.defer()  # a component defer is DEFERRED_UPDATE_MESSAGE (type 6)
        await interaction.edit_original_response(content="updated later")


def make_bot(probe: Probe) -> commands.Bot:
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.01)
    tree = bot.tree

    @tree.command(description="Echo text back")
    async def echo(interaction: Interaction, text: str) -> None:
        await interaction.response.send_message(text)

    @tree.command(description="Who and where")
    async def whoami(interaction: Interaction) -> None:
        await interaction.response.send_message(f"{interaction.user.name}@{interaction.guild_id}")

    @tree.command(description="Greet a user")
    async def greet(interaction: Interaction, target: discord.User) -> None:
        await interaction.response.send_message(f"hi {target.name} ({type(target).__name__})")

    @tree.command(description="Defer then edit")
    async def slow(interaction: Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.edit_original_response(content="done", embed=discord.Embed(title="Result"))

    @tree.command(description="Ephemeral reply")
    async def secret(interaction: Interaction) -> None:
        await interaction.response.send_message("psst", ephemeral=True)

    @tree.command(description="Answers too late")
    async def late(interaction: Interaction) -> None:
        await asyncio.sleep(DEADLINE + 0.1)
        try:
            await interaction.response.send_message("too late")
        except discord.NotFound as exc:
            await probe.outcomes.put((exc.status, exc.code))

    @tree.command(description="Embed over the limits, then a valid reply")
    async def big(interaction: Interaction) -> None:
        try:
            await interaction.response.send_message(embed=discord.Embed(title="x" * 257))
        except discord.HTTPException as exc:
            await probe.outcomes.put((exc.status, exc.code, exc.text))
        await interaction.response.send_message("fallback")

    async def fruit_autocomplete(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=f, value=f) for f in FRUITS if f.startswith(current)]

    @tree.command(description="Pick a fruit")
    @app_commands.autocomplete(fruit=fruit_autocomplete)
    async def pick(interaction: Interaction, fruit: str) -> None:
        await interaction.response.send_message(fruit)

    @tree.command(description="A button")
    async def buttons(interaction: Interaction) -> None:
        await interaction.response.send_message("Click", view=PressView())

    @tree.command(description="Public defer, then a private answer")
    async def hide(interaction: Interaction) -> None:
        await interaction.response.defer()
        await interaction.delete_original_response()
        await interaction.followup.send("only you", ephemeral=True)

    @tree.command(description="Public defer, then an 'ephemeral' followup")
    async def keepvis(interaction: Interaction) -> None:
        await interaction.response.defer()
        await interaction.followup.send("still public", ephemeral=True)

    @tree.command(description="Files through the multipart paths")
    async def upload(interaction: Interaction) -> None:
        await interaction.response.send_message("one", file=discord.File(io.BytesIO(b"abc"), "one.txt"))
        sent = await interaction.followup.send(
            "two", file=discord.File(io.BytesIO(b"de"), "two.txt"), wait=True
        )
        await sent.edit(content="two edited")
        original = await interaction.original_response()
        await probe.outcomes.put((original.content, [a.filename for a in original.attachments], sent.id))

    return bot


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord(interaction_deadline=DEADLINE)
    await server.start()
    old_base, old_gateway = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = server.api_url
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(server.gateway_url)
    try:
        yield server
    finally:
        discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway
        await server.stop()


@dataclass
class Running:
    bot: commands.Bot
    probe: Probe


@contextlib.asynccontextmanager
async def started(bot: AnyBot, token: str) -> AsyncIterator[AnyBot]:
    """Run `bot` until it is ready (surfacing a startup error), and close it afterwards."""
    ready = asyncio.Event()

    async def on_ready() -> None:
        ready.set()

    bot.add_listener(on_ready, "on_ready")
    task = asyncio.create_task(bot.start(token))
    waiter = asyncio.create_task(ready.wait())
    done, _ = await asyncio.wait({task, waiter}, timeout=5, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        waiter.cancel()
        task.result()  # surfaces the bot's startup error
    assert waiter in done, "bot did not become ready"
    try:
        yield bot
    finally:
        await bot.close()
        await task


@pytest.fixture
async def running(fake: FakeDiscord) -> AsyncIterator[Running]:
    probe = Probe()
    async with started(make_bot(probe), fake.bot_token) as bot:
        yield Running(bot, probe)


async def answered(fake: FakeDiscord, payload: dict[str, Any]) -> tuple[FakeInteraction, dict[str, Any]]:
    interaction = await fake.send_interaction(payload)
    return interaction, await interaction.wait_for_answer(timeout=3)


def text_option(name: str, value: str) -> dict[str, Any]:
    return {"name": name, "type": 3, "value": value}


# ---------------------------------------------------------------------------------------------- with a bot


async def test_login_identify_ready_and_sync(fake: FakeDiscord, running: Running) -> None:
    bot = running.bot
    assert [r.path for r in fake.requests[:2]] == ["/users/@me", "/oauth2/applications/@me"]
    assert fake.requests[0].headers["Authorization"] == f"Bot {fake.bot_token}"
    assert len(fake.identifies) == 1
    assert fake.identifies[0]["intents"] == bot.intents.value
    assert fake.gateway_queries[0]["v"] == "10"
    assert bot.user is not None and bot.user.id == fake.bot_user_id
    assert bot.application_id == fake.application_id

    synced = await bot.tree.sync()
    assert fake.command_syncs == 1
    registered = {c["name"]: c for c in fake.commands[None]}
    assert set(registered) == {
        "echo",
        "whoami",
        "slow",
        "secret",
        "late",
        "big",
        "pick",
        "buttons",
        "hide",
        "keepvis",
        "upload",
        "greet",
    }
    assert {c.name: c.id for c in synced} == {name: int(c["id"]) for name, c in registered.items()}
    assert registered["echo"]["application_id"] == str(fake.application_id)
    assert registered["echo"]["options"][0]["name"] == "text"
    # Ids are stable across syncs, like Discord keeps them for unchanged names.
    again = await bot.tree.sync()
    assert fake.command_syncs == 2
    assert {c.id for c in again} == {c.id for c in synced}

    guild = discord.Object(DEFAULT_GUILD_ID)
    bot.tree.copy_global_to(guild=guild)
    await bot.tree.sync(guild=guild)
    assert fake.commands[DEFAULT_GUILD_ID][0]["guild_id"] == str(DEFAULT_GUILD_ID)


async def test_slash_reply_guild_and_dm(fake: FakeDiscord, running: Running) -> None:
    interaction, answer = await answered(fake, fake.slash_payload("echo", [text_option("text", "hello")]))
    assert answer["content"] == "hello"
    assert answer["flags"] == 0
    assert interaction.events[0].kind == "callback"
    assert interaction.events[0].body["type"] == 4
    assert interaction.events[0].body["data"]["content"] == "hello"
    assert interaction.original is not None and interaction.original["content"] == "hello"
    callback = next(r for r in fake.requests if r.path.endswith("/callback"))
    assert callback.query.get("with_response") in ("1", "true")
    assert callback.status == 200

    _, guild_answer = await answered(fake, fake.slash_payload("whoami", username="alice"))
    assert guild_answer["content"] == f"alice@{DEFAULT_GUILD_ID}"
    _, dm_answer = await answered(fake, fake.slash_payload("whoami", username="bob", guild_id=None))
    assert dm_answer["content"] == "bob@None"

    target = {"name": "target", "type": 6, "value": "555000000000001234"}
    _, greeting = await answered(fake, fake.slash_payload("greet", [target]))
    assert greeting["content"] == "hi user1234 (Member)"
    _, dm_greeting = await answered(fake, fake.slash_payload("greet", [target], guild_id=None))
    assert dm_greeting["content"] == "hi user1234 (User)"


async def test_defer_then_edit_original(fake: FakeDiscord, running: Running) -> None:
    interaction, answer = await answered(fake, fake.slash_payload("slow"))
    assert [e.kind for e in interaction.events] == ["callback", "edit_original"]
    assert interaction.events[0].body["type"] == 5
    assert interaction.events[0].message is not None
    assert interaction.events[0].message["flags"] == 128  # loading, public
    assert interaction.deferred and not interaction.ephemeral
    assert answer["content"] == "done"
    assert answer["embeds"][0]["title"] == "Result"
    assert answer["flags"] == 0


async def test_ephemeral_reply(fake: FakeDiscord, running: Running) -> None:
    interaction, answer = await answered(fake, fake.slash_payload("secret"))
    assert answer["content"] == "psst"
    assert answer["flags"] & 64
    assert interaction.ephemeral and not interaction.deferred


async def test_late_callback_is_unknown_interaction(fake: FakeDiscord, running: Running) -> None:
    interaction = await fake.send_interaction(fake.slash_payload("late"))
    outcome = await asyncio.wait_for(running.probe.outcomes.get(), 3)
    assert outcome == (404, 10062)
    assert interaction.events == [] and interaction.original is None


async def test_double_ack_is_rejected(fake: FakeDiscord, running: Running) -> None:
    interaction, _ = await answered(fake, fake.slash_payload("echo", [text_option("text", "once")]))
    url = f"{fake.api_url}/interactions/{interaction.id}/{interaction.token}/callback"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json={"type": 4, "data": {"content": "twice"}}) as resp,
    ):
        assert resp.status == 400
        assert resp.headers["Content-Type"] == "application/json"
        assert await resp.json() == {"message": "Interaction has already been acknowledged.", "code": 40060}
    assert len(interaction.events) == 1
    assert interaction.original is not None and interaction.original["content"] == "once"


async def test_embed_over_limit_is_rejected_and_not_applied(fake: FakeDiscord, running: Running) -> None:
    interaction = await fake.send_interaction(fake.slash_payload("big"))
    status, code, text = await asyncio.wait_for(running.probe.outcomes.get(), 3)
    assert (status, code) == (400, 50035)
    assert "embeds.0.title" in text
    answer = await interaction.wait_for_answer(timeout=3)
    assert answer["content"] == "fallback" and answer["embeds"] == []
    assert [e.kind for e in interaction.events] == ["callback"]


async def test_autocomplete(fake: FakeDiscord, running: Running) -> None:
    payload = fake.autocomplete_payload("pick", [text_option("fruit", "ap")], focused="fruit")
    assert payload["data"]["options"][0]["focused"] is True
    interaction, answer = await answered(fake, payload)
    assert answer["choices"] == [{"name": "apple", "value": "apple"}, {"name": "apricot", "value": "apricot"}]
    assert interaction.events[0].body["type"] == 8


async def test_button_click_updates_message(fake: FakeDiscord, running: Running) -> None:
    command, sent = await answered(fake, fake.slash_payload("buttons"))
    assert sent["components"][0]["components"][0]["custom_id"] == "press"
    assert command.original is not None
    click, updated = await answered(fake, fake.component_payload(command.original, "press"))
    assert click.events[0].body["type"] == 7
    assert updated["id"] == sent["id"]
    assert updated["content"] == "pressed" and updated["components"] == []
    assert fake.messages[sent["id"]]["content"] == "pressed"
    assert command.original["content"] == "pressed"
    with pytest.raises(ValueError):
        fake.component_payload(fake.messages[sent["id"]], "press")  # the button is gone


async def test_delete_original_then_ephemeral_followup(fake: FakeDiscord, running: Running) -> None:
    interaction = await fake.send_interaction(fake.slash_payload("hide"))
    followup = await interaction.wait_for(lambda e: e.kind == "followup", timeout=3)
    assert [e.kind for e in interaction.events] == ["callback", "delete_original", "followup"]
    assert interaction.original is None
    assert followup.message is not None and followup.message["flags"] == 64
    assert interaction.followups[0]["content"] == "only you"


async def test_first_followup_after_defer_keeps_defer_visibility(fake: FakeDiscord, running: Running) -> None:
    interaction, answer = await answered(fake, fake.slash_payload("keepvis"))
    assert answer["content"] == "still public"
    assert answer["flags"] == 0
    assert interaction.events[-1].body["flags"] == 64  # what the bot asked for
    assert interaction.original is not None and interaction.original["id"] == answer["id"]


async def test_rate_limited_callback_is_retried(fake: FakeDiscord, running: Running) -> None:
    body = {"message": "You are being rate limited.", "retry_after": 0.05, "global": False}
    fake.fail_next("POST", r"^/interactions/\d+/[^/]+/callback$", 429, body)
    _, answer = await answered(fake, fake.slash_payload("echo", [text_option("text", "after 429")]))
    assert answer["content"] == "after 429"
    assert [r.status for r in fake.requests if r.path.endswith("/callback")] == [429, 200]


async def test_gateway_disconnect_resumes(fake: FakeDiscord, running: Running) -> None:
    await fake.disconnect_gateway()
    # Sent while disconnected: must be replayed on RESUME.
    pending = await fake.send_interaction(fake.slash_payload("echo", [text_option("text", "replayed")]))
    await fake.wait_until_resumed(timeout=3)
    assert fake.resumes == 1 and len(fake.identifies) == 1
    assert (await pending.wait_for_answer(timeout=3))["content"] == "replayed"
    _, answer = await answered(fake, fake.slash_payload("echo", [text_option("text", "after resume")]))
    assert answer["content"] == "after resume"


async def test_many_concurrent_interactions(fake: FakeDiscord, running: Running) -> None:
    started = time.perf_counter()
    payloads = [fake.slash_payload("echo", [text_option("text", f"n{i}")]) for i in range(150)]
    # The fixture's 0.3 s deadline is shorter than 150 round trips on a busy machine.
    interactions = [await fake.send_interaction(p, deadline=5) for p in payloads]
    answers = await asyncio.gather(*(i.wait_for_answer(timeout=5) for i in interactions))
    assert [a["content"] for a in answers] == [f"n{i}" for i in range(150)]
    assert time.perf_counter() - started < 5


async def test_bad_token_fails_login(fake: FakeDiscord) -> None:
    bot = make_bot(Probe())
    with pytest.raises(discord.LoginFailure):
        await bot.start("wrong-token")
    await bot.close()
    assert fake.requests[0].status == 401


# ---------------------------------------------------------------------------------------------- raw HTTP


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def raw_client(
    fake: FakeDiscord, http: aiohttp.ClientSession
) -> tuple[aiohttp.ClientWebSocketResponse, dict[str, Any]]:
    """A bare gateway client: HELLO, IDENTIFY, READY; returns the socket and READY's `d`."""
    ws = await http.ws_connect(fake.gateway_url + "?v=10&encoding=json&compress=zlib-stream")
    hello = await ws.receive_json()
    assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] > 0
    await ws.send_json({"op": 1, "d": None})
    assert (await ws.receive_json())["op"] == 11
    await ws.send_json(
        {"op": 2, "d": {"token": fake.bot_token, "intents": 1, "properties": {}, "shard": [0, 1]}}
    )
    ready = await ws.receive_json()
    assert (ready["op"], ready["t"], ready["s"]) == (0, "READY", 1)
    assert ready["d"]["shard"] == [0, 1] and ready["d"]["resume_gateway_url"] == fake.gateway_url
    await fake.wait_until_ready(timeout=1)
    return ws, ready["d"]


async def test_rest_auth_content_type_and_unknown_routes(
    fake: FakeDiscord, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{fake.api_url}/users/@me") as resp:
        assert resp.status == 401
        assert await resp.json() == {"message": "401: Unauthorized", "code": 0}
    auth = {"Authorization": f"Bot {fake.bot_token}"}
    async with http.get(f"{fake.api_url}/users/@me", headers=auth) as resp:
        assert resp.status == 200 and resp.headers["Content-Type"] == "application/json"
        assert (await resp.json())["bot"] is True
    async with http.get(f"{fake.api_url}/oauth2/applications/@me", headers=auth) as resp:
        app = await resp.json()
        assert app["interactions_endpoint_url"] is None and app["id"] == str(fake.application_id)
    async with http.get(f"{fake.api_url}/gateway/bot", headers=auth) as resp:
        assert (await resp.json())["url"] == fake.gateway_url
    async with http.get(f"{fake.api_url}/channels/1/messages", headers=auth) as resp:
        assert resp.status == 404
        assert await resp.json() == {"message": "404: Not Found", "code": 0}


async def test_command_sync_validation(fake: FakeDiscord, http: aiohttp.ClientSession) -> None:
    url = f"{fake.api_url}/applications/{fake.application_id}/commands"
    auth = {"Authorization": f"Bot {fake.bot_token}"}
    bad = [{"name": "Bad Name", "description": "x", "type": 1}, {"name": "ok", "description": "", "type": 1}]
    async with http.put(url, json=bad, headers=auth) as resp:
        body = await resp.json()
    assert resp.status == 400 and body["code"] == 50035
    assert set(body["errors"]) == {"0", "1"}
    assert fake.command_syncs == 0 and None not in fake.commands
    good = [{"name": "ok", "description": "fine", "options": []}]
    async with http.put(url, json=good, headers=auth) as resp:
        (cmd,) = await resp.json()
    assert cmd["type"] == 1 and cmd["dm_permission"] is True and cmd["nsfw"] is False
    assert cmd["default_member_permissions"] is None and {"id", "version", "application_id"} <= set(cmd)


def _embed_total(n: int) -> list[dict[str, Any]]:
    return [{"description": "d" * 4000}, {"description": "d" * (n - 4000)}]


INVALID_REPLIES: list[tuple[dict[str, Any], str]] = [
    ({"content": "c" * 2001}, "content"),
    ({"embeds": [{"title": "t"}] * 11}, "embeds"),
    ({"embeds": [{"description": "d" * 4097}]}, "embeds"),
    ({"embeds": [{"title": "t", "fields": [{"name": "n", "value": "v"}] * 26}]}, "embeds"),
    ({"embeds": [{"fields": [{"name": "", "value": "v"}]}]}, "embeds"),
    ({"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]}, "embeds"),
    ({"embeds": [{"footer": {"text": "f" * 2049}}]}, "embeds"),
    ({"embeds": [{"author": {"name": "a" * 257}}]}, "embeds"),
    ({"embeds": _embed_total(6001)}, "embeds"),
    (
        {"components": [{"type": 1, "components": [{"type": 2, "style": 1, "custom_id": "a"}]}] * 6},
        "components",
    ),
    (
        {
            "components": [
                {"type": 1, "components": [{"type": 2, "style": 1, "custom_id": str(i)} for i in range(6)]}
            ]
        },
        "components",
    ),
    (
        {"components": [{"type": 1, "components": [{"type": 2, "style": 1, "custom_id": "x" * 101}]}]},
        "components",
    ),
    (
        {
            "components": [
                {"type": 1, "components": [{"type": 2, "style": 1, "custom_id": "a", "label": "l" * 81}]}
            ]
        },
        "components",
    ),
]


@pytest.mark.parametrize(("data", "error_key"), INVALID_REPLIES)
async def test_invalid_reply_is_rejected_then_valid_reply_accepted(
    fake: FakeDiscord, http: aiohttp.ClientSession, data: dict[str, Any], error_key: str
) -> None:
    ws, _ = await raw_client(fake, http)
    interaction = await fake.send_interaction(fake.slash_payload("raw"))
    dispatched = await ws.receive_json()
    assert (dispatched["t"], dispatched["s"], dispatched["d"]["id"]) == (
        "INTERACTION_CREATE",
        2,
        interaction.id,
    )
    url = f"{fake.api_url}/interactions/{interaction.id}/{interaction.token}/callback?with_response=1"
    async with http.post(url, json={"type": 4, "data": data}) as resp:
        body = await resp.json()
    assert resp.status == 400 and body["code"] == 50035 and body["message"] == "Invalid Form Body"
    assert list(body["errors"]["data"]) == [error_key]
    assert interaction.events == [] and not fake.messages
    # A rejected callback does not acknowledge: a valid one still goes through.
    async with http.post(url, json={"type": 4, "data": {"content": "ok"}}) as resp:
        ok = await resp.json()
    assert resp.status == 200
    assert ok["interaction"] == {
        "id": interaction.id,
        "type": 2,
        "response_message_id": ok["resource"]["message"]["id"],
        "response_message_loading": False,
        "response_message_ephemeral": False,
    }
    assert ok["resource"]["message"]["content"] == "ok"
    await ws.close()


@pytest.mark.parametrize(
    "choices",
    [
        [{"name": f"c{i}", "value": f"c{i}"} for i in range(26)],
        [{"name": "", "value": "v"}],
        [{"name": "n" * 101, "value": "v"}],
        [{"name": "n", "value": "v" * 101}],
    ],
)
async def test_invalid_autocomplete_is_rejected(
    fake: FakeDiscord, http: aiohttp.ClientSession, choices: list[dict[str, Any]]
) -> None:
    await raw_client(fake, http)
    interaction = await fake.send_interaction(
        fake.autocomplete_payload("raw", [text_option("q", "")], focused="q")
    )
    url = f"{fake.api_url}/interactions/{interaction.id}/{interaction.token}/callback"
    async with http.post(url, json={"type": 8, "data": {"choices": choices}}) as resp:
        body = await resp.json()
    assert resp.status == 400 and body["code"] == 50035 and "choices" in body["errors"]["data"]
    async with http.post(url, json={"type": 4, "data": {"content": "no"}}) as resp:
        assert resp.status == 400  # only type 8 answers an autocomplete
    async with http.post(url, json={"type": 8, "data": {"choices": []}}) as resp:
        assert resp.status == 204
    assert (await interaction.wait_for_answer(timeout=1)) == {"choices": [], "flags": 0}


async def test_webhook_rules(fake: FakeDiscord, http: aiohttp.ClientSession) -> None:
    await raw_client(fake, http)
    interaction = await fake.send_interaction(fake.slash_payload("raw"))
    hook = f"{fake.api_url}/webhooks/{fake.application_id}/{interaction.token}"
    async with http.patch(f"{hook}/messages/@original", json={"content": "early"}) as resp:
        assert (resp.status, (await resp.json())["code"]) == (404, 10015)
    async with http.post(
        f"{fake.api_url}/webhooks/{fake.application_id}/nope?wait=1", json={"content": "x"}
    ) as resp:
        assert (resp.status, (await resp.json())["code"]) == (401, 50027)
    callback = f"{fake.api_url}/interactions/{interaction.id}/{interaction.token}/callback"
    async with http.post(callback, json={"type": 7, "data": {"content": "x"}}) as resp:
        assert resp.status == 400  # UPDATE_MESSAGE is for component interactions only
    async with http.post(callback, json={"type": 5, "data": {"flags": 64}}) as resp:
        assert resp.status == 204
    assert interaction.original is not None and interaction.original["flags"] == 64 | 128
    async with http.post(f"{hook}?wait=1", json={"content": ""}) as resp:
        assert (resp.status, (await resp.json())["code"]) == (400, 50006)
    async with http.post(f"{hook}?wait=1", json={"content": "first"}) as resp:
        first = await resp.json()
    assert first["id"] == interaction.original["id"] and first["flags"] == 64
    async with http.post(f"{hook}?wait=1", json={"content": "second"}) as resp:
        second = await resp.json()
    assert second["id"] != first["id"] and second["flags"] == 0
    async with http.patch(f"{hook}/messages/{second['id']}", json={"content": "edited"}) as resp:
        assert (await resp.json())["edited_timestamp"] is not None
    async with http.delete(f"{hook}/messages/@original") as resp:
        assert resp.status == 204
    async with http.get(f"{hook}/messages/@original") as resp:
        assert (resp.status, (await resp.json())["code"]) == (404, 10008)
    assert [e.kind for e in interaction.events] == [
        "callback",
        "followup",
        "followup",
        "edit_message",
        "delete_original",
    ]
    assert [m["content"] for m in interaction.followups] == ["edited"]


async def test_token_expiry_and_multipart(http: aiohttp.ClientSession) -> None:
    fake = FakeDiscord(token_lifetime=0.2)
    await fake.start()
    try:
        await raw_client(fake, http)
        interaction = await fake.send_interaction(fake.slash_payload("raw"))
        form = aiohttp.FormData()
        form.add_field("payload_json", '{"type": 4, "data": {"content": "file", "attachments": [{"id": 0}]}}')
        form.add_field("files[0]", b"hello", filename="a.txt", content_type="text/plain")
        callback = (
            f"{fake.api_url}/interactions/{interaction.id}/{interaction.token}/callback?with_response=1"
        )
        async with http.post(callback, data=form) as resp:
            message = (await resp.json())["resource"]["message"]
        assert message["attachments"][0]["filename"] == "a.txt" and message["attachments"][0]["size"] == 5
        assert interaction.events[0].body["data"]["content"] == "file"
        await asyncio.sleep(0.25)
        hook = f"{fake.api_url}/webhooks/{fake.application_id}/{interaction.token}?wait=1"
        async with http.post(hook, json={"content": "too late"}) as resp:
            assert (resp.status, (await resp.json())["code"]) == (401, 50027)
    finally:
        await fake.stop()


async def test_gateway_rejects_bad_token_and_resumes(fake: FakeDiscord, http: aiohttp.ClientSession) -> None:
    ws = await http.ws_connect(fake.gateway_url)
    await ws.receive_json()
    await ws.send_json({"op": 2, "d": {"token": "wrong", "intents": 1, "properties": {}}})
    closed = await ws.receive()
    assert closed.type is aiohttp.WSMsgType.CLOSE and closed.data == 4004

    first, ready = await raw_client(fake, http)
    await fake.send_interaction(fake.slash_payload("raw"))
    await fake.disconnect_gateway()
    assert (await first.receive_json())["s"] == 2
    assert (await first.receive()).data == 4000
    # Pretend the client missed s=2: resuming from s=1 replays it, then RESUMED.
    second = await http.ws_connect(fake.gateway_url)
    await second.receive_json()
    await second.send_json(
        {"op": 6, "d": {"token": fake.bot_token, "session_id": ready["session_id"], "seq": 1}}
    )
    replayed = await second.receive_json()
    resumed = await second.receive_json()
    assert (replayed["t"], replayed["s"]) == ("INTERACTION_CREATE", 2)
    assert (resumed["t"], resumed["s"]) == ("RESUMED", 3)
    await fake.wait_until_resumed(timeout=1)
    await second.send_json({"op": 6, "d": {"token": fake.bot_token, "session_id": "unknown", "seq": 1}})
    assert (await second.receive_json()) == {"op": 9, "s": None, "t": None, "d": False}


async def test_wait_for_times_out_with_context(fake: FakeDiscord, http: aiohttp.ClientSession) -> None:
    await raw_client(fake, http)
    interaction = await fake.send_interaction(fake.slash_payload("raw"))

    def never(event: InteractionEvent) -> bool:
        return False

    with pytest.raises(TimeoutError, match="no matching event"):
        await interaction.wait_for(never, timeout=0.05)


async def test_component_deferred_update_then_edit(fake: FakeDiscord, running: Running) -> None:
    command, sent = await answered(fake, fake.slash_payload("buttons"))
    click = await fake.send_interaction(fake.component_payload(sent, "later"))
    edit = await click.wait_for(lambda e: e.kind == "edit_original", timeout=3)
    assert click.events[0].body == {"type": 6}
    assert click.deferred
    assert edit.message is not None and edit.message["id"] == sent["id"]
    assert command.original is not None and command.original["content"] == "updated later"
    assert command.original["edited_timestamp"] is not None


async def test_file_uploads_use_multipart(fake: FakeDiscord, running: Running) -> None:
    interaction = await fake.send_interaction(fake.slash_payload("upload"))
    content, filenames, followup_id = await asyncio.wait_for(running.probe.outcomes.get(), 3)
    assert (content, filenames) == ("one", ["one.txt"])
    assert interaction.events[0].body["data"]["content"] == "one"
    assert [e.kind for e in interaction.events] == ["callback", "followup", "edit_message"]
    (followup,) = interaction.followups
    assert followup["id"] == str(followup_id)
    assert followup["content"] == "two edited" and followup["attachments"][0]["filename"] == "two.txt"


# ------------------------------------------------------------------------------------- shards and soak


class ShardedBot(commands.AutoShardedBot):
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Skip discord.py's 5 s pause before every IDENTIFY but the first."""


def make_sharded_bot(**options: Any) -> ShardedBot:
    bot = ShardedBot(
        command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.01, **options
    )

    @bot.tree.command(description="Which process answers")
    async def where(interaction: discord.Interaction[ShardedBot]) -> None:
        await interaction.response.send_message(f"shards={bot.shard_ids} guild={interaction.guild_id}")

    return bot


def test_guild_for_shard() -> None:
    for count in (1, 2, 3, 16):
        for shard in range(count):
            guilds = [guild_for_shard(shard, count, nth) for nth in range(3)]
            assert len(set(guilds)) == 3
            assert all((g >> 22) % count == shard for g in guilds)
    assert guild_for_shard(0, 1) == DEFAULT_GUILD_ID
    with pytest.raises(ValueError):
        guild_for_shard(2, 2)


async def test_auto_sharded_bot_in_one_process(fake: FakeDiscord) -> None:
    fake.recommended_shards = 2
    async with started(make_sharded_bot(), fake.bot_token) as bot:
        await fake.wait_until_ready(timeout=1, shards=2)
        assert bot.shard_count == 2 and fake.connected_shards == [0, 1]
        assert "/gateway/bot" in [r.path for r in fake.requests]  # no shard_count: ask Discord
        assert sorted(i["shard"] for i in fake.identifies) == [[0, 2], [1, 2]]
        for shard in (0, 1):
            guild = guild_for_shard(shard, 2)
            interaction, answer = await answered(fake, fake.slash_payload("where", guild_id=guild))
            assert interaction.shard == shard
            assert answer["content"] == f"shards=None guild={guild}"

        # One shard drops: it RESUMEs and gets what was sent meanwhile; the other shard is untouched.
        await fake.disconnect_gateway(shard=1)
        pending = await fake.send_interaction(fake.slash_payload("where", guild_id=guild_for_shard(1, 2)))
        await fake.wait_until_resumed(timeout=2)
        assert (await pending.wait_for_answer(timeout=2))["content"].startswith("shards=None")
        assert fake.resumes == 1 and len(fake.identifies) == 2
        _, other = await answered(fake, fake.slash_payload("where", guild_id=guild_for_shard(0, 2)))
        assert other["content"].startswith("shards=None")


async def test_two_processes_each_get_their_shard(fake: FakeDiscord) -> None:
    first = make_sharded_bot(shard_ids=[0], shard_count=2)
    second = make_sharded_bot(shard_ids=[1], shard_count=2)
    async with started(first, fake.bot_token), started(second, fake.bot_token):
        await fake.wait_until_ready(timeout=1, shards=2)
        assert "/gateway/bot" not in [r.path for r in fake.requests]  # shard_count given
        for nth in range(2):
            for shard in (0, 1):
                guild = guild_for_shard(shard, 2, nth)
                _, answer = await answered(fake, fake.slash_payload("where", guild_id=guild))
                assert answer["content"] == f"shards=[{shard}] guild={guild}"
        _, dm = await answered(fake, fake.slash_payload("where", guild_id=None))
        assert dm["content"] == "shards=[0] guild=None"
        _, forced = await answered_on(fake, fake.slash_payload("where", guild_id=None), shard=1)
        assert forced["content"] == "shards=[1] guild=None"
        with pytest.raises(RuntimeError, match="no gateway connection holds shard 2"):
            await fake.send_interaction(fake.slash_payload("where"), shard=2)
        assert fake.counts.sent == 6 and fake.counts.answered == 6


async def answered_on(
    fake: FakeDiscord, payload: dict[str, Any], shard: int
) -> tuple[FakeInteraction, dict[str, Any]]:
    interaction = await fake.send_interaction(payload, shard=shard)
    return interaction, await interaction.wait_for_answer(timeout=3)


async def test_unsharded_session_and_routing_errors(fake: FakeDiscord, http: aiohttp.ClientSession) -> None:
    with pytest.raises(RuntimeError, match="no gateway client has identified"):
        await fake.send_interaction(fake.slash_payload("raw"))
    await raw_client(fake, http)  # identifies as [0, 1]: owns every guild
    interaction = await fake.send_interaction(fake.slash_payload("raw", guild_id=guild_for_shard(1, 2)))
    assert interaction.shard == 0
    with pytest.raises(RuntimeError, match="shard 1"):
        await fake.send_interaction(fake.slash_payload("raw"), shard=1)
    with pytest.raises(RuntimeError, match="for shard 1"):
        await fake.disconnect_gateway(shard=1)
    ws = await http.ws_connect(fake.gateway_url)
    await ws.receive_json()
    await ws.send_json({"op": 2, "d": {"token": fake.bot_token, "intents": 1, "shard": [2, 2]}})
    assert (await ws.receive()).data == 4010
    with pytest.raises(TimeoutError, match="1 of 2 shards"):
        await fake.wait_until_ready(timeout=0.05, shards=2)


async def test_deadline_zero_expires_and_counts(fake: FakeDiscord, running: Running) -> None:
    @running.bot.tree.error
    async def on_error(interaction: Interaction, error: app_commands.AppCommandError) -> None:
        cause = error.__cause__
        await running.probe.outcomes.put(
            (cause.status, cause.code) if isinstance(cause, discord.HTTPException) else error
        )

    expired = await fake.send_interaction(fake.slash_payload("echo", [text_option("text", "x")]), deadline=0)
    assert await asyncio.wait_for(running.probe.outcomes.get(), 2) == (404, 10062)
    assert expired.expired
    _, answer = await answered(fake, fake.slash_payload("echo", [text_option("text", "in time")]))
    assert answer["content"] == "in time"
    assert fake.counts == InteractionCounts(sent=2, answered=1, expired=1)
    assert fake.unanswered() == [expired] and not expired.answered
    assert fake.unanswered(older_than=60) == []


async def test_reply_429_every_is_retried(fake: FakeDiscord, running: Running) -> None:
    fake.reply_429_every = 2
    # Each /slow is a callback then a PATCH: every PATCH is limited once, then retried.
    results = [await answered(fake, fake.slash_payload("slow")) for _ in range(3)]
    assert all(answer["content"] == "done" for _, answer in results)
    replies = [(r.method, r.status) for r in fake.requests if not r.path.startswith(("/users", "/oauth2"))]
    assert replies == [("POST", 200), ("PATCH", 429), ("PATCH", 200)] * 3
    assert fake.counts.rate_limited == 3 and fake.counts.answered == 3

    fake.reply_429_every = 1
    hook = f"{fake.api_url}/webhooks/{fake.application_id}/unknown-token?wait=1"
    async with aiohttp.ClientSession() as http:
        async with http.post(hook, json={"content": "x"}) as resp:
            assert resp.status == 429 and await resp.json() == {
                "message": "You are being rate limited.",
                "retry_after": 0.05,
                "global": False,
            }
            assert resp.headers["Via"] and resp.headers["X-RateLimit-Remaining"] == "0"
            assert float(resp.headers["X-RateLimit-Reset-After"]) == 0.05
            assert {"X-RateLimit-Limit", "X-RateLimit-Reset", "X-RateLimit-Bucket"} <= set(resp.headers)
        async with http.post(hook, json={"content": "x"}) as resp:
            assert resp.status == 401  # the retry is let through
    fake.reply_429_callbacks = False
    _, answer = await answered(fake, fake.slash_payload("echo", [text_option("text", "unlimited")]))
    assert answer["content"] == "unlimited" and fake.counts.rate_limited == 4


async def test_forget_finished_and_keep_requests_bound_memory(http: aiohttp.ClientSession) -> None:
    fake = FakeDiscord(keep_requests=5)
    await fake.start()
    try:
        await raw_client(fake, http)
        sent = [await fake.send_interaction(fake.slash_payload("raw")) for _ in range(20)]
        for interaction in sent[:15]:
            url = f"{fake.api_url}/interactions/{interaction.id}/{interaction.token}/callback"
            async with http.post(url, json={"type": 4, "data": {"content": "ok"}}) as resp:
                assert resp.status == 204
        assert len(fake.requests) == 5 and fake.requests[-1].path.endswith(f"{sent[14].token}/callback")
        assert len(fake.interactions) == 20 and len(fake.messages) == 15

        assert fake.forget_finished(older_than=60) == 0
        assert fake.forget_finished(older_than=0) == 15
        assert set(fake.interactions) == {i.id for i in sent[15:]} and not fake.messages
        assert fake.requests == []
        assert fake.unanswered() == sent[15:]
        assert fake.counts == InteractionCounts(sent=20, answered=15)
    finally:
        await fake.stop()


# ------------------------------------------------------------------- clicks on any custom_id, any message


def answer_expired_buttons(bot: commands.Bot) -> None:
    """What a bot does for a button it has no view for: a private note, or the message updated."""

    async def on_interaction(interaction: Interaction) -> None:
        if interaction.type is not discord.InteractionType.component:
            return
        custom_id = cast(dict[str, Any], interaction.data or {}).get("custom_id")
        if custom_id == "old:reply":
            await interaction.response.send_message("expired", ephemeral=True)
        elif custom_id == "old:update":
            await interaction.response.edit_message(content="buttons expired", view=None)

    bot.add_listener(on_interaction, "on_interaction")


async def test_click_on_any_custom_id_and_any_message(fake: FakeDiscord, running: Running) -> None:
    answer_expired_buttons(running.bot)
    payload = fake.click_payload("old:reply")
    assert payload["type"] == discord.InteractionType.component.value
    assert payload["data"] == {"custom_id": "old:reply", "component_type": 2}
    assert payload["message"]["author"]["id"] == str(fake.bot_user_id)
    assert payload["message"]["components"][0]["components"][0]["custom_id"] == "old:reply"
    click, answer = await answered(fake, payload)
    assert click.response_type is discord.InteractionResponseType.channel_message
    assert answer["content"] == "expired" and answer["flags"] == 64

    # A message from before a restart, by its id: the bot can still update it.
    old_id = "123456789012345678"
    click, updated = await answered(fake, fake.click_payload("old:update", message_id=int(old_id)))
    assert click.response_type is discord.InteractionResponseType.message_update
    assert updated["id"] == old_id
    assert fake.messages[old_id]["content"] == "buttons expired" and fake.messages[old_id]["components"] == []

    # A message the fake holds travels as it is now, whatever the custom_id.
    _, sent = await answered(fake, fake.slash_payload("buttons"))
    stale = fake.click_payload("old:reply", message_id=sent["id"])
    assert stale["message"] == fake.messages[sent["id"]]
    assert stale["channel_id"] == sent["channel_id"]
    assert (await answered(fake, stale))[1]["content"] == "expired"
    with pytest.raises(ValueError, match="no component"):
        fake.component_payload(sent, "old:reply")  # the strict builder still wants a real button

    select = fake.click_payload("old:pick", component_type=3, values=["a"], guild_id=None)
    assert select["data"] == {"custom_id": "old:pick", "component_type": 3, "values": ["a"]}
    assert select["message"]["components"][0]["components"][0]["options"] == [{"label": "a", "value": "a"}]
    assert "user" in select and "member" not in select


# ------------------------------------------------------------------- where it was used, how it was installed


def add_origin_command(bot: commands.Bot) -> None:
    @bot.tree.command(description="Where and how it was used")
    async def origin(interaction: Interaction) -> None:
        context = interaction.context
        where = [
            n
            for n, on in (
                ("guild", context.guild),
                ("dm_channel", context.dm_channel),
                ("private_channel", context.private_channel),
            )
            if on
        ]
        guild_locale = interaction.guild_locale.value if interaction.guild_locale else None
        await interaction.response.send_message(
            f"{where} user={interaction.is_user_integration()} guild={interaction.is_guild_integration()} "
            f"in={interaction.guild_id} {interaction.locale.value} {guild_locale}"
        )

    @bot.tree.command(description="Pick a channel")
    async def feed(interaction: Interaction, channel: app_commands.AppCommandChannel) -> None:
        manage = interaction.permissions.manage_guild
        await interaction.response.send_message(f"#{channel.name} {channel.id} manage={manage}")


async def test_user_install_contexts_and_locales(fake: FakeDiscord, running: Running) -> None:
    add_origin_command(running.bot)
    member = str(DEFAULT_USER_ID)
    elsewhere = guild_for_shard(0, 1, nth=5)  # a server the bot is not in

    payload = fake.slash_payload(
        "origin", guild_id=elsewhere, user_install=True, locale="pt-BR", guild_locale="fr"
    )
    assert payload["authorizing_integration_owners"] == {"1": member}
    assert (payload["context"], payload["guild_id"]) == (0, str(elsewhere))
    assert (payload["locale"], payload["guild_locale"], payload["guild"]["locale"]) == ("pt-BR", "fr", "fr")
    _, answer = await answered(fake, payload)
    assert answer["content"] == f"['guild'] user=True guild=False in={elsewhere} pt-BR fr"
    assert running.bot.get_guild(elsewhere) is None  # no GUILD_CREATE: the bot knows nothing of it

    _, answer = await answered(fake, fake.slash_payload("origin"))
    assert answer["content"] == f"['guild'] user=False guild=True in={DEFAULT_GUILD_ID} en-US en-US"

    dm = fake.slash_payload("origin", guild_id=None, user_install=True, locale="de")
    assert (dm["context"], dm["authorizing_integration_owners"]) == (1, {"1": member})
    assert "guild_locale" not in dm and dm["locale"] == "de"
    _, answer = await answered(fake, dm)
    assert answer["content"] == "['dm_channel'] user=True guild=False in=None de None"

    private = fake.slash_payload(
        "origin", guild_id=None, context=InteractionContextType.PRIVATE_CHANNEL, user_install=True
    )
    assert (private["context"], private["authorizing_integration_owners"]) == (2, {"1": member})
    _, answer = await answered(fake, private)
    assert answer["content"] == "['private_channel'] user=True guild=False in=None en-US None"

    channel = {"name": "channel", "type": 7, "value": "500000000000001234"}
    payload = fake.slash_payload("feed", [channel], permissions=32)
    assert payload["data"]["resolved"]["channels"]["500000000000001234"]["permissions"] == "32"
    _, answer = await answered(fake, payload)
    assert answer["content"] == "#channel1234 500000000000001234 manage=True"
    _, answer = await answered(fake, fake.slash_payload("feed", [channel]))
    assert answer["content"].endswith("manage=False")


def test_payload_builders_refuse_what_discord_never_sends(fake: FakeDiscord) -> None:
    with pytest.raises(ValueError, match="BOT_DM needs guild_id =None"):
        fake.slash_payload("x", context=InteractionContextType.BOT_DM)
    with pytest.raises(ValueError, match="GUILD needs guild_id set"):
        fake.slash_payload("x", guild_id=None, context=InteractionContextType.GUILD)
    with pytest.raises(ValueError, match="user_install=True"):
        fake.slash_payload("x", guild_id=None, context=InteractionContextType.PRIVATE_CHANNEL)
    with pytest.raises(ValueError, match="'english' is not a locale"):
        fake.slash_payload("x", locale="english")
    with pytest.raises(ValueError, match="'xx' is not a locale"):
        fake.click_payload("x", guild_locale="xx")


def test_every_payload_builder_carries_locales(fake: FakeDiscord) -> None:
    message = fake.click_payload("press")["message"]
    builders: list[Any] = [
        lambda **kw: fake.slash_payload("x", **kw),
        lambda **kw: fake.autocomplete_payload("x", [text_option("q", "")], focused="q", **kw),
        lambda **kw: fake.component_payload(message, "press", **kw),
        lambda **kw: fake.click_payload("any", **kw),
    ]
    for build in builders:
        default = build()
        assert (default["locale"], default["guild_locale"]) == ("en-US", "en-US")
        chosen = build(locale="es-ES", guild_locale="ja", user_install=True)
        assert (chosen["locale"], chosen["guild_locale"], chosen["guild"]["locale"]) == ("es-ES", "ja", "ja")
        assert chosen["authorizing_integration_owners"] == {"1": str(DEFAULT_USER_ID)}
        assert (
            "guild_locale" not in build(guild_id=None, locale="ko") and build(guild_id=None)["context"] == 1
        )


async def test_command_registration_checks_installs_contexts_and_translations(
    fake: FakeDiscord, http: aiohttp.ClientSession
) -> None:
    url = f"{fake.api_url}/applications/{fake.application_id}/commands"
    auth = {"Authorization": f"Bot {fake.bot_token}"}
    option = {"name": "o", "description": "x", "type": 3}
    bad = [
        {"name": "a", "description": "x", "integration_types": [0, 2]},
        {"name": "b", "description": "x", "contexts": [3]},
        {"name": "c", "description": "x", "name_localizations": {"xx": "c"}},
        {"name": "d", "description": "x", "name_localizations": {"fr": "Nom Invalide"}},
        {"name": "e", "description": "x", "description_localizations": {"de": ""}},
        {"name": "f", "description": "x", "options": [{**option, "name_localizations": {"fr": "O"}}]},
        {"name": "g", "description": "x", "integration_types": "0"},
        {"name": "h", "description": "x", "contexts": [True]},
    ]
    async with http.put(url, json=bad, headers=auth) as resp:
        body = await resp.json()
    assert resp.status == 400 and body["code"] == 50035
    errors = body["errors"]
    assert list(errors["0"]["integration_types"]) == ["1"]
    assert errors["0"]["integration_types"]["1"]["_errors"][0]["message"] == "Value must be one of {0, 1}."
    assert errors["1"]["contexts"]["0"]["_errors"][0]["message"] == "Value must be one of {0, 1, 2}."
    assert list(errors["2"]["name_localizations"]) == ["xx"]
    assert list(errors["3"]["name_localizations"]) == ["fr"]
    assert list(errors["4"]["description_localizations"]) == ["de"]
    assert list(errors["5"]["options"]["0"]["name_localizations"]) == ["fr"]
    assert errors["6"]["integration_types"]["_errors"][0]["code"] == "LIST_TYPE_CONVERT"
    assert list(errors["7"]["contexts"]) == ["0"]
    assert set(errors) == {str(i) for i in range(len(bad))} and fake.command_syncs == 0

    good = {
        "name": "ok",
        "description": "fine",
        "integration_types": [0, 1],
        "contexts": [0, 1, 2],
        "name_localizations": {"fr": "daccord", "pt-BR": "certo"},
        "description_localizations": {"fr": "très bien"},
        "options": [{**option, "name_localizations": {"de": "o-de"}}],
    }
    async with http.put(
        url, json=[good, {"name": "null", "description": "x", "contexts": None}], headers=auth
    ) as resp:
        registered, plain = await resp.json()
    assert resp.status == 200
    assert {key: registered[key] for key in good} == good
    assert (plain["contexts"], plain["integration_types"]) == (None, [0])


async def test_allowed_installs_sync_through_discord_py(fake: FakeDiscord, running: Running) -> None:
    @running.bot.tree.command(description="Anywhere")
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def anywhere(interaction: Interaction) -> None:
        await interaction.response.send_message("here")

    await running.bot.tree.sync()
    registered = {c["name"]: c for c in fake.commands[None]}
    assert registered["anywhere"]["integration_types"] == [0, 1]
    assert registered["anywhere"]["contexts"] == [0, 1, 2]
    assert registered["echo"]["integration_types"] is None  # discord.py sends null: Discord's default


# ------------------------------------------------------------------- posting into channels

CHANNEL = 500000000000000001


async def test_channel_post_with_nonce(fake: FakeDiscord, running: Running) -> None:
    channel = running.bot.get_partial_messageable(CHANNEL)
    sent = await channel.send("hello", embed=discord.Embed(title="News"))
    (posted,) = fake.channel(CHANNEL).messages
    assert posted["id"] == str(sent.id) and fake.messages[posted["id"]] is posted
    assert (posted["content"], posted["embeds"][0]["title"]) == ("hello", "News")
    assert posted["author"]["id"] == str(fake.bot_user_id) and posted["channel_id"] == str(CHANNEL)
    request = next(r for r in fake.requests if r.path == f"/channels/{CHANNEL}/messages")
    assert request.json is not None and request.json["enforce_nonce"] is True  # discord.py sends one
    assert posted["nonce"] == request.json["nonce"]

    # A retry with the same nonce answers the earlier message and creates none.
    again = await channel.send("hello again", nonce=request.json["nonce"])
    assert (again.id, again.content) == (sent.id, "hello")
    assert len(fake.channel(CHANNEL).messages) == 1
    fake.nonce_window = 0.0
    await asyncio.sleep(0.01)
    later = await channel.send("hello later", nonce=request.json["nonce"])
    assert later.id != sent.id and len(fake.channel(CHANNEL).messages) == 2
    assert (
        await fake.wait_for_channel_message(CHANNEL, lambda m: m["content"] == "hello later")
        == (fake.channel(CHANNEL).messages[1])
    )
    with pytest.raises(TimeoutError, match=f"channel {CHANNEL}: no matching message in 0.05s \\(2 posted\\)"):
        await fake.wait_for_channel_message(CHANNEL, lambda m: m["content"] == "never", timeout=0.05)
    waiting = asyncio.create_task(fake.wait_for_channel_message(CHANNEL + 1))
    await channel_of(running, CHANNEL + 1).send("arrives while waiting")
    assert (await waiting)["content"] == "arrives while waiting"


def channel_of(running: Running, channel_id: int) -> discord.PartialMessageable:
    return running.bot.get_partial_messageable(channel_id)


async def test_enforce_nonce_is_what_dedupes(fake: FakeDiscord, http: aiohttp.ClientSession) -> None:
    url = f"{fake.api_url}/channels/{CHANNEL}/messages"
    auth = {"Authorization": f"Bot {fake.bot_token}"}
    ids = []
    for body in (
        {"content": "a", "nonce": 17},
        {"content": "b", "nonce": 17},  # no enforce_nonce: Discord creates it
        {"content": "c", "nonce": 17, "enforce_nonce": True},
        {"content": "d", "nonce": "17", "enforce_nonce": True},
    ):
        async with http.post(url, json=body, headers=auth) as resp:
            assert resp.status == 200
            ids.append((await resp.json())["id"])
    assert ids[0] != ids[1] and ids[1] == ids[2] == ids[3]
    assert [m["content"] for m in fake.channel(CHANNEL).messages] == ["a", "b"]
    async with http.post(url, json={"content": "x"}) as resp:
        assert resp.status == 401


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (ChannelError.MISSING_ACCESS, 403, 50001),
        (ChannelError.MISSING_PERMISSIONS, 403, 50013),
        (ChannelError.UNKNOWN_CHANNEL, 404, 10003),
    ],
)
async def test_channel_permission_errors(
    fake: FakeDiscord, running: Running, error: ChannelError, status: int, code: int
) -> None:
    fake.channel(CHANNEL).error = error
    with pytest.raises(discord.HTTPException) as caught:
        await channel_of(running, CHANNEL).send("news")
    assert (caught.value.status, caught.value.code) == (status, code)
    assert fake.channel(CHANNEL).messages == [] and not fake.messages
    fake.channel(CHANNEL).error = None
    assert (await channel_of(running, CHANNEL).send("news")).content == "news"


async def test_channel_without_embed_links(fake: FakeDiscord, running: Running) -> None:
    fake.channel(CHANNEL).embed_links = False
    with pytest.raises(discord.Forbidden) as caught:
        await channel_of(running, CHANNEL).send(embed=discord.Embed(title="only an embed"))
    assert caught.value.code == 50013
    sent = await channel_of(running, CHANNEL).send("text", embed=discord.Embed(title="dropped"))
    assert sent.embeds == [] and fake.channel(CHANNEL).messages[0]["embeds"] == []


INVALID_POSTS = [
    *INVALID_REPLIES,
    ({"content": "x", "nonce": "n" * 26}, "nonce"),
    ({"content": "x", "nonce": 1.5}, "nonce"),
    ({"content": "x", "allowed_mentions": {"parse": ["users"], "users": ["1"]}}, "allowed_mentions"),
    ({"content": "x", "allowed_mentions": {"parse": ["nobody"]}}, "allowed_mentions"),
]


@pytest.mark.parametrize(("data", "error_key"), INVALID_POSTS)
async def test_invalid_channel_post_is_rejected(
    fake: FakeDiscord, http: aiohttp.ClientSession, data: dict[str, Any], error_key: str
) -> None:
    url = f"{fake.api_url}/channels/{CHANNEL}/messages"
    auth = {"Authorization": f"Bot {fake.bot_token}"}
    async with http.post(url, json=data, headers=auth) as resp:
        body = await resp.json()
    assert resp.status == 400 and body["code"] == 50035 and list(body["errors"]) == [error_key]
    assert resp.headers["X-RateLimit-Remaining"] == "4"  # refused posts count against the channel too
    async with http.post(url, json={"content": "", "nonce": "n" * 25}, headers=auth) as resp:
        assert (resp.status, (await resp.json())["code"]) == (400, 50006)
    assert fake.channel(CHANNEL).messages == []


async def test_channel_rate_limit(fake: FakeDiscord, running: Running, http: aiohttp.ClientSession) -> None:
    fake.channel_rate_limit, fake.channel_rate_window = 2, 0.3
    url = f"{fake.api_url}/channels/{CHANNEL}/messages"
    auth = {"Authorization": f"Bot {fake.bot_token}"}
    for remaining in ("1", "0"):
        async with http.post(url, json={"content": "ok"}, headers=auth) as resp:
            assert resp.status == 200
            assert (resp.headers["X-RateLimit-Limit"], resp.headers["X-RateLimit-Remaining"]) == (
                "2",
                remaining,
            )
            assert 0 < float(resp.headers["X-RateLimit-Reset-After"]) <= 0.3
    async with http.post(url, json={"content": "one too many"}, headers=auth) as resp:
        body = await resp.json()
        assert resp.status == 429 and body["global"] is False and 0 < body["retry_after"] <= 0.3
        assert resp.headers["X-RateLimit-Remaining"] == "0" and resp.headers["X-RateLimit-Scope"] == "user"
        assert resp.headers["Via"] and resp.headers["Retry-After"] == "1"
    async with http.post(
        f"{fake.api_url}/channels/{CHANNEL + 1}/messages", json={"content": "ok"}, headers=auth
    ) as resp:
        assert resp.status == 200  # every channel has its own window
    assert fake.channel(CHANNEL).rate_limited == 1 and len(fake.channel(CHANNEL).messages) == 2
    await asyncio.sleep(body["retry_after"])
    async with http.post(url, json={"content": "after the window"}, headers=auth) as resp:
        assert resp.status == 200

    # discord.py keeps to the limit (from the headers, or by waiting out 429s): every post arrives, in order.
    feed = channel_of(running, CHANNEL + 2)
    for n in range(5):
        await feed.send(f"n{n}")
    assert [m["content"] for m in fake.channel(CHANNEL + 2).messages] == [f"n{n}" for n in range(5)]


async def test_channel_post_mentions_follow_allowed_mentions(fake: FakeDiscord, running: Running) -> None:
    channel = channel_of(running, CHANNEL)
    pinging = "@everyone <@&42> <@7> <@!7>"
    await channel.send(pinging)  # no allowed_mentions: Discord pings everything in the text
    await channel.send(pinging, allowed_mentions=discord.AllowedMentions.none())
    await channel.send(
        pinging,
        allowed_mentions=discord.AllowedMentions(everyone=False, roles=[discord.Object(42)], users=False),
    )
    pings = [
        (m["mention_everyone"], m["mention_roles"], [u["id"] for u in m["mentions"]])
        for m in fake.channel(CHANNEL).messages
    ]
    assert pings == [(True, ["42"], ["7"]), (False, [], []), (False, ["42"], [])]


async def test_a_channel_message_can_be_clicked(fake: FakeDiscord, running: Running) -> None:
    sent = await channel_of(running, CHANNEL).send("Click", view=PressView())
    click, updated = await answered(fake, fake.component_payload(fake.channel(CHANNEL).messages[0], "press"))
    assert click.response_type is discord.InteractionResponseType.message_update
    assert updated["id"] == str(sent.id) and fake.messages[str(sent.id)]["content"] == "pressed"


async def test_modal_submit_updates_only_the_message_it_came_from(
    fake: FakeDiscord, http: aiohttp.ClientSession
) -> None:
    await raw_client(fake, http)

    async def submitted(from_message: bool) -> str:
        payload = fake.slash_payload("raw")
        payload["type"] = discord.InteractionType.modal_submit.value
        payload["data"] = {"custom_id": "form", "components": []}
        if from_message:
            payload["message"] = fake.click_payload("open-form")["message"]
        interaction = await fake.send_interaction(payload)
        return f"{fake.api_url}/interactions/{interaction.id}/{interaction.token}/callback"

    callback = await submitted(from_message=False)
    for update in (6, 7):
        async with http.post(callback, json={"type": update, "data": {"content": "x"}}) as resp:
            body = await resp.json()
        assert resp.status == 400
        assert body["errors"]["type"]["_errors"][0]["message"] == "Value must be one of {4, 5}."
    async with http.post(callback, json={"type": 4, "data": {"content": "thanks"}}) as resp:
        assert resp.status == 204
    async with http.post(
        await submitted(from_message=True), json={"type": 7, "data": {"content": "saved"}}
    ) as resp:
        assert resp.status == 204
