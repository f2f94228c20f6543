"""A full disk under the SQLite store of a running `outsource-check slack` process.

Two ways to fill it:
- a real small filesystem: a tmpfs of a few MiB mounted for this test (root only; skipped, saying
  why, where mounting is not allowed), the store on it, then a file that takes every free byte;
- always, and without privileges: the process's own file-size limit (RLIMIT_FSIZE, lowered from
  outside with prlimit to the size its SQLite log has now), so the next write into the log fails as
  it would on a full disk. (SQLite's `PRAGMA max_page_count` would be the in-database way, but it
  belongs to one connection and is not kept in the file: a test cannot set it on the bot's own.)

Users who click meanwhile are told to try again, the process stays up, nothing saved before is
lost, and once there is room again the same clicks go through, once each.
"""

from __future__ import annotations

import asyncio
import errno
import os
import resource
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.stores import SqliteStore
from tests.faults.conftest import (
    answer_until_taken,
    answered_or_told,
    answers_of,
    assert_no_traceback_reached_users,
    press,
    question_number,
    record_figures,
    the_session,
    try_agains,
    unique,
    until,
)
from tests.faults.test_store_outage import answer, started

USERS = 4
FULL_ROUNDS = 3  # clicks per user while the disk is full
TMPFS_SIZE = "4m"


def fill(folder: Path) -> Path:
    """A file that takes every byte the filesystem has left (bounded: each chunk size stops at its first ENOSPC)."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for chunk in (1 << 20, 1 << 16, 1 << 12, 1 << 9, 1):
            for _ in range(1 << 16):
                try:
                    if os.write(fd, b"\0" * chunk) == 0:
                        break
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC, exc
                    break
            else:
                raise AssertionError("the small filesystem never filled up")
    finally:
        os.close(fd)
    assert os.statvfs(folder).f_bavail == 0
    return filler


@pytest.fixture
def small_disk(tmp_path: Path, bots):
    """A tmpfs of TMPFS_SIZE mounted at tmp_path/disk for this test alone."""
    point = tmp_path / "disk"
    point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root; the RLIMIT_FSIZE test covers a full disk without it")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE},mode=0700", "tmpfs", str(point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"this sandbox does not allow mounting a tmpfs ({mounted.stderr.strip()}); the RLIMIT_FSIZE test still runs")
    try:
        yield point
    finally:
        bots.cleanup()  # nothing may hold a file on it when it goes
        if subprocess.run(["umount", str(point)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(point)], capture_output=True)


async def through_a_full_disk(fake, bots, spec: str, full: Callable[[], None], room: Callable[[], None], test: str, how: str) -> None:
    bot = await bots.start(spec)
    users = await asyncio.gather(*(started(bot, unique(f"disk{n}")) for n in range(USERS)))
    clicked: dict[str, list] = {u.id: [] for u in users}

    async def two(user) -> None:
        for _ in range(2):
            await answer(user, clicked[user.id])

    await asyncio.gather(*(two(u) for u in users))

    full()
    full_clicks = 0
    for _ in range(FULL_ROUNDS):
        told = {u.id: try_agains(fake, u.id) for u in users}
        clicks = await asyncio.gather(*(press(u) for u in users))
        outcomes = await asyncio.gather(*(answered_or_told(u, c, told[u.id]) for u, c in zip(users, clicks, strict=True)))
        assert outcomes == ["try again"] * USERS, outcomes
        full_clicks += len(clicks)
    newcomer = bot.user(unique("disknew"))
    status, _ = await newcomer.command(channel=newcomer.dm)
    assert status == 200
    await until(lambda: try_agains(fake, newcomer.id) == 1, "the newcomer's try again")
    assert bot.alive(), "\n".join(bot.lines[-20:])

    room()
    retried = 0

    async def carry_on(user) -> None:
        nonlocal retried
        retried += await answer_until_taken(user, clicked[user.id], "once there was room")
        await answer(user, clicked[user.id])

    await asyncio.gather(*(carry_on(u) for u in users))
    status, _ = await newcomer.command(channel=newcomer.dm)
    assert status == 200
    await until(lambda: any(ch == newcomer.dm and question_number(m) == 1 for (ch, _), m in fake.messages.items()),
                "the newcomer's first question")
    assert all(m.text != "Starting your check…" for (ch, _), m in fake.messages.items() if ch == newcomer.dm), \
        "no placeholder left behind by the refused start"

    store = SqliteStore(spec)
    try:
        lost = doubled = 0
        for user in users:
            stored = answers_of(await the_session(store, user.id))
            lost += max(0, len(clicked[user.id]) - len(stored))
            doubled += max(0, len(stored) - len(clicked[user.id]))
            assert stored == clicked[user.id], (user.id, stored, clicked[user.id])
        assert len(await store.sessions_of(f"slack:T1:{newcomer.id}")) == 1
    finally:
        await store.close()
    assert_no_traceback_reached_users(fake)
    warned = [r["message"] for r in bot.records() if "store unavailable" in str(r.get("message", ""))]
    bots.finish()
    record_figures(
        test, how=how, users=USERS, clicks_while_full=full_clicks, told_try_again=full_clicks + 1 + retried,
        retries_after_room=retried, answers_expected=sum(len(c) for c in clicked.values()), lost=lost, doubled=doubled,
        store_warnings=len(warned), sample_warning=warned[0][:120] if warned else "", process_exits=0,
    )


async def test_a_full_tmpfs_under_the_sqlite_store_loses_nothing(fake, bots, small_disk: Path) -> None:
    spec = str(small_disk / "sessions.sqlite3")
    filler: list[Path] = []
    await through_a_full_disk(
        fake, bots, spec, lambda: filler.append(fill(small_disk)), lambda: filler.pop().unlink(),
        "test_a_full_tmpfs_under_the_sqlite_store_loses_nothing", f"tmpfs of {TMPFS_SIZE}, filled to ENOSPC",
    )


async def test_a_file_size_limit_on_the_process_acts_as_a_full_disk(fake, bots, tmp_path: Path) -> None:
    spec = str(tmp_path / "data" / "sessions.sqlite3")
    bot: list = []

    def full() -> None:
        (process,) = [b.process for b in bots.started]
        bot.append(process.pid)
        log_size = os.path.getsize(f"{spec}-wal")
        _, hard = resource.prlimit(process.pid, resource.RLIMIT_FSIZE)
        resource.prlimit(process.pid, resource.RLIMIT_FSIZE, (log_size, hard))  # no write past the log's end

    def room() -> None:
        _, hard = resource.prlimit(bot[0], resource.RLIMIT_FSIZE)
        resource.prlimit(bot[0], resource.RLIMIT_FSIZE, (hard, hard))

    await through_a_full_disk(
        fake, bots, spec, full, room,
        "test_a_file_size_limit_on_the_process_acts_as_a_full_disk", "RLIMIT_FSIZE at the SQLite log's size",
    )
