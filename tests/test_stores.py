"""The store contract, run against every backend: compare-and-set, expiry, forget."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from bot.conversation.session import Session
from bot.dialogs.model import AnswerRecord
from bot.stores import MemoryStore, SqliteStore, open_store
from tests.conftest import STORE_KINDS, close_store, make_store
from tests.helpers import Clock

TTL = 3600.0


@pytest.fixture(params=STORE_KINDS)
async def clock_and_store(request, tmp_path: Path):
    clock = Clock()
    store = await make_store(request.param, tmp_path, clock, ttl=TTL)
    yield clock, store
    await close_store(request.param, store)


def session(session_id: str = "s1", owner: str = "slack:T1:U1", version: int = 1, **changes) -> Session:
    base = Session(
        id=session_id,
        owner=owner,
        dialog_id="outsource_check",
        dialog_hash="abc",
        node="know_how",
        answers=(AnswerRecord("goal", "set_up"), AnswerRecord("channels", ("twitter", "blog")), AnswerRecord("trust", 4)),
        scores=(("know_how", 2),),
        version=version,
        started_at=Clock().now,
        updated_at=Clock().now,
    )
    return dataclasses.replace(base, **changes)


async def test_round_trip_keeps_every_field(clock_and_store) -> None:
    _, store = clock_and_store
    original = session(context=(("round", "r1"),))
    assert await store.save(original, expected_version=0)
    assert await store.load("s1") == original
    assert await store.load("nope") is None


async def test_compare_and_set(clock_and_store) -> None:
    _, store = clock_and_store
    first = session(version=1)
    assert await store.save(first, expected_version=0)
    assert not await store.save(first, expected_version=0), "a second insert of the same id must lose"
    second = first.bump(node="hours")
    assert await store.save(second, expected_version=1)
    assert not await store.save(first.bump(node="other"), expected_version=1), "stale version must lose"
    assert not await store.save(second, expected_version=2), "a save must raise the version"
    assert (await store.load("s1")).node == "hours"


async def test_racing_saves_from_one_version_let_exactly_one_win(clock_and_store) -> None:
    _, store = clock_and_store
    base = session(version=1)
    await store.save(base, expected_version=0)
    contenders = [base.bump(node=f"n{i}") for i in range(20)]
    results = await asyncio.gather(*(store.save(c, expected_version=1) for c in contenders))
    assert sum(results) == 1
    winner = contenders[results.index(True)]
    assert (await store.load("s1")) == winner


async def test_unfinished_sessions_expire_finished_ones_stay(clock_and_store) -> None:
    clock, store = clock_and_store
    await store.save(session("open"), expected_version=0)
    await store.save(session("done", outcome="in_house", node=None), expected_version=0)
    clock.advance(TTL + 1)
    assert await store.load("open") is None
    assert (await store.load("done")).outcome == "in_house"
    assert [s.id for s in await store.sessions_of("slack:T1:U1")] == ["done"]
    assert await store.purge_expired() == 1
    assert await store.purge_expired() == 0


async def test_sessions_of_lists_newest_first_and_forget_deletes_only_that_user(clock_and_store) -> None:
    clock, store = clock_and_store
    await store.save(session("a"), expected_version=0)
    await store.save(session("b", updated_at=clock.now + 5), expected_version=0)
    await store.save(session("c", owner="discord:42"), expected_version=0)
    assert [s.id for s in await store.sessions_of("slack:T1:U1")] == ["b", "a"]
    assert await store.forget("slack:T1:U1") == 2
    assert await store.sessions_of("slack:T1:U1") == []
    assert await store.load("a") is None and await store.load("b") is None
    assert (await store.load("c")).owner == "discord:42"


async def test_two_sqlite_stores_on_one_file_share_compare_and_set(tmp_path: Path) -> None:
    """Two processes on one machine open the same file; SQLite decides their races."""
    one, two = SqliteStore(tmp_path / "shared.sqlite3"), SqliteStore(tmp_path / "shared.sqlite3")
    base = session(version=1)
    assert await one.save(base, expected_version=0)
    assert not await two.save(base, expected_version=0)
    results = await asyncio.gather(
        one.save(base.bump(node="from_one"), expected_version=1), two.save(base.bump(node="from_two"), expected_version=1)
    )
    assert sorted(results) == [False, True]
    assert (await one.load("s1")) == (await two.load("s1"))
    await one.close()
    await two.close()


def test_open_store_reads_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(open_store("memory:"), MemoryStore)
    store = open_store(str(tmp_path / "x.sqlite3"))
    assert isinstance(store, SqliteStore) and store.path == tmp_path / "x.sqlite3"
    monkeypatch.setenv("OUTSOURCE_CHECK_DATA", str(tmp_path / "data"))
    assert open_store().path == tmp_path / "data" / "sessions.sqlite3"
    from bot.stores.redis import RedisStore

    assert isinstance(open_store("redis://127.0.0.1:6379/0"), RedisStore)


async def test_deliveries_are_recognised_the_second_time(clock_and_store) -> None:
    clock, store = clock_and_store
    assert await store.first_time("slack:Ev1", ttl=60)
    assert not await store.first_time("slack:Ev1", ttl=60)
    assert await store.first_time("slack:Ev2", ttl=60)
    assert await store.ping()


async def test_every_session_walks_the_whole_store(clock_and_store) -> None:
    _, store = clock_and_store
    for i in range(5):
        await store.save(session(f"s{i}", owner=f"u{i % 2}"), expected_version=0)
    assert sorted([s.id async for s in store.every_session()]) == [f"s{i}" for i in range(5)]


async def test_a_burst_larger_than_the_redis_pool_waits_instead_of_failing(tmp_path: Path) -> None:
    from tests.conftest import drop_redis_keys, redis_store

    store = await redis_store(Clock(), max_connections=4)
    try:
        sessions = [session(f"b{i}", owner=f"u{i}") for i in range(200)]
        results = await asyncio.gather(*(store.save(s, expected_version=0) for s in sessions))
        assert all(results)
        loaded = await asyncio.gather(*(store.load(s.id) for s in sessions))
        assert [s.id for s in loaded] == [s.id for s in sessions]
    finally:
        await drop_redis_keys(store)


async def test_sqlite_waits_for_another_process_holding_the_lock(tmp_path: Path) -> None:
    """While another process holds the write lock, a save waits for it in the store's thread, not on the loop."""
    import sqlite3

    store = SqliteStore(tmp_path / "busy.sqlite3", clock=Clock())
    other = sqlite3.connect(tmp_path / "busy.sqlite3", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process is writing
    saving = asyncio.ensure_future(store.save(session("s1", version=1), expected_version=0))
    await asyncio.sleep(0)  # the save reaches the store's thread and waits there
    assert not saving.done(), "the save waits for the lock instead of failing"
    other.execute("COMMIT")
    assert await asyncio.wait_for(saving, 15)
    assert (await store.load("s1")).version == 1
    other.close()
    await store.close()


async def test_sqlite_checkpoints_only_off_the_loop(tmp_path: Path) -> None:
    """The worker connection keeps SQLite's own automatic checkpoint and size limit, said out loud; the
    quick connection (run on the event loop) never checkpoints and never waits for a lock."""
    from bot.stores.sqlite import JOURNAL_SIZE_LIMIT, WAL_AUTOCHECKPOINT_PAGES

    store = SqliteStore(tmp_path / "pragmas.sqlite3", clock=Clock())
    names = ("journal_mode", "wal_autocheckpoint", "journal_size_limit", "secure_delete", "synchronous", "busy_timeout")
    worker = await store._run(lambda db: [db.execute(f"PRAGMA {name}").fetchone()[0] for name in names], quick=False)
    quick = await store._run(lambda db: [db.execute(f"PRAGMA {name}").fetchone()[0] for name in names])
    assert worker == ["wal", WAL_AUTOCHECKPOINT_PAGES, JOURNAL_SIZE_LIMIT, 1, 1, 10_000]  # synchronous 1: NORMAL
    assert quick == ["wal", 0, JOURNAL_SIZE_LIMIT, 1, 1, 0]
    await store.close()


async def test_the_log_stays_bounded_when_every_call_is_quick(tmp_path: Path) -> None:
    """The quick connection never checkpoints; the worker does, every so many quick calls, so the log
    stays within a few checkpoints' worth however long the process runs."""
    from bot.stores.sqlite import CHECKPOINT_EVERY, JOURNAL_SIZE_LIMIT

    path = tmp_path / "bounded.sqlite3"
    store = SqliteStore(path, clock=Clock())
    for number in range(4 * CHECKPOINT_EVERY):
        assert await store.save(big_session(number), expected_version=0)
        await asyncio.sleep(0)
    await store._run(lambda db: None, quick=False)  # the checkpoints queued before it have run
    assert Path(f"{path}-wal").stat().st_size <= 2 * JOURNAL_SIZE_LIMIT
    await store.close()


def big_session(number: int) -> Session:
    """About 2 KB of JSON, so a few hundred saves fill several checkpoints' worth of log."""
    return session(f"s{number:05d}", owner=f"slack:T1:U{number % 7}", version=1, answers=(AnswerRecord("name", "x" * 2000),))


async def test_a_checkpoint_puts_every_save_in_the_file_and_empties_the_log(tmp_path: Path) -> None:
    """After many saves, an explicit checkpoint leaves the -wal file within journal_size_limit (empty, in
    fact) and every row in the database file itself: a copy of that file alone holds them all."""
    import shutil
    import sqlite3

    from bot.stores.sqlite import JOURNAL_SIZE_LIMIT

    path = tmp_path / "log.sqlite3"
    store = SqliteStore(path, clock=Clock())
    saves = 3 * JOURNAL_SIZE_LIMIT // 2000  # three times the log's limit in session data alone
    for number in range(saves):
        assert await store.save(big_session(number), expected_version=0)
    busy, _, _ = await store.checkpoint()
    assert busy == 0
    wal = Path(f"{path}-wal")
    assert wal.stat().st_size <= JOURNAL_SIZE_LIMIT
    assert wal.stat().st_size == 0, "TRUNCATE empties the log"
    shutil.copyfile(path, tmp_path / "alone.sqlite3")  # the file without its -wal and -shm
    with sqlite3.connect(tmp_path / "alone.sqlite3") as copy:
        assert copy.execute("SELECT count(*) FROM sessions").fetchone() == (saves,)
    assert await store.save(big_session(0).bump(node="hours"), expected_version=1), "the store goes on after it"
    await store.close()


async def test_closing_the_store_writes_the_log_back_and_removes_it(tmp_path: Path) -> None:
    import sqlite3

    from bot.stores.sqlite import JOURNAL_SIZE_LIMIT

    path = tmp_path / "closed.sqlite3"
    store = SqliteStore(path, clock=Clock())
    saves = 3 * JOURNAL_SIZE_LIMIT // 2000
    for number in range(saves):
        assert await store.save(big_session(number), expected_version=0)
    await store.close()
    await store.close()  # a second close does nothing
    wal = Path(f"{path}-wal")
    assert not wal.exists() or wal.stat().st_size <= JOURNAL_SIZE_LIMIT
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM sessions").fetchone() == (saves,)


async def test_no_checkpoint_and_no_wait_for_a_lock_ever_runs_on_the_event_loop(tmp_path: Path) -> None:
    """Quick calls run on the loop; every checkpoint (with its fsync), and forget's emptying of the
    log, run on the store's one worker thread."""
    import threading

    from bot.stores.sqlite import JOURNAL_SIZE_LIMIT

    store = SqliteStore(tmp_path / "threads.sqlite3", clock=Clock())
    statements: list[tuple[int, str]] = []

    def trace(db) -> None:
        db.set_trace_callback(lambda sql: statements.append((threading.get_ident(), sql)))

    await store._run(trace)
    await store._run(trace, quick=False)
    for number in range(2 * JOURNAL_SIZE_LIMIT // 2000):  # past a checkpoint at least once
        assert await store.save(big_session(number), expected_version=0)
        assert (await store.load(f"s{number:05d}")).version == 1
    await store.forget("slack:T1:U1")
    await store.purge_expired()
    await store._run(lambda db: None, quick=False)
    loop_thread = threading.get_ident()
    checkpoints = [thread for thread, sql in statements if "wal_checkpoint" in sql]
    assert checkpoints and loop_thread not in checkpoints
    assert len({thread for thread, _ in statements if thread != loop_thread}) == 1, "one worker thread"
    assert any(thread == loop_thread for thread, _ in statements), "quick calls run on the loop"
    await store.close()


async def test_a_store_error_is_a_try_again_but_a_bug_in_our_sql_is_not_hidden(tmp_path: Path) -> None:
    import sqlite3

    from bot.stores import StoreUnavailable

    store = SqliteStore(tmp_path / "errors.sqlite3", clock=Clock())

    def disk_trouble(db):
        raise sqlite3.OperationalError("disk I/O error")

    with pytest.raises(StoreUnavailable, match="disk I/O error"):
        await store._run(disk_trouble)
    with pytest.raises(sqlite3.OperationalError):
        await store._run(lambda db: db.execute("SELECT nope FROM sessions"))  # noqa: B023 (ours: not an outage)
    await store.close()


def test_forget_tries_again_to_empty_the_log_while_another_process_checkpoints() -> None:
    """SQLite's checkpoint gives up at once (busy = 1) while another process runs one; forget's tries again."""
    from bot.stores.sqlite import empty_log

    class Busy:
        def __init__(self, times: int) -> None:
            self.left, self.calls = times, 0

        def execute(self, sql: str):
            assert sql == "PRAGMA wal_checkpoint(TRUNCATE)"
            self.calls += 1
            self.left -= 1
            return self

        def fetchone(self) -> tuple[int, int, int]:
            return (1, -1, -1) if self.left >= 0 else (0, 0, 0)

    twice = Busy(2)
    assert empty_log(twice, pause=0) and twice.calls == 3
    always = Busy(10**9)
    assert not empty_log(always, budget=0, pause=0) and always.calls == 1
