"""The embedded default store: one SQLite file, safe for several processes on one machine.

Compare-and-set is a single `UPDATE ... WHERE version = ?`, so SQLite's own locking decides races
between processes.

Two connections, so that nothing slow runs on the adapter's event loop and nothing fast pays for
a thread. A call first runs at once, on the loop, on the *quick* connection: in WAL mode with
`synchronous=NORMAL` a read or a commit is a few system calls on pages the OS already holds, and
no fsync (handing each one to a thread cost more CPU than the SQL: 0.9 ms of a 2.5 ms Slack turn,
measured in docs/performance.md). The quick connection never waits: its busy timeout is 0 and it
never checkpoints. When another connection holds the write lock (another process, or this
store's own checkpoint), the call is rolled back and runs again on the *worker* connection, in a
worker thread of its own, which waits for the lock up to `BUSY_TIMEOUT_MS` without holding up
the loop. Whatever can take long (the checkpoint `forget` needs, start-up's whole-file check,
closing) runs only on the worker.

The write-ahead log stays bounded: every `CHECKPOINT_EVERY` quick calls, the worker copies the
log back into the file (with its fsync, off the loop), holding no writer up unless the log has
outgrown `JOURNAL_SIZE_LIMIT` (then the next write starts it over), and its own
`wal_autocheckpoint` does the same for what it writes. The next write then starts the log over
from its beginning, and `journal_size_limit` cuts the file back to `JOURNAL_SIZE_LIMIT` bytes
when a burst (or another process's long read) made it larger. `python -m bench --only
sqlite_log` measures the bound.

Deleted rows are overwritten with zeros (`secure_delete`), and `forget` checkpoints and empties
the log before it returns, so a forgotten user's answers are in none of the three files.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from bot.conversation.session import Session
from bot.followups.jobs import Job
from bot.stores.base import DEFAULT_TTL_SECONDS, StoreUnavailable, round_users
from bot.team.rounds import Round

T = TypeVar("T")
log = logging.getLogger("outsource_check.store")

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
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    owner TEXT NOT NULL,
    due REAL NOT NULL,
    payload TEXT NOT NULL,
    claimed_until REAL NOT NULL DEFAULT 0,
    claim TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (due);
CREATE INDEX IF NOT EXISTS jobs_owner ON jobs (owner);
"""

BUSY_TIMEOUT_MS = 10_000  # how long a call waits for another process's write lock before "try again"
WAL_AUTOCHECKPOINT_PAGES = 1000  # SQLite's own default, said out loud: about 4 MB of log with 4 KiB pages
CHECKPOINT_EVERY = 100  # quick calls between two checkpoints on the worker: a few MB of log at most, even for large sessions
JOURNAL_SIZE_LIMIT = 4 * 1024 * 1024  # bytes of log kept on disk once it starts over (one checkpoint's worth)
HINT_WRITABLE = "SQLite must be able to write the file and create its -wal and -shm files beside it"
HINT_RESTORE = "restore it from a backup, or move it aside to start with an empty store"


def db_page(db: sqlite3.Connection, after: str, size: int = 1000) -> list[tuple[str, str]]:
    return db.execute("SELECT id, data FROM sessions WHERE id > ? ORDER BY id LIMIT ?", (after, size)).fetchall()


# SQLite's primary result codes that say the file, the disk or another process is at fault
OUTAGE_CODES = frozenset({
    sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_NOTADB,
})


def is_outage(exc: sqlite3.Error) -> bool:
    """Locked too long, disk full or failing, file read-only or damaged: "try again", not a bug in our SQL."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in OUTAGE_CODES
    return isinstance(exc, sqlite3.OperationalError) or type(exc) is sqlite3.DatabaseError


def describe(path: Path, exc: BaseException) -> str:
    """One line a person running the bot can act on."""
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    lowered = reason.lower()
    if "not a database" in lowered:
        return f"the SQLite store {path} is not an SQLite database ({reason}): is OUTSOURCE_CHECK_STORE (or --store) the right file?"
    if "malformed" in lowered or "corrupt" in lowered or lowered.startswith("*** in database"):
        return f"the SQLite store {path} is damaged ({reason}): {HINT_RESTORE}"
    if "readonly" in lowered or "read-only" in lowered or "unable to open" in lowered or isinstance(exc, PermissionError):
        return f"cannot write the SQLite store {path} ({reason}): {HINT_WRITABLE} (in {path.parent})"
    return f"cannot use the SQLite store {path} ({reason})"


def empty_log(db: sqlite3.Connection, *, budget: float = 1.0, pause: float = 0.02) -> bool:
    """Copy the whole log into the file and truncate it to nothing; False if other processes kept it busy.

    A checkpoint gives up at once while another process runs one of its own (it waits, up to the
    busy timeout, only for readers and writers), so it is tried again for up to `budget` seconds.
    """
    deadline = time.monotonic() + budget
    while True:
        busy = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        if not busy:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(pause)


def _checkpoint(db: sqlite3.Connection, wal: Path) -> None:
    """Copy the log into the file without holding anyone up (PASSIVE); only once the log has grown
    past `JOURNAL_SIZE_LIMIT` (a passive checkpoint never catches up with a steady stream of
    writes, so the log is never started over) a RESTART, which makes writers wait, on the worker
    (a quick call that finds the lock held goes there), until the next write starts the log over."""
    try:
        db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        if wal.exists() and wal.stat().st_size > JOURNAL_SIZE_LIMIT:
            db.execute("PRAGMA wal_checkpoint(RESTART)")
    except (sqlite3.Error, OSError) as exc:  # a full disk, say: the calls themselves report it
        log.info("a checkpoint of the SQLite log did not run: %s", exc)


def connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # in WAL mode: an fsync per checkpoint, none per commit
        db.execute("PRAGMA secure_delete=ON")  # deleted rows are overwritten with zeros, not left in free space
        db.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        db.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
        db.executescript(SCHEMA)
    except BaseException:
        db.close()
        raise
    return db


class SqliteStore:
    def __init__(
        self, path: str | Path, *, ttl: float = DEFAULT_TTL_SECONDS, clock: Callable[[], float] = time.time
    ) -> None:
        """Opens (or creates) the file; a file that cannot be used raises StoreUnavailable with one clear line."""
        self.path = Path(path)
        self._ttl = ttl
        self._clock = clock
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = connect(self.path)
            self._quick = connect(self.path)
            self._quick.execute("PRAGMA busy_timeout=0")  # never waits on the loop: a held lock goes to the worker
            self._quick.execute("PRAGMA wal_autocheckpoint=0")  # checkpoints (and their fsync) run on the worker
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailable(describe(self.path, exc)) from exc
        # the worker: one thread, one connection, for whatever may wait (a lock, a checkpoint, close)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outsource-check-sqlite")
        self._closed = False
        self._quick_calls = 0  # since the last checkpoint was queued
        self._checkpointing: Future[None] = self._worker.submit(lambda: None)

    async def _run(self, work: Callable[[sqlite3.Connection], T], *, quick: bool = True) -> T:
        """`work` at once on the quick connection where it need not wait, else on the worker (see above)."""
        try:
            if quick and not self._closed and not self._checkpoint_behind():
                try:
                    result = work(self._quick)
                except sqlite3.OperationalError as exc:
                    if self._quick.in_transaction:
                        self._quick.execute("ROLLBACK")
                    if getattr(exc, "sqlite_errorcode", 0) & 0xFF not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                        raise
                else:
                    self._quick_calls += 1
                    if self._quick_calls >= CHECKPOINT_EVERY and self._checkpointing.done():
                        self._quick_calls = 0
                        self._checkpointing = self._worker.submit(_checkpoint, self._db, Path(f"{self.path}-wal"))
                    return result
            return await asyncio.get_running_loop().run_in_executor(self._worker, work, self._db)
        except sqlite3.Error as exc:
            if is_outage(exc):  # locked too long, disk full or gone, file damaged: the user is asked to try again
                raise StoreUnavailable(str(exc)) from exc
            raise

    def _checkpoint_behind(self) -> bool:
        """A checkpoint is queued and another checkpoint's worth of calls came meanwhile (a busy loop
        starves the worker thread): calls queue behind it on the worker, so the log has a hard bound."""
        return self._quick_calls >= CHECKPOINT_EVERY and not self._checkpointing.done()

    async def check(self) -> None:
        """At start-up: the whole file reads back intact and can be written, or one clear line says why not."""

        def work(db: sqlite3.Connection) -> str:
            problems = [row[0] for row in db.execute("PRAGMA quick_check(1)").fetchall()]
            if problems != ["ok"]:
                return describe(self.path, sqlite3.DatabaseError(f"database disk image is malformed: {problems[0]}"))
            db.execute("BEGIN IMMEDIATE")  # a write, rolled back: a read-only file or folder fails here
            try:
                db.execute("INSERT OR REPLACE INTO seen (key, until) VALUES ('outsource-check: start-up', 0)")
            finally:
                if db.in_transaction:
                    db.execute("ROLLBACK")
            return ""

        try:
            problem = await asyncio.get_running_loop().run_in_executor(self._worker, work, self._db)
        except sqlite3.Error as exc:
            raise StoreUnavailable(describe(self.path, exc)) from exc
        if problem:
            raise StoreUnavailable(problem)

    def _idle_cutoff(self) -> float:
        return self._clock() - self._ttl

    async def load(self, session_id: str) -> Session | None:
        cutoff = self._idle_cutoff()

        def work(db: sqlite3.Connection) -> Session | None:
            row = db.execute(
                "SELECT data FROM sessions WHERE id = ? AND (finished = 1 OR updated_at >= ?)", (session_id, cutoff)
            ).fetchone()
            return Session.from_json(row[0]) if row else None

        return await self._run(work)

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

        return await self._run(work)

    async def sessions_of(self, owner: str) -> list[Session]:
        cutoff = self._idle_cutoff()

        def work(db: sqlite3.Connection) -> list[Session]:
            rows = db.execute(
                "SELECT data FROM sessions WHERE owner = ? AND (finished = 1 OR updated_at >= ?)"
                " ORDER BY updated_at DESC",
                (owner, cutoff),
            ).fetchall()
            return [Session.from_json(r[0]) for r in rows]

        return await self._run(work)

    async def forget(self, owner: str) -> int:
        """Delete the user's sessions and round index rows, then empty the log of the pages that held them.

        `secure_delete` zeroes the rows in the pages that held them; the checkpoint writes those
        pages into the file and truncates the log, whose older frames still held the rows.
        """

        def work(db: sqlite3.Connection) -> int:
            count = db.execute("DELETE FROM sessions WHERE owner = ?", (owner,)).rowcount
            db.execute("DELETE FROM round_users WHERE user = ?", (owner,))
            db.execute("DELETE FROM jobs WHERE owner = ?", (owner,))
            if not empty_log(db):  # the rows are gone; their old pages stay in the log until it starts over
                log.warning("forget: other processes kept the SQLite log busy; it was not emptied this time")
            return count

        return await self._run(work, quick=False)  # emptying the log waits for readers: never on the loop

    async def checkpoint(self) -> tuple[int, int, int]:
        """Copy the whole log into the file and truncate it (SQLite: busy, log pages, pages copied)."""

        def work(db: sqlite3.Connection) -> tuple[int, int, int]:
            busy, log_pages, copied = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            return busy, log_pages, copied

        return await self._run(work, quick=False)

    async def purge_expired(self) -> int:
        cutoff = self._idle_cutoff()
        return await self._run(
            lambda db: db.execute("DELETE FROM sessions WHERE finished = 0 AND updated_at < ?", (cutoff,)).rowcount
        )

    async def load_round(self, round_id: str) -> Round | None:
        row = await self._run(lambda db: db.execute("SELECT data FROM rounds WHERE id = ?", (round_id,)).fetchone())
        return Round.from_json(row[0]) if row else None

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
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

        return await self._run(work)

    async def rounds_of(self, user: str) -> list[Round]:
        rows = await self._run(
            lambda db: db.execute(
                "SELECT data FROM rounds WHERE id IN (SELECT round_id FROM round_users WHERE user = ?)", (user,)
            ).fetchall()
        )
        return [Round.from_json(r[0]) for r in rows]

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

        return await self._run(work)

    async def setting(self, key: str) -> str | None:
        def work(db: sqlite3.Connection) -> str | None:
            row = db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
            return None if row is None else str(row[0])

        return await self._run(work)

    async def set_setting(self, key: str, value: str) -> None:
        def work(db: sqlite3.Connection) -> None:
            db.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

        await self._run(work)

    # --- follow-up jobs ---------------------------------------------------------------------------
    # A job is due when `due <= now` and nobody holds it (`claimed_until <= now`; 0 when never
    # claimed). Claiming is one UPDATE ... RETURNING: SQLite runs a statement under the write lock
    # of the whole file, so two processes claiming at once get disjoint jobs.

    async def schedule(self, job: Job) -> None:
        payload = json.dumps([list(p) for p in job.payload], separators=(",", ":"), ensure_ascii=False)
        values = (job.key, job.kind, job.owner, job.due, payload)
        await self._run(
            lambda db: db.execute(
                "INSERT INTO jobs (key, kind, owner, due, payload, claimed_until, claim) VALUES (?, ?, ?, ?, ?, 0, '')"
                " ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, owner = excluded.owner, due = excluded.due,"
                " payload = excluded.payload, claimed_until = 0, claim = ''",
                values,
            )
        )

    async def cancel(self, key: str) -> None:
        await self._run(lambda db: db.execute("DELETE FROM jobs WHERE key = ?", (key,)))

    async def claim_due(self, now: float, *, limit: int = 50, lease: float = 120.0) -> list[Job]:
        claim = uuid.uuid4().hex

        def work(db: sqlite3.Connection) -> list[tuple[str, str, str, float, str]]:
            # fetchall runs the statement to its end, which commits it (autocommit: one statement, one transaction)
            rows: list[tuple[str, str, str, float, str]] = db.execute(
                "UPDATE jobs SET claimed_until = ?, claim = ? WHERE key IN"
                " (SELECT key FROM jobs WHERE due <= ? AND claimed_until <= ? ORDER BY due, key LIMIT ?)"
                " RETURNING key, kind, owner, due, payload",
                (now + lease, claim, now, now, max(limit, 0)),
            ).fetchall()
            return rows

        rows = await self._run(work)
        jobs = [
            Job(key, kind, float(due), tuple((str(k), str(v)) for k, v in json.loads(payload)), owner, claim)
            for key, kind, owner, due, payload in rows
        ]
        return sorted(jobs, key=lambda j: (j.due, j.key))  # RETURNING's order is not the subquery's

    async def done(self, job: Job) -> bool:
        if not job.claim:
            return False
        deleted = await self._run(lambda db: db.execute("DELETE FROM jobs WHERE key = ? AND claim = ?", (job.key, job.claim)).rowcount)
        return deleted == 1

    async def every_session(self) -> AsyncIterator[Session]:
        last = ""
        while True:  # in pages, so a large store never sits in memory at once
            rows = await self._run(functools.partial(db_page, after=last))
            if not rows:
                return
            for session_id, data in rows:
                yield Session.from_json(data)
                last = session_id

    async def ping(self) -> bool:
        return bool(await self._run(lambda db: db.execute("SELECT 1").fetchone()))

    async def close(self) -> None:
        """The calls already queued finish first; closing the last connection to the file checkpoints it."""
        if self._closed:
            return
        self._closed = True
        try:
            self._quick.close()
            await asyncio.get_running_loop().run_in_executor(self._worker, self._db.close)
        finally:
            self._worker.shutdown(wait=False)
