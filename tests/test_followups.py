"""Follow-up jobs: kept by every store, claimed by one caller at a time, kept across restarts, and
handled exactly once by two real processes racing on one SQLite file or one Redis.

Time is an injected `now` throughout: no test sleeps to let a lease run out, and none asserts how
long anything took. Redis tests keep to a key prefix of their own and delete only those keys.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from bot.followups.jobs import Job
from bot.followups.runner import FollowUpRunner
from bot.stores import MemoryStore, SqliteStore, StoreUnavailable
from bot.stores.redis import RedisStore
from tests.conftest import REDIS_URL, ROOT, STORE_KINDS, close_store, drop_redis_keys, make_store, redis_store
from tests.helpers import Clock

NOW = 1_700_000_000.0
HANG = 60.0  # seconds a worker process may take before the test fails as hung (a guard, not a measure)


@pytest.fixture(params=STORE_KINDS)
async def store(request, tmp_path: Path):
    store = await make_store(request.param, tmp_path, Clock())
    yield store
    await close_store(request.param, store)


def job(key: str, due: float = NOW, **changes) -> Job:
    return Job(key=key, kind=key.split(":")[0], due=due, **changes)


def keys(jobs: list[Job]) -> list[str]:
    return [j.key for j in jobs]


# --- the job itself -----------------------------------------------------------------------------


def test_a_job_round_trips_through_json_without_its_claim() -> None:
    original = Job("remind:r1", "remind", NOW + 0.25, (("channel", "C1"), ("note", "café ☕")), owner="slack:T1:U1")
    assert Job.from_json(original.to_json()) == original
    claimed = Job.from_json(original.to_json(), claim="abc")
    assert claimed.claim == "abc" and "abc" not in claimed.to_json()
    assert original.payload_value("channel") == "C1" and original.payload_value("nope") is None


# --- every store ---------------------------------------------------------------------------------


async def test_schedule_claim_done_and_cancel(store) -> None:
    await store.schedule(job("remind:r1", NOW - 10, payload=(("channel", "C1"),), owner="slack:T1:U1"))
    await store.schedule(job("nudge:s1", NOW - 20))
    await store.schedule(job("review:r1", NOW + 3600))
    claimed = await store.claim_due(NOW)
    assert keys(claimed) == ["nudge:s1", "remind:r1"], "the due ones, earliest first; not the one due later"
    first = claimed[1]
    assert first.claim and first.payload_value("channel") == "C1" and first.owner == "slack:T1:U1" and first.due == NOW - 10
    assert await store.claim_due(NOW) == [], "claimed jobs are held"
    assert await store.done(first)
    assert not await store.done(first), "done once"
    await store.cancel("review:r1")
    await store.cancel("never:scheduled")
    assert keys(await store.claim_due(NOW + 7200)) == ["nudge:s1"], "the cancelled job is gone; the one not done is back"


async def test_a_claim_holds_until_its_lease_ends_then_the_job_is_due_again(store) -> None:
    await store.schedule(job("nudge:s1"))
    (first,) = await store.claim_due(NOW, lease=60)
    assert await store.claim_due(NOW + 59, lease=60) == [], "no one else gets it during the lease"
    (second,) = await store.claim_due(NOW + 60, lease=60)
    assert second.key == "nudge:s1" and second.claim != first.claim, "the holder may have died: the job comes back"
    assert not await store.done(first), "the first holder's claim is over"
    assert await store.done(second)
    assert await store.claim_due(NOW + 10_000) == []


async def test_rescheduling_moves_the_due_time_and_drops_the_claim(store) -> None:
    await store.schedule(job("remind:r1", payload=(("n", "1"),)))
    (held,) = await store.claim_due(NOW, lease=600)
    await store.schedule(job("remind:r1", NOW + 100, payload=(("n", "2"),)))
    assert not await store.done(held), "a job re-scheduled meanwhile is not deleted by the old claim"
    assert await store.claim_due(NOW + 99) == [], "not due before its new time"
    (again,) = await store.claim_due(NOW + 100, lease=600)
    assert again.due == NOW + 100 and again.payload_value("n") == "2", "due at once, though the old lease runs on"
    await store.schedule(job("remind:r1", NOW + 100))  # the same due time again: still a new job
    assert not await store.done(again)
    assert keys(await store.claim_due(NOW + 100)) == ["remind:r1"]


async def test_a_claim_takes_at_most_the_limit_earliest_first(store) -> None:
    for number in range(7):
        await store.schedule(job(f"nudge:s{number}", NOW - number))
    assert keys(await store.claim_due(NOW, limit=3)) == ["nudge:s6", "nudge:s5", "nudge:s4"]
    assert keys(await store.claim_due(NOW, limit=0)) == []
    assert keys(await store.claim_due(NOW, limit=10)) == ["nudge:s3", "nudge:s2", "nudge:s1", "nudge:s0"]


async def test_forget_deletes_the_owners_jobs_only(store) -> None:
    ann, bob = "slack:T1:U0ANN", "slack:T1:U0BOB"
    await store.schedule(job("nudge:s1", owner=ann, payload=(("shop", "Ann's Bakery"),)))
    await store.schedule(job("remind:r1", NOW - 1, owner=ann))
    await store.schedule(job("nudge:s2", owner=bob))
    await store.schedule(job("review:r9"))
    (held,) = await store.claim_due(NOW - 1)  # forgotten while a runner holds it
    await store.forget(ann)
    assert not await store.done(held)
    assert keys(await store.claim_due(NOW + 1000, limit=10)) == ["nudge:s2", "review:r9"]
    if isinstance(store, RedisStore):
        everything = [k async for k in store._redis.scan_iter(match=f"{store._p}*")]
        assert not [k for k in everything if ann in k], everything
        data = await store._redis.hgetall(f"{store._p}jobs:d")
        assert ann not in str(data) and "Bakery" not in str(data)


async def test_a_job_rescheduled_to_another_owner_is_not_forgotten_with_the_first(store) -> None:
    await store.schedule(job("remind:r1", owner="slack:T1:U0ANN"))
    await store.schedule(job("remind:r1", owner="slack:T1:U0BOB"))
    await store.forget("slack:T1:U0ANN")
    (kept,) = await store.claim_due(NOW)
    assert kept.owner == "slack:T1:U0BOB"


async def test_concurrent_claims_in_one_process_never_share_a_job(store) -> None:
    for number in range(60):
        await store.schedule(job(f"nudge:s{number:02d}", NOW - number))
    batches = await asyncio.gather(*(store.claim_due(NOW, limit=7) for _ in range(12)))
    claimed = [k for batch in batches for k in keys(batch)]
    assert len(claimed) == len(set(claimed)) == 60


# --- a restart -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
async def test_jobs_survive_a_restart(kind: str, tmp_path: Path) -> None:
    prefix = f"oc-test-followups-{uuid.uuid4().hex[:10]}:"

    def opened() -> SqliteStore | RedisStore:
        return SqliteStore(tmp_path / "jobs.sqlite3") if kind == "sqlite" else RedisStore(REDIS_URL, prefix=prefix)

    before = opened()
    try:
        await before.schedule(job("review:r1", NOW + 60, payload=(("round", "r1"),), owner="slack:T1:U1"))
        await before.schedule(job("nudge:s1", NOW))
        (held,) = await before.claim_due(NOW, lease=120)  # and then the process dies holding it
    finally:
        await before.close()
    after = opened()
    try:
        assert keys(await after.claim_due(NOW + 60)) == ["review:r1"]
        assert keys(await after.claim_due(NOW + 120)) == ["nudge:s1"], "the dead process's claim ran out"
    finally:
        await (drop_redis_keys(after) if kind == "redis" else after.close())


# --- the runner ----------------------------------------------------------------------------------


class Recorder:
    def __init__(self, fail: set[str] | None = None) -> None:
        self.fail = fail or set()
        self.handled: list[str] = []

    async def __call__(self, job: Job) -> None:
        if job.key in self.fail:
            raise RuntimeError(f"cannot post {job.key}")
        self.handled.append(job.key)


async def test_the_runner_handles_due_jobs_and_deletes_them() -> None:
    clock = Clock()
    store = MemoryStore(clock=clock)
    handler = Recorder()
    runner = FollowUpRunner(store, handler, clock=clock, lease=60)
    await store.schedule(job("remind:r1", clock.now - 1))
    await store.schedule(job("review:r1", clock.now + 30))
    assert await runner.run_once() == 1 and handler.handled == ["remind:r1"]
    clock.advance(30)
    assert await runner.run_once() == 1 and handler.handled == ["remind:r1", "review:r1"]
    clock.advance(10_000)
    assert await runner.run_once() == 0, "done deleted them: nothing comes back"


async def test_a_failed_job_stays_claimed_until_its_lease_ends_then_is_retried(caplog) -> None:
    store = MemoryStore()
    handler = Recorder(fail={"nudge:s1"})
    runner = FollowUpRunner(store, handler, lease=60)
    await store.schedule(job("nudge:s1"))
    await store.schedule(job("remind:r1"))
    with caplog.at_level(logging.ERROR, logger="outsource_check.followups"):
        assert await runner.run_once(NOW) == 1
    assert handler.handled == ["remind:r1"]
    assert any("nudge:s1" in r.getMessage() and r.exc_info for r in caplog.records), "the failure is logged"
    assert await runner.run_once(NOW + 59) == 0, "held during its lease"
    handler.fail.clear()
    assert await runner.run_once(NOW + 60) == 1 and handler.handled == ["remind:r1", "nudge:s1"]


async def test_the_runner_hands_back_what_it_cannot_handle_within_the_lease() -> None:
    """A slow batch stops before the lease ends, so no other process can be handling the same job."""
    store = MemoryStore()
    spent = [0.0]

    async def slow(job: Job) -> None:
        spent[0] += 50  # each job takes 50 of the 100 seconds' lease (a fake clock: no waiting)
        handled.append(job.key)

    handled: list[str] = []
    runner = FollowUpRunner(store, slow, lease=100, elapsed=lambda: spent[0])
    for number in range(3):
        await store.schedule(job(f"nudge:s{number}", NOW - 3 + number))
    assert await runner.run_once(NOW) == 2 and handled == ["nudge:s0", "nudge:s1"]
    assert await runner.run_once(NOW + 99) == 0, "the third is still claimed"
    assert await runner.run_once(NOW + 100) == 1 and handled[-1] == "nudge:s2"


async def test_a_handler_that_outlives_its_lease_is_stopped_and_retried_later(caplog) -> None:
    store = MemoryStore()
    started = asyncio.Event()

    async def hangs(job: Job) -> None:
        started.set()
        await asyncio.Event().wait()

    runner = FollowUpRunner(store, hangs, lease=0.05)  # the lease is all the test waits for, whatever the machine
    await store.schedule(job("nudge:s1"))
    with caplog.at_level(logging.WARNING, logger="outsource_check.followups"):
        assert await asyncio.wait_for(runner.run_once(NOW), HANG) == 0
    assert started.is_set() and any("ran out of its lease" in r.getMessage() for r in caplog.records)
    assert keys(await store.claim_due(NOW + 1)) == ["nudge:s1"], "not deleted: due again once the lease ended"


async def test_a_store_outage_skips_the_round_and_is_logged(caplog) -> None:
    class Down(MemoryStore):
        async def claim_due(self, now: float, *, limit: int = 50, lease: float = 120.0) -> list[Job]:
            raise StoreUnavailable("connection refused")

    handler = Recorder()
    with caplog.at_level(logging.WARNING, logger="outsource_check.followups"):
        assert await FollowUpRunner(Down(), handler).run_once(NOW) == 0
    assert handler.handled == [] and any("unavailable" in r.getMessage() for r in caplog.records)


async def test_run_forever_keeps_going_and_stops_cleanly_when_cancelled(caplog) -> None:
    clock = Clock()
    store = MemoryStore(clock=clock)
    handler = Recorder()
    naps: list[float] = []
    second_pass = asyncio.Event()

    async def sleep(seconds: float) -> None:
        naps.append(seconds)
        if len(naps) == 2:
            second_pass.set()
        clock.advance(seconds)
        await asyncio.sleep(0)

    runner = FollowUpRunner(store, handler, clock=clock, sleep=sleep)
    await store.schedule(job("remind:r1", clock.now))
    await store.schedule(job("review:r1", clock.now + 5))
    with caplog.at_level(logging.WARNING, logger="outsource_check.followups"):
        task = asyncio.create_task(runner.run_forever(5))
        await asyncio.wait_for(second_pass.wait(), HANG)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled() and handler.handled == ["remind:r1", "review:r1"] and naps[:2] == [5, 5]
    assert not caplog.records, "nothing to warn about"


def test_the_runner_refuses_a_lease_that_is_no_lease() -> None:
    with pytest.raises(ValueError, match="lease"):
        FollowUpRunner(MemoryStore(), Recorder(), lease=0)


# --- two real processes ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
async def test_two_processes_racing_handle_every_job_exactly_once(kind: str, tmp_path: Path) -> None:
    jobs = 200
    if kind == "redis":
        store = await redis_store()
        where, prefix = REDIS_URL, store._p
    else:
        where, prefix = str(tmp_path / "race.sqlite3"), ""
        store = SqliteStore(where)
    due = time.time() - 1000  # due long ago: the workers' real clocks see all of them due
    workers: list[subprocess.Popen] = []
    try:
        for number in range(jobs):
            await store.schedule(job(f"nudge:s{number:03d}", due + number % 17, owner=f"slack:T1:U{number % 9}"))
        go = tmp_path / "go"
        outs = [tmp_path / f"handled-{n}.txt" for n in range(2)]
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.followups_worker", kind, where, prefix, str(out), str(go)],
                cwd=ROOT, env={**_worker_env(), "PYTHONPATH": str(ROOT)},
                stdout=subprocess.DEVNULL, stderr=open(f"{out}.log", "w"),  # noqa: SIM115 - closed with the process
            )
            for out in outs
        ]
        deadline = time.monotonic() + HANG
        while not all(Path(f"{out}.ready").exists() for out in outs):  # both opened their store: start them together
            assert time.monotonic() < deadline and all(w.poll() is None for w in workers), [Path(f"{o}.log").read_text() for o in outs]
            await asyncio.sleep(0.01)
        go.touch()
        codes = [await asyncio.to_thread(w.wait, HANG) for w in workers]
        logs = [Path(f"{out}.log").read_text() for out in outs]
        assert codes == [0, 0], logs
        handled = Counter(line for out in outs for line in out.read_text().splitlines())
        assert set(handled) == {f"nudge:s{number:03d}" for number in range(jobs)}, "every job handled"
        assert [key for key, count in handled.items() if count > 1] == [], "none twice"
        assert await store.claim_due(time.time() + 10_000, limit=1000) == [], "and every one deleted once done"
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(HANG)
        await (drop_redis_keys(store) if kind == "redis" else store.close())


def _worker_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "OUTSOURCE_CHECK_"))}
