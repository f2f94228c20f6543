"""A smoke run of every benchmark at the smallest scale, so they never rot.

Only that each ran and produced numbers is checked: speed is measured by `python -m bench`,
never asserted here (these machines are shared and noisy, see docs/performance.md).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator

import pytest
from redis import Redis as SyncRedis
from redis.asyncio import Redis as AsyncRedis

from bench import crowd, discord_turn, engine_dialogs, keyspace, memory, run, slack_turn, startup, stores
from bench.common import SMOKE, Row, Section
from tests.conftest import REDIS_URL


@pytest.fixture(autouse=True)
def _bench_redis(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The tests' Redis database (OUTSOURCE_CHECK_TEST_REDIS) for every benchmark, both sides of the stores one
    included: each run keeps to key prefixes of its own and deletes only those keys, so runs can share it.

    A neighbour's key (another run's) must outlive the benchmark, and none of the benchmark's own may."""
    for module in (stores, crowd, memory):
        monkeypatch.setattr(module, "BENCH_REDIS_URL", REDIS_URL)
    monkeypatch.setattr(stores, "BENCH_REDIS_SMALL_URL", REDIS_URL)
    used: list[str] = []
    real_run_prefix = keyspace.run_prefix

    def recorded(*args, **kwargs) -> str:
        used.append(real_run_prefix(*args, **kwargs))
        return used[-1]

    monkeypatch.setattr(keyspace, "run_prefix", recorded)
    redis = SyncRedis.from_url(REDIS_URL)
    neighbour = f"oc-test-neighbour-{uuid.uuid4().hex}"
    redis.set(neighbour, "another run's", ex=600)
    try:
        yield
        assert redis.get(neighbour) == b"another run's", "a benchmark deleted a key it did not write"
        left = {p: n for p in used if (n := sum(1 for _ in redis.scan_iter(match=p + "*", count=1000)))}
        assert not left, f"a benchmark left keys behind: {left}"
    finally:
        redis.delete(neighbour)
        redis.close()


async def test_a_run_deletes_its_own_keys_and_nothing_else() -> None:
    redis = AsyncRedis.from_url(REDIS_URL)
    prefix = keyspace.run_prefix("unit")
    glob = prefix[:-1] + "[*]?:"  # a prefix with glob characters, which SCAN MATCH must read literally
    mine = [f"{prefix}s:{i}" for i in range(2500)] + [f"{glob}a"]
    others = [prefix[:-1] + "x:s:1", prefix[:-2] + ":s:1", prefix[:-1] + "*Z:b", "elsewhere:" + prefix]
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for key in mine + others:
                pipe.set(key, "1", ex=600)
            await pipe.execute()
        assert await keyspace.drop_keys(redis, prefix) == 2500
        assert await keyspace.drop_keys(redis, glob) == 1
        assert await redis.exists(*mine) == 0 and await redis.exists(*others) == len(others)
        with pytest.raises(ValueError):
            await keyspace.drop_keys(redis, "")
    finally:
        await redis.delete(*mine, *others)
        await redis.aclose()


def produced_numbers(section: Section) -> None:
    assert section.rows, f"{section.key} produced no rows"
    numbers = [r.ours for r in section.rows if r.ours is not None]
    assert numbers and all(isinstance(n, (int, float)) and not math.isnan(n) for n in numbers), section.rows
    assert section.method


def test_engine_and_dialogs() -> None:
    produced_numbers(engine_dialogs.run(SMOKE))


async def test_stores(tmp_path) -> None:
    produced_numbers(await stores.run(SMOKE, tmp_path))


async def test_memory() -> None:
    produced_numbers(await memory.run(SMOKE))


async def test_slack_turn_against_bare_bolt(tmp_path) -> None:
    produced_numbers(await slack_turn.run(SMOKE, tmp_path))


async def test_crowd_on_two_processes(tmp_path) -> None:
    section = await crowd.run(SMOKE, tmp_path)
    produced_numbers(section)
    lost = next(r for r in section.rows if r.measure.startswith("answers lost"))
    assert lost.ours == 0, "a smoke crowd loses no answers (correctness, not speed)"


async def test_discord_turn_against_bare_discord_py(tmp_path) -> None:
    section = await discord_turn.run(SMOKE, tmp_path)
    produced_numbers(section)
    assert all(r.baseline is not None for r in section.rows), "every row has the bare figure beside ours"
    lost = next(r for r in section.rows if r.measure.startswith("turns lost"))
    assert lost.ours == 0 and lost.baseline == 0, "every click gets its callback (and ours its edit): correctness, not speed"


def test_the_page_renders(tmp_path) -> None:
    section = Section("discord", discord_turn.TITLE, [Row("throughput", 2.0, 4.0, "turns/s", "bare", ">= 0.70x bare", False)], "how")
    results = {"sections": {"discord": section.as_dict()}, "machine": {"CPU": "x"}, "scale": "smoke"}
    out = tmp_path / "performance.md"
    out.write_text("old figures\n" + run.END + "\n## Findings\nkept\n")
    run.write_page(results, out)
    text = out.read_text()
    assert run.BEGIN in text and "## Findings\nkept" in text and "old figures" not in text
    assert "| 2 | throughput | 2.00 turns/s | 4.00 turns/s | 0.50x | >= 0.70x bare | **MISSED** |" in text


async def test_startup_against_python_and_bare_bolt(tmp_path) -> None:
    section = await startup.run(SMOKE, tmp_path)
    produced_numbers(section)
    assert all(r.baseline is not None for r in section.rows), "every row has its baseline beside it"
