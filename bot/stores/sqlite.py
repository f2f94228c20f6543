"""The embedded default store: one SQLite file, safe for several processes on one machine.

Compare-and-set is a single `UPDATE ... WHERE version = ?`, so SQLite's own locking decides races
between processes. A call runs inline while the file is free (well under a millisecond) and in a
worker thread while another process holds a lock. The one slow thing SQLite does on its own, the
WAL checkpoint (copying the log back into the file, with an fsync), would otherwise run inside
whichever save crossed 1,000 log pages, stalling the adapter's event loop for 10-35 ms: here it
runs in a worker thread, on a connection of its own, after every `CHECKPOINT_EVERY` changes.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from bot.rounds import Round
from bot.session import Session
from bot.stores.base import DEFAULT_TTL_SECONDS, StoreUnavailable, round_users

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    version INTEGER NOT NULL,
    finished INTEGER NOT NULL,
    updated_at REAL NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_owner ON sessions (owner, updated_at);
CREATE INDEX IF NOT EXISTS sessions_idle ON sessions (finished, updated_at);
CREATE TABLE IF NOT EXISTS rounds (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS round_users (
    round_id TEXT NOT NULL,
    user TEXT NOT NULL,
    PRIMARY KEY (round_id, user)
);
CREATE INDEX IF NOT EXISTS round_users_user ON round_users (user);
CREATE TABLE IF NOT EXISTS seen (
    key TEXT PRIMARY KEY,
    until REAL NOT NULL
);
"""


def db_page(db: sqlite3.Connection, after: str, size: int = 1000) -> list[tuple[str, str]]:
    return db.execute("SELECT id, data FROM sessions WHERE id > ? ORDER BY id LIMIT ?", (after, size)).fetchall()


BUSY_TIMEOUT_MS = 10_000
CHECKPOINT_EVERY = 500  # rows changed between background checkpoints (SQLite's own default: 1,000 pages)


class SqliteStore:
    def __init__(
        self, path: str | Path, *, ttl: float = DEFAULT_TTL_SECONDS, clock: Callable[[], float] = time.time
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        # the inline path's own connection never waits for a lock: busy, the call moves to a thread
        self._fast = sqlite3.connect(self.path, check_same_thread=False, timeout=0, isolation_level=None)
        self._fast.execute("PRAGMA synchronous=NORMAL")
        # checkpoints run in the background on a third connection, never inside a call
        self._checkpointer = sqlite3.connect(self.path, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        for db in (self._db, self._fast):
            db.execute("PRAGMA wal_autocheckpoint=0")
        self._checkpointed_at = 0  # changes (on both connections) when the last checkpoint was started
        self._checkpointing: asyncio.Future | None = None
        self._pause_inline = False  # set while a checkpoint's second pass runs
        self.checkpoints = 0  # finished background checkpoints (the tests read it)

    async def _run(self, work: Callable[[sqlite3.Connection], object]) -> object:
        """Run inline when the database is free (the common case, well under a millisecond);
        only when a lock is held (another process writing, or our checkpoint finishing), wait for
        it in a worker thread.

        Handing every call to a thread cost a quarter of a Slack turn under load. The inline
        connection is used only here, on the event loop's thread, and never across an await, so
        it needs no lock of ours: a call waiting in a thread does not divert the calls after it
        (it once did, and under load most calls ended up in threads, one keeping the next there).
        """
        if not self._pause_inline:
            try:
                return work(self._fast)
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise StoreUnavailable(str(exc)) from exc
            finally:
                self._maybe_checkpoint()

        def locked() -> object:
            with self._lock:
                try:
                    return work(self._db)
                except sqlite3.OperationalError as exc:  # locked too long, disk gone, ...
                    raise StoreUnavailable(str(exc)) from exc

        try:
            return await asyncio.to_thread(locked)
        finally:
            self._maybe_checkpoint()

    def _maybe_checkpoint(self) -> None:
        """Start a background checkpoint once enough has changed since the last one (one at a time)."""
        changes = self._fast.total_changes + self._db.total_changes
        if changes - self._checkpointed_at < CHECKPOINT_EVERY or self._checkpointing is not None:
            return
        self._checkpointed_at = changes
        self._checkpointing = asyncio.get_running_loop().run_in_executor(None, self._checkpoint)
        self._checkpointing.add_done_callback(self._checkpoint_done)

    def _checkpoint(self) -> None:
        """Two passes: the bulk alongside the store's own calls, then what they wrote meanwhile.

        A checkpoint copies only the log as it was when it began; with writes going on, the log
        would never be all copied, never start over, and grow without end. The second, short
        pass holds the store's lock and pauses the inline path, so this process writes nothing
        until it is done (calls in the meantime wait in a worker thread, never on the event loop);
        the next write then starts the log from its beginning.
        """
        self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        self._pause_inline = True  # a call already under way finishes; its pages wait for the next checkpoint
        try:
            with self._lock:
                self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            self._pause_inline = False

    def _checkpoint_done(self, done: asyncio.Future) -> None:
        self._checkpointing = None
        if done.cancelled():
            return
        if done.exception() is None:
            self.checkpoints += 1
        # a failed checkpoint (disk trouble) loses nothing: the log keeps every change, and the next one retries

    def _idle_cutoff(self) -> float:
        return self._clock() - self._ttl

    async def load(self, session_id: str) -> Session | None:
        cutoff = self._idle_cutoff()

        def work(db: sqlite3.Connection) -> Session | None:
            row = db.execute(
                "SELECT data FROM sessions WHERE id = ? AND (finished = 1 OR updated_at >= ?)", (session_id, cutoff)
            ).fetchone()
            return Session.from_json(row[0]) if row else None

        return await self._run(work)  # type: ignore[return-value]

    async def save(self, session: Session, *, expected_version: int) -> bool:
        if session.version <= expected_version:
            return False
        values = (session.owner, session.version, int(session.finished), session.updated_at, session.to_json())

        def work(db: sqlite3.Connection) -> bool:
            if expected_version == 0:
                cursor = db.execute(
                    "INSERT OR IGNORE INTO sessions (owner, version, finished, updated_at, data, id)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (*values, session.id),
                )
            else:
                cursor = db.execute(
                    "UPDATE sessions SET owner = ?, version = ?, finished = ?, updated_at = ?, data = ?"
                    " WHERE id = ? AND version = ?",
                    (*values, session.id, expected_version),
                )
            return cursor.rowcount == 1

        return await self._run(work)  # type: ignore[return-value]

    async def sessions_of(self, owner: str) -> list[Session]:
        cutoff = self._idle_cutoff()

        def work(db: sqlite3.Connection) -> list[Session]:
            rows = db.execute(
                "SELECT data FROM sessions WHERE owner = ? AND (finished = 1 OR updated_at >= ?)"
                " ORDER BY updated_at DESC",
                (owner, cutoff),
            ).fetchall()
            return [Session.from_json(r[0]) for r in rows]

        return await self._run(work)  # type: ignore[return-value]

    async def forget(self, owner: str) -> int:
        return await self._run(lambda db: db.execute("DELETE FROM sessions WHERE owner = ?", (owner,)).rowcount)  # type: ignore[return-value]

    async def purge_expired(self) -> int:
        cutoff = self._idle_cutoff()
        return await self._run(  # type: ignore[return-value]
            lambda db: db.execute("DELETE FROM sessions WHERE finished = 0 AND updated_at < ?", (cutoff,)).rowcount
        )

    async def load_round(self, round_id: str) -> Round | None:
        row = await self._run(lambda db: db.execute("SELECT data FROM rounds WHERE id = ?", (round_id,)).fetchone())
        return Round.from_json(row[0]) if row else None  # type: ignore[index]

    async def save_round(self, round_: Round, *, expected_version: int) -> bool:
        if round_.version <= expected_version:
            return False

        def work(db: sqlite3.Connection) -> bool:
            db.execute("BEGIN IMMEDIATE")  # outside the try: if it fails, there is nothing to roll back
            try:
                if expected_version == 0:
                    cursor = db.execute(
                        "INSERT OR IGNORE INTO rounds (id, version, data) VALUES (?, ?, ?)",
                        (round_.id, round_.version, round_.to_json()),
                    )
                else:
                    cursor = db.execute(
                        "UPDATE rounds SET version = ?, data = ? WHERE id = ? AND version = ?",
                        (round_.version, round_.to_json(), round_.id, expected_version),
                    )
                if cursor.rowcount == 1:
                    db.execute("DELETE FROM round_users WHERE round_id = ?", (round_.id,))
                    db.executemany(
                        "INSERT INTO round_users (round_id, user) VALUES (?, ?)", [(round_.id, u) for u in round_users(round_)]
                    )
                db.execute("COMMIT")
                return cursor.rowcount == 1
            except BaseException:
                db.execute("ROLLBACK")
                raise

        return await self._run(work)  # type: ignore[return-value]

    async def rounds_of(self, user: str) -> list[Round]:
        rows = await self._run(
            lambda db: db.execute(
                "SELECT data FROM rounds WHERE id IN (SELECT round_id FROM round_users WHERE user = ?)", (user,)
            ).fetchall()
        )
        return [Round.from_json(r[0]) for r in rows]  # type: ignore[union-attr]

    async def delete_round(self, round_id: str) -> None:
        def work(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM rounds WHERE id = ?", (round_id,))
            db.execute("DELETE FROM round_users WHERE round_id = ?", (round_id,))

        await self._run(work)

    async def first_time(self, key: str, ttl: float = 600) -> bool:
        now = self._clock()

        def work(db: sqlite3.Connection) -> bool:
            db.execute("DELETE FROM seen WHERE until <= ?", (now,))
            return db.execute("INSERT OR IGNORE INTO seen (key, until) VALUES (?, ?)", (key, now + ttl)).rowcount == 1

        return await self._run(work)  # type: ignore[return-value]

    async def every_session(self) -> AsyncIterator[Session]:
        last = ""
        while True:  # in pages, so a large store never sits in memory at once
            rows = await self._run(lambda db, after=last: db_page(db, after))
            if not rows:
                return
            for session_id, data in rows:  # type: ignore[union-attr]
                yield Session.from_json(data)
                last = session_id

    async def ping(self) -> bool:
        return bool(await self._run(lambda db: db.execute("SELECT 1").fetchone()))

    async def close(self) -> None:
        if self._checkpointing is not None:
            await asyncio.wait([self._checkpointing])
        with self._lock:
            self._db.close()
            self._fast.close()
        self._checkpointer.close()  # the last connection to close checkpoints what is left
