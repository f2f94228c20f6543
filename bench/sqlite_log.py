"""Benchmark 7: how large SQLite's write-ahead log grows while the store works, and what the event loop feels.

The SQLite store runs each call at once on the event loop, on a connection that never waits and
never checkpoints, and hands to its worker thread only what would wait: a call that finds the write
lock held, and the checkpoints (every 100 quick calls; see `bot/stores/sqlite.py`).
This measures, rather than asserts (the figures depend on the disk and the SQLite build):

- the log's largest size while real sessions are saved by concurrent users, against one automatic
  checkpoint's worth of log (the bound SQLite aims for), in one process and with a second process
  writing the same file;
- the log's size at the end, against `journal_size_limit`;
- the longest the event loop went without running (a 1 ms ticker's worst lateness), against the
  same saves made on the event loop itself with SQLite's defaults, where each automatic
  checkpoint's fsync stalls the loop.

The second process is `python -m bench.sqlite_log writer FILE SAVES RATE` (it waits for a line on stdin).
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT, Row, Scale, Section, quiet_heap
from bot.conversation.session import Session
from bot.dialogs.model import AnswerRecord
from bot.stores import SqliteStore
from bot.stores.sqlite import JOURNAL_SIZE_LIMIT, SCHEMA, WAL_AUTOCHECKPOINT_PAGES

TITLE = "7. SQLite's log"
SAVES = {"full": 40_000, "quick": 8_000, "smoke": 600}  # saves per measurement, per process
USERS = 32  # concurrent users, each saving its own check again and again
TICK = 0.001  # the event-loop ticker's period (seconds)
PACED = 1000  # saves/s per process in the paced two-process run: more than one Slack process serves flat out


def wal_size(path: Path) -> int:
    try:
        return os.stat(f"{path}-wal").st_size
    except FileNotFoundError:
        return 0


QUESTIONS = 16  # answers in one check, about the shipped check's length (its finished session: ~700 bytes of JSON)


def plan(saves: int, tag: str) -> list[list[tuple[Session, int]]]:
    """Each user's saves in order, made before anything is measured: (session, expected version).

    A check starts (version 1, expected 0), takes one compare-and-set save per answer, finishes
    with an outcome, and the user starts the next one. Sessions are built directly, without a
    dialog, so the figures do not move with the dialogs' content."""
    per_user: list[list[tuple[Session, int]]] = [[] for _ in range(USERS)]
    now = time.time()
    for number in range(saves):
        user = number % USERS
        mine = per_user[user]
        previous = mine[-1][0] if mine else None
        if previous is None or previous.finished:
            checks = sum(1 for s, expected in mine if expected == 0)
            session = Session(id=f"{tag}{user}-{checks}", owner=f"slack:T1:U{tag.upper()}{user:04d}", dialog_id="outsource_check",
                              dialog_hash="0123456789abcdef", node="q0", version=1, started_at=now, updated_at=now)
            mine.append((session, 0))
            continue
        answered = len(previous.answers)
        value: object = "Corner Cafe" if answered == 3 else (("twitter", "blog") if answered == 5 else f"choice_{answered % 4}")
        answers = (*previous.answers, AnswerRecord(f"question_{answered}", value))  # type: ignore[arg-type]
        done = len(answers) == QUESTIONS
        following = previous.bump(answers=answers, node=None if done else f"question_{len(answers)}", updated_at=now,
                                  scores=(("know_how", answered % 5), ("budget", answered % 3), ("time", 2)),
                                  outcome="agency" if done else None)
        mine.append((following, previous.version))
    return per_user


class Ticker:
    """Wakes every millisecond and keeps the worst lateness: how long the event loop ran something else."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + TICK
            await asyncio.sleep(TICK)
            self.worst = max(self.worst, loop.time() - due)

    def __enter__(self) -> Ticker:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()


async def drive(save, saves: int, tag: str, path: Path, rate: float | None = None, ready=None) -> dict[str, float]:
    """`saves` planned saves by USERS concurrent users, flat out or at `rate` saves/s, the log's size read after each."""
    planned = plan(saves, tag)
    peak = 0
    loop = asyncio.get_running_loop()

    async def user(number: int, mine: list[tuple[Session, int]], start: float) -> None:
        nonlocal peak
        for turn, (session, expected) in enumerate(mine):
            if rate is not None:
                await asyncio.sleep(max(0.0, start + (turn * USERS + number) / rate - loop.time()))
            assert await save(session, expected), "a user's own check is never raced"
            peak = max(peak, wal_size(path))
            await asyncio.sleep(0)  # a turn does more than save (it answers over HTTP): let the other users run, as they would

    if ready is not None:
        ready()
    with quiet_heap(), Ticker() as ticker:
        started, start = time.perf_counter(), loop.time()
        await asyncio.gather(*(user(n, mine, start) for n, mine in enumerate(planned)))
        seconds = time.perf_counter() - started
        await asyncio.sleep(2 * TICK)  # the ticker's last lateness
    return {"peak": peak, "saves_per_s": saves / seconds, "stall": ticker.worst, "end": wal_size(path)}


async def ours(path: Path, saves: int, tag: str, rate: float | None = None, ready=None) -> dict[str, float]:
    store = SqliteStore(path)
    try:
        figures = await drive(lambda s, e: store.save(s, expected_version=e), saves, tag, path, rate, ready)
        figures["page"] = await store._run(lambda db: db.execute("PRAGMA page_size").fetchone()[0])
    finally:
        await store.close()
    return figures


async def inline_defaults(path: Path, saves: int) -> dict[str, float]:
    """The same compare-and-set saves, on the event loop, on a connection with SQLite's defaults (the baseline)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(SCHEMA)

    async def save(session: Session, expected: int) -> bool:
        values = (session.owner, session.version, int(session.finished), session.updated_at, session.to_json(), session.id)
        if expected == 0:
            sql = "INSERT OR IGNORE INTO sessions (owner, version, finished, updated_at, data, id) VALUES (?, ?, ?, ?, ?, ?)"
            cursor = db.execute(sql, values)
        else:
            sql = "UPDATE sessions SET owner = ?, version = ?, finished = ?, updated_at = ?, data = ? WHERE id = ? AND version = ?"
            cursor = db.execute(sql, (*values, expected))
        return cursor.rowcount == 1

    try:
        return await drive(save, saves, "inline", path)
    finally:
        db.close()


async def beside_a_second_process(path: Path, saves: int, rate: float | None = None) -> dict[str, float]:
    """Our saves while another process saves as many through its own store on the same file, both starting together."""
    await SqliteStore(path).close()  # create the file first, so both processes open an existing database
    args = [sys.executable, "-m", "bench.sqlite_log", "writer", str(path), str(saves), str(rate or 0)]
    writer = subprocess.Popen(args, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdin is not None and writer.stdout is not None
        ready = await asyncio.to_thread(writer.stdout.readline)
        if ready.strip() != "ready":
            raise RuntimeError(f"the second process did not start: {ready!r}")

        def go() -> None:  # both processes have planned their saves and opened their stores: start together
            writer.stdin.write("go\n")
            writer.stdin.flush()

        figures = await ours(path, saves, "one", rate, go)
        theirs = json.loads(await asyncio.to_thread(writer.stdout.read))
        code = await asyncio.to_thread(writer.wait, 120)
        if code != 0:
            raise RuntimeError(f"the second process failed ({code})")
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    figures["peak"] = max(figures["peak"], theirs["peak"])
    return figures


async def _second_process(path: Path, saves: int, rate: float | None) -> None:
    def ready() -> None:
        print("ready", flush=True)
        sys.stdin.readline()  # "go"

    figures = await ours(path, saves, "two", rate, ready)
    print(json.dumps(figures), flush=True)


def one_checkpoint(page: int) -> int:
    """Bytes of log when SQLite's automatic checkpoint starts: its header and that many frames."""
    return 32 + WAL_AUTOCHECKPOINT_PAGES * (24 + page)


async def run(scale: Scale, workdir: Path) -> Section:
    saves = SAVES.get(scale.name, SAVES["quick"])
    section = Section("sqlite_log", TITLE)
    alone = await ours(workdir / "log-alone.sqlite3", saves, "alone")
    inline = await inline_defaults(workdir / "log-inline.sqlite3", saves)
    shared = await beside_a_second_process(workdir / "log-shared.sqlite3", saves)
    paced = await beside_a_second_process(workdir / "log-paced.sqlite3", saves, PACED)
    bound = one_checkpoint(int(alone["page"]))
    mb = 1024 * 1024
    section.add(
        Row("log peak, one process", alone["peak"] / mb, bound / mb, "MiB", "one automatic checkpoint's worth",
            "<= 2x", alone["peak"] <= 2 * bound, note=f"{saves:,} saves by {USERS} users"),
        Row("log at the end, one process", alone["end"] / mb, JOURNAL_SIZE_LIMIT / mb, "MiB", "journal_size_limit",
            "<= 1x", alone["end"] <= JOURNAL_SIZE_LIMIT, note="before the store closes (closing removes it)"),
        Row("log peak, two processes on one file", shared["peak"] / mb, bound / mb, "MiB", "one automatic checkpoint's worth",
            note=f"{saves:,} saves in each process at once"),
        Row("log at the end, two processes", shared["end"] / mb, JOURNAL_SIZE_LIMIT / mb, "MiB", "journal_size_limit",
            note="as the first process finished, the second still writing"),
        Row(f"log peak, two processes at {PACED:,} saves/s each", paced["peak"] / mb, bound / mb, "MiB",
            "one automatic checkpoint's worth", note=f"{saves:,} saves in each process"),
        Row("longest event-loop stall during the saves", alone["stall"] * 1000, inline["stall"] * 1000, "ms",
            "same saves on the loop, SQLite's defaults", "below baseline", alone["stall"] < inline["stall"],
            note="worst lateness of a 1 ms ticker"),
        Row("saves/s", alone["saves_per_s"], inline["saves_per_s"], "saves/s", "same saves on the loop, SQLite's defaults",
            note="flat out, calls wait on the worker while a checkpoint queued 100 calls before still runs (the log's bound)"),
    )
    section.method = (
        f"{USERS} concurrent users each save their own checks through the real `SqliteStore` (a new check, then one "
        f"compare-and-set save per answer, {QUESTIONS} answers, then the next check; the saves are planned before the "
        "measurement, so the event loop does nothing else); the -wal file's "
        "size is read after every save and the largest kept. Two processes: a second process "
        "(`python -m bench.sqlite_log writer`) makes as many saves on the same file at the same time through its own "
        f"store, flat out, then both paced at {PACED:,} saves/s; the peak is the larger of the two processes' readings. "
        "The bound: one automatic checkpoint's worth of log "
        f"(`wal_autocheckpoint` = {WAL_AUTOCHECKPOINT_PAGES} pages of {int(alone['page'])} bytes, plus frame headers); "
        f"`journal_size_limit` = {JOURNAL_SIZE_LIMIT // mb} MiB. Event loop: a task sleeping 1 ms at a time records its "
        "worst lateness while the saves run; the baseline makes the same saves directly on the event loop, on a "
        "connection with SQLite's defaults (automatic checkpoint inside whichever commit fills the log)."
    )
    section.notes += [
        f"SQLite {sqlite3.sqlite_version}.",
        "SQLite starts the log over only when a checkpoint has copied all of it and no process is reading it. One "
        "process never writes during its own checkpoint (one connection, one thread), so its log stays at one "
        "checkpoint's worth. Another process keeps writing during this one's checkpoint (an fsync, 10-30 ms), so under "
        "sustained writes from both the log grows past the bound until a checkpoint finishes in a quiet moment; it is "
        "then cut back to journal_size_limit. Many busy processes belong on Redis (docs/deploy.md).",
    ]
    return section


if __name__ == "__main__":  # the second process of `beside_a_second_process`
    if len(sys.argv) != 5 or sys.argv[1] != "writer":
        sys.exit("usage: python -m bench.sqlite_log writer FILE SAVES RATE (saves/s, 0: flat out)")
    asyncio.run(_second_process(Path(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]) or None))
