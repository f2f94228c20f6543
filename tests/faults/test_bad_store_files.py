"""Read-only and damaged SQLite files, at start-up and under a running process.

At start-up the real commands (`outsource-check slack`, `outsource-check chat`) refuse the store
with one line on stderr and exit status 2, no traceback. While the Slack process runs, a page of
the file is overwritten (as a failing disk would) or the file and its log are made immutable: the
users whose clicks need what is broken are told to try again, everyone else carries on, the
process stays up, and once the files are writable again nothing saved before is missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import sys
from pathlib import Path

import pytest

from bot.stores import SqliteStore
from tests.conftest import ROOT
from tests.faults.conftest import (
    HANG,
    answer_until_taken,
    answered_or_told,
    answers_of,
    assert_no_traceback_reached_users,
    attempt,
    free_port,
    press,
    process_env,
    question_number,
    record_figures,
    the_session,
    try_agains,
    unique,
    until,
)
from tests.faults.test_store_outage import answer, started
from tests.test_store_failures import damage, fill, read_only

# --- at start-up ------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def broken_store(kind: str, folder: Path):
    """A store file broken in one way, and the words the refusal must carry."""
    path = folder / "sessions.sqlite3"
    if kind == "read-only file":
        await fill(path)
        with read_only(path):
            yield path, f"cannot write the SQLite store {path}"
    elif kind == "read-only folder":
        await fill(path)
        with read_only(folder):
            yield path, f"cannot write the SQLite store {path}"
    elif kind == "not a database":
        path.write_bytes(b"not the bytes of any database\n" * 300)
        yield path, f"the SQLite store {path} is not an SQLite database"
    else:
        await fill(path)
        damage(path)
        yield path, f"the SQLite store {path} is damaged"


async def run_command(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "adapters.cli", *args, env=env, cwd=ROOT,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), HANG)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return process.returncode or 0, out.decode(), err.decode()


@pytest.mark.parametrize("kind", ["read-only file", "read-only folder", "not a database", "damaged page"])
@pytest.mark.parametrize("command", ["slack", "chat"])
async def test_a_broken_store_file_stops_start_up_in_one_line(command: str, kind: str, fake, tmp_path: Path) -> None:
    folder = tmp_path / "store"
    folder.mkdir()
    async with broken_store(kind, folder) as (path, words):
        env = process_env(OUTSOURCE_CHECK_DATA=str(tmp_path / "data"), OUTSOURCE_CHECK_STORE=str(path))
        if command == "slack":  # it signs in first (auth.test on the fake), then checks the store
            env.update(SLACK_BOT_TOKEN="xoxb-faults", SLACK_SIGNING_SECRET="s", SLACK_API_URL=fake.api_url,
                       HOST="127.0.0.1", PORT=str(free_port()), METRICS_PORT="0")
        code, out, err = await run_command([command], env)
    assert code == 2, (code, out, err)
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"outsource-check {command}: ") and words in lines[0], lines[0]
    if command == "slack":
        assert [c["method"] for c in fake.calls] == ["auth.test"], "nobody was written to"
    record_figures(f"test_a_broken_store_file_stops_start_up_in_one_line[{command}-{kind}]", exit_status=code,
                   stderr=lines[0].replace(str(path.parent), "<folder>"))


# --- while the Slack process runs -------------------------------------------------------------------

USERS = 32  # enough sessions for several table pages, so one damaged page leaves others whole


def session_pages(path: Path, sessions: dict[str, str]) -> dict[str, int]:
    """The page of the file holding each session's row (found by the start of its JSON), by user."""
    data = path.read_bytes()
    pages = {}
    for user, session_id in sessions.items():
        offset = data.find(f'{{"id":"{session_id}"'.encode())
        assert offset > 0, f"{user}'s row is in the file"
        pages[user] = offset // 4096
    return pages


def leaf_order(path: Path, sessions: dict[str, str], pages: dict[str, int]) -> dict[int, int]:
    """Each page holding sessions, numbered in the table's order (by the smallest rowid on it)."""
    with contextlib.closing(sqlite3.connect(path, timeout=HANG)) as db:
        rowid = {session_id: row for row, session_id in db.execute("SELECT rowid, id FROM sessions")}
    smallest: dict[int, int] = {}
    for user, page in pages.items():
        smallest[page] = min(smallest.get(page, rowid[sessions[user]]), rowid[sessions[user]])
    return {page: n for n, page in enumerate(sorted(smallest, key=smallest.__getitem__))}


def checkpoint(path: Path) -> None:
    """Everything in the log copied into the file, and the log emptied (other processes notice the new log)."""
    with contextlib.closing(sqlite3.connect(path, timeout=HANG, isolation_level=None)) as db:
        assert db.execute("PRAGMA page_size").fetchone()[0] == 4096
        for _ in range(100):
            if db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0:
                return
        raise AssertionError("the log could not be checkpointed")


async def test_a_page_damaged_under_a_running_process(fake, bots, tmp_path: Path) -> None:
    spec = tmp_path / "data" / "sessions.sqlite3"
    bot = await bots.start(str(spec))
    users = await asyncio.gather(*(started(bot, unique(f"page{n}")) for n in range(USERS)))
    clicked: dict[str, list] = {u.id: [] for u in users}
    await asyncio.gather(*(answer(u, clicked[u.id]) for u in users))
    store = SqliteStore(spec)
    try:
        sessions = {u.id: (await the_session(store, u.id)).id for u in users}
    finally:
        await store.close()

    checkpoint(spec)
    pages = session_pages(spec, sessions)
    order = leaf_order(spec, sessions, pages)
    assert len(order) >= 4, f"the sessions fill only {len(order)} pages"
    first = min(users, key=lambda u: order[pages[u.id]])  # the leftmost page: a newcomer's row goes to the rightmost
    victim = pages[first.id]
    hurt = [u for u in users if pages[u.id] == victim]
    # a page next to the damaged one may be rebalanced with it on its next write: only pages further away must carry on
    far = [u for u in users if order[pages[u.id]] - order[victim] >= 2]
    assert far, "some sessions lie well away from the damaged page"
    damage(spec, marker=f'{{"id":"{sessions[first.id]}"'.encode())

    told = {u.id: try_agains(fake, u.id) for u in users}
    clicks = await asyncio.gather(*(press(u) for u in hurt + far))
    outcomes = await asyncio.gather(*(answered_or_told(u, c, told[u.id]) for u, c in zip(hurt + far, clicks, strict=True)))
    assert outcomes[: len(hurt)] == ["try again"] * len(hurt), "the damaged rows cannot be read: try again, never a crash"
    assert outcomes[len(hurt):] == ["answered"] * len(far), "rows on other pages carry on"
    for user, click in zip(far, clicks[len(hurt):], strict=True):
        clicked[user.id].append((click.node, click.value))
    for user in hurt:  # and again: still "try again", still no crash
        assert (await attempt(user))[1] == "try again"
    newcomer = await started(bot, unique("pagenew"))
    assert bot.alive()

    store = SqliteStore(spec)
    try:
        for user in far:
            assert answers_of(await the_session(store, user.id)) == clicked[user.id]
        assert len(await store.sessions_of(f"slack:T1:{newcomer.id}")) == 1
    finally:
        await store.close()
    assert_no_traceback_reached_users(fake)
    warned = [r["message"] for r in bot.records() if "store unavailable" in str(r.get("message", ""))]
    bots.finish()
    record_figures(
        "test_a_page_damaged_under_a_running_process",
        users=USERS, table_pages=len(order), users_on_damaged_page=len(hurt), clicks_by_them=2 * len(hurt),
        told_try_again=sum(try_agains(fake, u.id) - told[u.id] for u in hurt), users_far_from_it=len(far),
        far_clicks_answered=len(far), newcomer_started=1, store_warnings=len(warned),
        sample_warning=warned[0][:120] if warned else "", process_exits=0,
    )


async def test_store_files_made_read_only_under_a_running_process(fake, bots, tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("an open file stays writable to its process whatever its mode: only root's immutable attribute takes it away")
    spec = tmp_path / "data" / "sessions.sqlite3"
    bot = await bots.start(str(spec))
    users = await asyncio.gather(*(started(bot, unique(f"ro{n}")) for n in range(4)))
    clicked: dict[str, list] = {u.id: [] for u in users}
    await asyncio.gather(*(answer(u, clicked[u.id]) for u in users))

    frozen_clicks = 0
    with contextlib.ExitStack() as frozen:
        for target in (spec, Path(f"{spec}-wal")):  # the shared-memory index stays as it is: SQLite maps it
            frozen.enter_context(read_only(target))
        for _ in range(2):
            told = {u.id: try_agains(fake, u.id) for u in users}
            clicks = await asyncio.gather(*(press(u) for u in users))
            outcomes = await asyncio.gather(*(answered_or_told(u, c, told[u.id]) for u, c in zip(users, clicks, strict=True)))
            assert outcomes == ["try again"] * len(users), outcomes
            frozen_clicks += len(clicks)
        assert bot.alive()

    retried = 0
    for user in users:
        retried += await answer_until_taken(user, clicked[user.id], "once the files were writable")
    await until(lambda: all(question_number(u.living()) >= 3 for u in users), "every check to move on")

    store = SqliteStore(spec)
    try:
        for user in users:
            assert answers_of(await the_session(store, user.id)) == clicked[user.id]
    finally:
        await store.close()
    assert_no_traceback_reached_users(fake)
    bots.finish()
    record_figures(
        "test_store_files_made_read_only_under_a_running_process",
        users=len(users), clicks_while_read_only=frozen_clicks, told_try_again=frozen_clicks + retried,
        retries_after=retried, answers_expected=sum(len(c) for c in clicked.values()), lost=0, doubled=0, process_exits=0,
    )
