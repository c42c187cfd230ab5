"""`python -m bot --backup PATH`: a consistent copy of the SQLite database, safe while the bot runs.

SQLite's online backup API copies the database as one snapshot (a read transaction: the running bot
keeps writing to its write-ahead log meanwhile). The copy is written beside PATH, checked, switched to
a single self-contained file (no -wal beside it) and only then renamed to PATH, so PATH is always
either the old backup or a complete new one. Restoring is copying PATH back while the bot is stopped.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path


class BackupError(Exception):
    """The backup could not be made; the message says why and what to do."""


@dataclass(frozen=True)
class BackupReport:
    source: Path
    target: Path
    links: int
    size_bytes: int

    def summary(self) -> str:
        return (
            f"Backed up {self.source} to {self.target}: {self.links} linked account(s), "
            f"{self.size_bytes:,} bytes, integrity checked."
        )


def backup_sqlite(source: Path, target: Path) -> BackupReport:
    if not source.is_file():
        raise BackupError(f"There is no database at {source} (DATABASE_PATH / DATA_DIR): nothing to back up.")
    if target.exists() and target.resolve() == source.resolve():
        raise BackupError(f"{target} is the live database itself: give the backup another path.")
    if target.is_dir():
        raise BackupError(
            f"{target} is a folder: give the backup a file name, such as {target / 'bot.sqlite3'}."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        live_uri = f"{source.resolve().as_uri()}?mode=ro"
        with (
            closing(sqlite3.connect(live_uri, uri=True, timeout=30)) as live,
            closing(sqlite3.connect(partial)) as copy,
        ):
            live.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")
            problems = [str(row[0]) for row in copy.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise BackupError(
                    f"The copy of {source} fails SQLite's integrity check ({'; '.join(problems[:3])}): "
                    "the database itself may be damaged; keep your older backups."
                )
            links = count_links(copy)
        with open(partial, "rb") as written:
            os.fsync(written.fileno())
        os.replace(partial, target)
    except sqlite3.Error as error:
        raise BackupError(f"Cannot back up {source} to {target} ({error}).") from None
    except OSError as error:
        raise BackupError(f"Cannot write {target} ({error.strerror or error}).") from None
    finally:
        partial.unlink(missing_ok=True)
    return BackupReport(source, target, links, target.stat().st_size)


def count_links(conn: sqlite3.Connection) -> int:
    """How many members are linked, in a bot database of any schema version (0 before the first)."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'links'").fetchone() is None:
        return 0
    return int(conn.execute("SELECT count(*) FROM links").fetchone()[0])
