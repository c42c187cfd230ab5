"""Fuzzing through the real command path: odd interaction payloads, and odd JSON from RetroAchievements.

One sandbox (fake Discord + fake RetroAchievements + the real bot) runs for the whole module on its own
event loop in a thread; each hypothesis example is sent to it and waited for from the test's thread.

Property: every interaction gets an answer the fake Discord accepted (a result or a private error)
within a few seconds; the bot never sends a reply the fake Discord refuses (400); no unhandled exception
(discord.py's "Ignoring exception", the loop's exception handler, "Unexpected error", unraisable or
thread exceptions) and no other ERROR record; and the bot keeps answering afterwards.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bench.soak import Watch, loop_exception_handler
from bot.sandbox.fake_discord import FakeInteraction
from bot.sandbox.fake_ra import Dataset, FakeRA, demo_dataset
from bot.sandbox.harness import SANDBOX_API_KEY, Sandbox, final_answer, running_sandbox, string_options

T = TypeVar("T")
ANSWER_SECONDS = 8.0  # commands: RetroAchievements may be slow
AUTOCOMPLETE_SECONDS = 3.0  # Discord's own deadline for the first answer
MEMBER = 200000000000000001
LINKED_MEMBER = 200000000000000002
ENV = {
    "PROGRESS_COOLDOWN_SECONDS": "0",
    "RA_TIMEOUT_SECONDS": "2",
    "RA_MAX_RETRIES": "1",
    # Every command asks the fake RetroAchievements, so that each example's odd answer is used.
    "CACHE_GAME_SECONDS": "0.001",
    "CACHE_PROFILE_SECONDS": "0.001",
    "CACHE_PROGRESS_SECONDS": "0.001",
    "CACHE_LEADERBOARD_SECONDS": "0.001",
}
COMMAND_OPTIONS: dict[str, tuple[str, ...]] = {
    "progress": ("user", "games"),
    "link": ("username",),
    "unlink": (),
    "compare": ("games", "users"),
    "leaderboard": ("game",),
}
AUTOCOMPLETE = (("progress", "user"), ("compare", "users"))
FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,
    derandomize=True,
    # No shrinking: a failing example waits seconds for its answer, and shrinking would try hundreds.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    report_multiple_bugs=False,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)


# ---------------------------------------------------------------------------------------------- the sandbox


class SandboxThread:
    """A running sandbox on its own event loop in a thread; `run()` waits for a coroutine there."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self.loop = asyncio.new_event_loop()
        self.loop.set_exception_handler(loop_exception_handler)
        self._ready: concurrent.futures.Future[Sandbox] = concurrent.futures.Future()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="fuzz-sandbox", daemon=True)

    def _main(self) -> None:
        self.loop.run_until_complete(self._serve())
        self.loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        try:
            async with running_sandbox(self.dataset, env=ENV) as sandbox:
                self._ready.set_result(sandbox)
                await self._stop.wait()
        except BaseException as error:
            if not self._ready.done():
                self._ready.set_exception(error)
            raise

    def start(self) -> Sandbox:
        self._thread.start()
        return self._ready.result(timeout=60)

    def run(self, make: Callable[[], Awaitable[T]], timeout: float = 30.0) -> T:
        async def call() -> T:
            return await make()

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(timeout)

    def stop(self) -> None:
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=30)


class Fuzz:
    """The sandbox, the watch on its logs, and the checks every example ends with."""

    def __init__(self, runner: SandboxThread, sandbox: Sandbox, watch: Watch) -> None:
        self.runner = runner
        self.sandbox = sandbox
        self.watch = watch

    @property
    def ra(self) -> FakeRA:
        return self.sandbox.ra

    def problems(self) -> list[str]:
        return [*self.watch.unhandled, *self.watch.other_errors]

    def send(
        self, payload: dict[str, Any], wait: float = ANSWER_SECONDS
    ) -> tuple[FakeInteraction, dict[str, Any] | None, list[str]]:
        """Sends one interaction; returns it, its final answer (None: none in time), and every
        refused request (status 400) the bot made meanwhile."""
        discord = self.sandbox.discord
        first = len(discord.requests)
        self.watch.unhandled.clear()  # each example is judged on its own errors
        self.watch.other_errors.clear()
        del self.watch.samples[:]

        async def go() -> tuple[FakeInteraction, dict[str, Any] | None]:
            interaction = await discord.send_interaction(payload)
            try:
                return interaction, await final_answer(interaction, wait_seconds=wait)
            except TimeoutError:
                return interaction, None

        interaction, answer = self.runner.run(go)
        refused = [f"{r.method} {r.path}: {r.json}" for r in discord.requests[first:] if r.status == 400]
        return interaction, answer, refused

    def check(self, interaction: FakeInteraction, answer: dict[str, Any] | None, refused: list[str]) -> None:
        assert refused == [], f"the fake Discord refused the bot's reply: {refused[:2]}"
        events = [(e.kind, e.body) for e in interaction.events]
        assert answer is not None, f"no answer in time; events: {events}; errors: {self.watch.samples[-2:]}"
        assert self.problems() == [], self.watch.samples[-3:]

    def still_answers(self) -> None:
        """A normal /progress still gets its normal answer."""
        payload = self.sandbox.discord.slash_payload(
            "progress", string_options({"user": "MaxMilyin", "games": "1"}), user_id=MEMBER
        )
        interaction, answer, refused = self.send(payload)
        self.check(interaction, answer, refused)
        assert answer is not None and "Sonic the Hedgehog" in str(answer.get("embeds")), answer


@pytest.fixture(scope="module")
def fuzz() -> Iterator[Fuzz]:
    watch = Watch({"RA_API_KEY": SANDBOX_API_KEY})
    watch.setLevel(logging.WARNING)
    root = logging.getLogger()
    root.addHandler(watch)
    saved_hook = sys.unraisablehook

    def unraisable(info: Any) -> None:
        logging.getLogger("bench.soak.unraisable").error("%s: %r", info.err_msg, info.object)

    sys.unraisablehook = unraisable
    runner = SandboxThread(demo_dataset())
    try:
        sandbox = runner.start()
        fuzz = Fuzz(runner, sandbox, watch)
        # One linked member, so that /leaderboard has a board to walk.
        link = sandbox.discord.slash_payload(
            "link", string_options({"username": "Scott"}), user_id=LINKED_MEMBER
        )
        fuzz.check(*fuzz.send(link))
        yield fuzz
    finally:
        runner.stop()
        root.removeHandler(watch)
        sys.unraisablehook = saved_hook


@pytest.fixture
def clean(fuzz: Fuzz) -> Iterator[Fuzz]:
    """Each test starts with no error recorded and no failure pending, and ends still answering."""
    fuzz.ra.clear_failures()
    fuzz.watch.unhandled.clear()
    fuzz.watch.other_errors.clear()
    yield fuzz
    fuzz.ra.clear_failures()
    fuzz.still_answers()


# ---------------------------------------------------------------------------------------------- strategies

# Discord allows 6000 characters over all of a command's options.
texts = st.text(max_size=1500) | st.text(min_size=1900, max_size=2000)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
option_values = texts | json_values
ids_text = st.lists(st.integers(min_value=-5, max_value=2**32), min_size=0, max_size=60).map(
    lambda ids: ",".join(map(str, ids))
)


def typed_option(name: str, values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """An option as Discord sends it: its value matches its declared type, except that a string option
    (type 3, what every option of the bot is) may carry any JSON value, as after a schema change."""
    return st.one_of(
        values.map(lambda value: {"name": name, "type": 3, "value": value}),
        st.integers(-(2**53), 2**53).map(lambda value: {"name": name, "type": 4, "value": value}),
        st.booleans().map(lambda value: {"name": name, "type": 5, "value": value}),
        st.floats(allow_nan=False).map(lambda value: {"name": name, "type": 10, "value": value}),
    )


@st.composite
def options_for(draw: st.DrawFn, command: str) -> list[dict[str, Any]]:
    """The command's options, each maybe missing, of another type, or with any value; maybe extra ones."""
    options: list[dict[str, Any]] = []
    for name in COMMAND_OPTIONS[command]:
        if draw(st.integers(0, 9)) == 0:
            continue  # missing
        values = ids_text | option_values if "game" in name else option_values
        options.append(draw(typed_option(name, values)))
    for _ in range(draw(st.integers(0, 2))):
        name = draw(st.sampled_from(("extra", "user", "games", "x" * 32)) | st.text(min_size=1, max_size=8))
        options.append(draw(typed_option(name, option_values)))
    return draw(st.permutations(options))


commands = st.sampled_from(sorted(COMMAND_OPTIONS)).flatmap(
    lambda command: st.tuples(st.just(command), options_for(command), st.booleans())
)


# ---------------------------------------------------------------------------------------------- properties


@FUZZ
@given(commands)
def test_any_command_payload_gets_an_answer(
    clean: Fuzz, case: tuple[str, list[dict[str, Any]], bool]
) -> None:
    command, options, in_dm = case
    discord = clean.sandbox.discord
    payload = discord.slash_payload(
        command, [], user_id=MEMBER, guild_id=None if in_dm else 300000000000000001
    )
    payload["data"]["options"] = options
    clean.check(*clean.send(payload))


@FUZZ
@given(st.sampled_from(AUTOCOMPLETE), option_values, st.lists(option_values, max_size=2))
def test_any_autocomplete_payload_gets_choices(
    clean: Fuzz, target: tuple[str, str], typed: Any, others: list[Any]
) -> None:
    command, focused = target
    discord = clean.sandbox.discord
    payload = discord.autocomplete_payload(
        command, string_options({focused: ""}), focused=focused, user_id=LINKED_MEMBER
    )
    payload["data"]["options"][0]["value"] = typed
    other_names = [n for n in COMMAND_OPTIONS[command] if n != focused] + ["extra"]
    payload["data"]["options"] += [
        {"name": name, "type": 3, "value": value} for name, value in zip(other_names, others, strict=False)
    ]
    interaction, answer, refused = clean.send(payload, wait=AUTOCOMPLETE_SECONDS)
    clean.check(interaction, answer, refused)
    assert interaction.callback_type == 8


# Shapes close to the real answers reach deeper into the parsers than arbitrary JSON does.
progress_entry = st.fixed_dictionaries(
    {},
    optional={
        key: json_scalars
        for key in (
            "NumPossibleAchievements",
            "PossibleScore",
            "NumAchieved",
            "ScoreAchieved",
            "NumAchievedHardcore",
            "ScoreAchievedHardcore",
        )
    },
)
progress_like = st.dictionaries(
    st.sampled_from(("1", "2", "3")) | st.text(max_size=4), progress_entry, max_size=3
)
game_like = st.fixed_dictionaries(
    {},
    optional={"Title": texts | json_scalars, "ConsoleName": texts | json_scalars, "ImageIcon": json_scalars},
)
profile_like = st.fixed_dictionaries(
    {},
    optional={
        "User": texts | json_scalars,
        "ULID": json_scalars,
        "UserPic": json_scalars,
        "TotalPoints": json_scalars,
        "TotalSoftcorePoints": json_scalars,
        "TotalTruePoints": json_scalars,
    },
)
ENDPOINT_SHAPES = {
    "API_GetUserProgress": progress_like,
    "API_GetGame": game_like,
    "API_GetUserProfile": profile_like,
}
ra_answers = st.sampled_from(sorted(ENDPOINT_SHAPES)).flatmap(
    lambda endpoint: st.tuples(
        st.just(endpoint),
        ENDPOINT_SHAPES[endpoint] | json_values,
        st.sampled_from((200, 200, 200, 404)),
        st.sampled_from(("progress", "progress", "compare", "link", "leaderboard")),
    )
)
COMMAND_FOR_ANSWER = {
    "progress": {"user": "MaxMilyin", "games": "1,2,3"},
    "compare": {"games": "1,2", "users": "MaxMilyin, Scott"},
    "link": {"username": "Jamiras"},
    "leaderboard": {"game": "2"},
}


@FUZZ
@given(ra_answers)
def test_any_json_from_retroachievements_gets_an_answer(clean: Fuzz, case: tuple[str, Any, int, str]) -> None:
    endpoint, body, status, command = case
    clean.ra.clear_failures()
    clean.ra.fail_next(endpoint, "json", body=body, status=status, times=3)
    payload = clean.sandbox.discord.slash_payload(
        command, string_options(COMMAND_FOR_ANSWER[command]), user_id=MEMBER
    )
    clean.check(*clean.send(payload))


def test_the_fake_answers_any_json() -> None:
    """The feature the fuzzing above relies on: fail_next(endpoint, "json", body=..., status=...)."""

    async def go() -> list[tuple[int, Any]]:
        import aiohttp

        async with FakeRA(demo_dataset(), api_key=SANDBOX_API_KEY) as ra, aiohttp.ClientSession() as http:
            ra.fail_next(None, "json", body=[], times=5)
            ra.fail_next(None, "500")
            assert ra.clear_failures() == 2
            ra.fail_next("API_GetGame", "json", body={"Title": ["odd"]})
            ra.fail_next(None, "json", body=None, status=404)
            out = []
            for endpoint in ("API_GetGame", "API_GetUserProfile", "API_GetGame"):
                url = f"{ra.base_url}/API/{endpoint}.php"
                async with http.get(url, params={"y": SANDBOX_API_KEY, "i": "1", "u": "Scott"}) as response:
                    out.append((response.status, await response.json()))
            return out

    answers = asyncio.run(go())
    assert answers[0] == (200, {"Title": ["odd"]})
    assert answers[1] == (404, None)
    assert answers[2][0] == 200 and answers[2][1]["Title"] == "Sonic the Hedgehog"
