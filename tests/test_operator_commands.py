"""What an operator runs beside the bot, run as they run it (`python -m bot ...` subprocesses):
`--sync-commands` registers now and keeps every link; `--backup` copies a live database that restores
with every link in it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.sandbox.fake_discord import FakeDiscord
from bot.sandbox.fake_ra import FakeRA, demo_dataset
from bot.sandbox.harness import SANDBOX_API_KEY, running_sandbox, sandbox_env
from bot.startup import EXIT_CONFIG
from bot.storage import LinkedAccount, SQLiteStorage
from tests.test_cli import run_bot_command

GUILD_A = 300000000000000001
GUILD_B = 300000000000000002
MEMBERS = {200000000000000001: "MaxMilyin", 200000000000000002: "Scott", 200000000000000003: "Jamiras"}
ULID = "00003EMFWR7XB8SDPEHB3K56ZQ"


async def stored_links(database: Path) -> dict[int, LinkedAccount | None]:
    storage = SQLiteStorage(database)
    await storage.open()
    try:
        return {member: await storage.get_link(member) for member in MEMBERS}
    finally:
        await storage.close()


async def test_sync_commands_registers_now_keeps_links_and_removes_a_stale_server_copy(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    async with FakeRA(demo_dataset(), api_key=SANDBOX_API_KEY) as fake_ra, FakeDiscord() as fake:
        env = sandbox_env(fake, fake_ra, data)

        code, out, err = await run_bot_command(
            ["--sync-commands"], {**env, "DISCORD_GUILD_ID": str(GUILD_A)}, tmp_path
        )
        assert code == 0, err
        names = sorted(command["name"] for command in fake.commands[GUILD_A])
        assert out == f"Registered {len(names)} slash commands in server {GUILD_A} (shown at once).\n"

        storage = SQLiteStorage(data / "bot.sqlite3")
        await storage.open()
        linked = await storage.link(200000000000000001, ULID, "MaxMilyin", GUILD_A)
        await storage.close()

        code, out, err = await run_bot_command(
            ["--sync-commands"], {**env, "DISCORD_GUILD_ID": str(GUILD_B)}, tmp_path
        )
        assert code == 0, err
        assert out == (
            f"Registered {len(names)} slash commands in server {GUILD_B} (shown at once). "
            f"Removed the copy left in server {GUILD_A}.\n"
        )
        assert fake.commands[GUILD_A] == []
        assert sorted(command["name"] for command in fake.commands[GUILD_B]) == names

        syncs = fake.command_syncs
        code, out, err = await run_bot_command(["--sync-commands"], env, tmp_path)  # DISCORD_GUILD_ID unset
        assert code == 0, err
        assert out == (
            f"Registered {len(names)} slash commands globally (Discord may take up to an hour to show them). "
            f"Removed the copy left in server {GUILD_B}.\n"
        )
        assert fake.command_syncs == syncs + 2  # global registered, server B emptied
        assert fake.commands[GUILD_B] == [] and sorted(c["name"] for c in fake.commands[None]) == names

        code, out, _ = await run_bot_command(["--sync-commands"], env, tmp_path)
        assert code == 0
        assert fake.command_syncs == syncs + 3, "registered again although nothing changed: it was asked"

        # Back to server A later: registered there again, though its old digest was stored.
        async with running_sandbox(data_dir=data, env={"DISCORD_GUILD_ID": str(GUILD_A)}) as sandbox:
            assert sorted(c["name"] for c in sandbox.discord.commands[GUILD_A]) == names

    assert (await stored_links(data / "bot.sqlite3"))[200000000000000001] == linked


async def test_backup_of_a_running_bot_restores_every_link(tmp_path: Path) -> None:
    data, backup = tmp_path / "data", tmp_path / "backups" / "bot-backup.sqlite3"
    async with running_sandbox(data_dir=data) as sandbox:
        for member, name in MEMBERS.items():
            answer = await sandbox.ask("link", username=name, user_id=member)
            assert answer["embeds"][0]["title"] == f"Linked to {name}"
        before = await stored_links(data / "bot.sqlite3")
        assert all(before.values())
        env = {"DISCORD_TOKEN": "t", "RA_API_KEY": SANDBOX_API_KEY, "DATA_DIR": str(data)}
        code, out, err = await run_bot_command(["--backup", str(backup)], env, tmp_path)
        assert code == 0, err
        assert out.startswith(f"Backed up {data / 'bot.sqlite3'} to {backup}: 3 linked account(s), ")
        answer = await sandbox.ask("link", username="MaxMilyin", user_id=200000000000000009)
        assert answer["embeds"][0]["title"] == "Linked to MaxMilyin", "the bot kept serving"
    assert not backup.with_name(backup.name + "-wal").exists(), "the backup is one self-contained file"

    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copyfile(backup, restored / "bot.sqlite3")
    async with running_sandbox(data_dir=restored) as sandbox:
        suggestions = await sandbox.autocomplete("compare", "users", games="1", users="")
        assert {choice["name"] for choice in suggestions} >= set(MEMBERS.values())
    assert await stored_links(restored / "bot.sqlite3") == before


async def test_backup_under_postgresql_points_to_pg_dump(tmp_path: Path) -> None:
    env = {
        "DISCORD_TOKEN": "t",
        "RA_API_KEY": SANDBOX_API_KEY,
        "DATABASE_URL": "postgresql://bot:BackupSecret99@127.0.0.1:1/bot",
    }
    code, out, err = await run_bot_command(["--backup", str(tmp_path / "x")], env, tmp_path)
    assert code == EXIT_CONFIG
    assert out == "" and len(err.splitlines()) == 1
    assert "pg_dump --format=custom" in err and "pg_restore" in err
    assert "BackupSecret99" not in err
    assert not (tmp_path / "x").exists()


async def test_backup_refuses_to_overwrite_the_live_database_and_says_when_there_is_none(
    tmp_path: Path,
) -> None:
    env = {"DISCORD_TOKEN": "t", "RA_API_KEY": SANDBOX_API_KEY, "DATA_DIR": str(tmp_path / "data")}
    code, _, err = await run_bot_command(["--backup", str(tmp_path / "b.sqlite3")], env, tmp_path)
    assert code == 1
    live = tmp_path / "data" / "bot.sqlite3"
    assert err == (
        f"Backup failed: There is no database at {live} (DATABASE_PATH / DATA_DIR): nothing to back up.\n"
    )

    storage = SQLiteStorage(tmp_path / "data" / "bot.sqlite3")
    await storage.open()
    await storage.link(200000000000000001, ULID, "MaxMilyin", None)
    await storage.close()
    original = live.read_bytes()
    code, _, err = await run_bot_command(["--backup", str(live)], env, tmp_path)
    assert code == 1
    assert err == f"Backup failed: {live} is the live database itself: give the backup another path.\n"
    assert live.read_bytes() == original
