"""A short soak (the code of `bench.soak`, a few hundred interactions, every fault kind) and the soak's
own checks; plus the two failures the soak found, each reproduced on its own."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections import Counter
from typing import Any

import pytest

from bench.soak import (
    RA_FAULTS,
    MemoryPoint,
    SoakConfig,
    SoakResult,
    Watch,
    classify_answer,
    find_secrets,
    run_soak,
    unhandled_kind,
)
from bot.sandbox.fake_discord import FakeDiscord, FakeInteraction
from bot.sandbox.harness import button_id, final_answer, running_sandbox, string_options

SHORT = SoakConfig(
    interactions=350,
    minutes_cap=1.0,
    seed=7,
    concurrency=40,
    users=60,
    members=600,
    ra_rate=100.0,
    ra_burst=20,
    fault_interval=0.08,
    reply_429_every=15,
    expire_fraction=0.05,
    answer_timeout=20.0,
    max_growth_mb=40.0,
)


async def test_short_soak_has_no_failures_and_every_fault_kind() -> None:
    started = time.perf_counter()
    result = await run_soak(SHORT)
    report = result.report()
    # The run really had what it claims to survive.
    assert result.sent == SHORT.interactions, report
    assert set(result.faults_injected) == set(RA_FAULTS), report
    assert result.discord_429s > 0, report
    assert result.expired_deliberate > 0, report
    assert result.resumes >= 1 and result.identifies == 1, report
    assert result.sent_by_command["click"] > 0, report
    assert result.answers["ok:embed"] > 0 and result.answers["invalid_input"] > 0, report
    assert result.log_records > 0 and result.rest_scanned > 0, report
    # The gates.
    assert result.problems() == [], report
    assert time.perf_counter() - started < 30, report


# ---------------------------------------------------------------------------------------------- the gates


def passing_result() -> SoakResult:
    result = SoakResult(SoakConfig(interactions=10, ra_rate=5, ra_burst=2, max_growth_mb=5))
    result.sent = result.answered = 10
    result.memory = [MemoryPoint("warm", 3, 50.0, 50.0, 3), MemoryPoint("end", 10, 52.0, 52.0, 3)]
    result.upstream_max_per_second = 7
    return result


def test_a_clean_result_passes() -> None:
    assert passing_result().problems() == []
    assert "RESULT: PASS" in passing_result().report()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda r: setattr(r, "failed", 1), "got no answer"),
        (lambda r: r.unhandled.update({"Unexpected error": 1}), "unhandled"),
        (lambda r: r.other_errors.update({"bot.x: boom": 1}), "other ERROR"),
        (lambda r: r.answers.update({"unexpected": 1}), "Something went wrong"),
        (lambda r: setattr(r, "upstream_max_per_second", 8), "over rate + burst"),
        (lambda r: r.secret_leaks.update({"log RA_API_KEY": 1}), "secret"),
        (lambda r: setattr(r, "sent", 9), "only 9 of 10"),
        (lambda r: r.memory.__setitem__(1, MemoryPoint("end", 10, 60.0, 60.0, 3)), "grew 10.0 MB"),
        (lambda r: setattr(r, "memory", []), "not measured"),
    ],
)
def test_each_gate_can_fail(change: Any, expected: str) -> None:
    result = passing_result()
    change(result)
    problems = result.problems()
    assert any(expected in p for p in problems), problems
    assert "RESULT: FAIL" in result.report()


def test_secrets_are_found_anywhere_in_text() -> None:
    named = {"RA_API_KEY": "Key123", "DISCORD_TOKEN": "tok.en"}
    assert find_secrets('{"content": "x Key123 y"}', named) == ["RA_API_KEY"]
    assert find_secrets("/webhooks/1/tok.en", named) == ["DISCORD_TOKEN"]
    assert find_secrets("nothing here", named) == []


def test_the_watch_counts_unhandled_errors_and_secrets() -> None:
    watch = Watch({"RA_API_KEY": "Key123"})
    logger = logging.getLogger("discord.app_commands.tree")
    try:
        raise RuntimeError("boom Key123")
    except RuntimeError as error:
        record = logger.makeRecord(
            logger.name, logging.ERROR, __file__, 1, "Ignoring exception in command %r", ("x",),
            (type(error), error, error.__traceback__),
        )  # fmt: skip
    watch.emit(record)
    watch.emit(logging.makeLogRecord({"name": "bot.x", "levelno": logging.DEBUG, "msg": "ok"}))
    watch.emit(logging.makeLogRecord({"name": "bot.x", "levelno": logging.ERROR, "msg": "odd"}))
    assert watch.records == 3
    assert watch.unhandled == Counter({"discord.py Ignoring exception": 1})
    assert watch.other_errors == Counter({"bot.x: odd": 1})
    assert watch.leaks == Counter({"RA_API_KEY (discord.app_commands.tree)": 1})


def test_unhandled_kinds() -> None:
    def record(name: str, msg: str) -> logging.LogRecord:
        return logging.makeLogRecord({"name": name, "levelno": logging.ERROR, "msg": msg})

    assert unhandled_kind(record("bot.error_handler", "Unexpected error %s in /%s")) == "Unexpected error"
    assert unhandled_kind(record("asyncio", "Task exception was never retrieved")) is not None
    assert unhandled_kind(record("bot.views", "Page button failed")) == "Page button failed"
    assert unhandled_kind(record("bot.error_handler", "RetroAchievements refused the API key")) is None


def test_answers_are_classified() -> None:
    fake = FakeDiscord()
    payload = fake.slash_payload("progress", string_options({"user": "a", "games": "1"}))
    command = FakeInteraction(fake, payload, 0.0)
    private = 64
    assert classify_answer(command, {"embeds": [{"title": "x"}], "flags": 0}) == "ok:embed"
    assert classify_answer(command, {"content": "You are going a little fast: try", "flags": private}) == (
        "cooldown"
    )
    assert classify_answer(command, {"content": "Something went wrong on the bot's side (error id `1`)"}) == (
        "unexpected"
    )
    assert classify_answer(command, {"content": "???", "flags": private}) == "other_error"


# ------------------------------------------------------------------------------------ found by the soak


async def _until_expired(interaction: FakeInteraction) -> None:
    for _ in range(100):
        if interaction.expired:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the bot never tried to answer {interaction}")


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    gc.collect()  # "Task exception was never retrieved" is logged when the task is collected
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]


async def test_an_autocomplete_that_expires_is_not_logged_as_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Members type faster than autocomplete answers: Discord drops the older interactions (10062).

    Fails today: discord.py logs "Ignoring exception in autocomplete" with a traceback at ERROR.
    """
    async with running_sandbox(env={"PROGRESS_COOLDOWN_SECONDS": "0"}) as sandbox:
        caplog.set_level(logging.WARNING)
        payload = sandbox.discord.autocomplete_payload(
            "progress", string_options({"user": "Ma", "games": ""}), focused="user"
        )
        interaction = await sandbox.discord.send_interaction(payload, deadline=0)
        await _until_expired(interaction)
        await asyncio.sleep(0.2)
        assert _errors(caplog) == []


async def test_a_page_click_that_expires_is_not_an_unhandled_exception(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A click the bot answers too late (or a click by another member, too late).

    Fails today: PageView.on_error logs "Page button failed" at ERROR, then tries to answer the expired
    interaction again, which raises out of on_error ("Task exception was never retrieved").
    """
    async with running_sandbox(env={"PROGRESS_COOLDOWN_SECONDS": "0"}) as sandbox:
        caplog.set_level(logging.WARNING)
        games = ",".join(str(i) for i in range(1, 13))
        message = await sandbox.ask("progress", user="MaxMilyin", games=games)
        for clicker in (200000000000000001, 200000000000000009):  # the owner, then someone else
            current = sandbox.discord.messages[message["id"]]
            payload = sandbox.discord.component_payload(current, button_id(current, "Next"), user_id=clicker)
            interaction = await sandbox.discord.send_interaction(payload, deadline=0)
            await _until_expired(interaction)
        await asyncio.sleep(0.2)
        assert _errors(caplog) == []
        # ... and the buttons still work afterwards.
        current = sandbox.discord.messages[message["id"]]
        click = await sandbox.click(current, "Next")
        assert "2/2" in str((await final_answer(click))["components"])
