"""A smoke run of every benchmark at the smallest scale, so they never rot.

Only that each ran and produced numbers is checked: speed is measured by `python -m bench`,
never asserted here (these machines are shared and noisy, see docs/performance.md).
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from redis import Redis as SyncRedis
from redis.asyncio import Redis as AsyncRedis

from bench import (
    capacity,
    crowd,
    discord_turn,
    engine_dialogs,
    instructions,
    keyspace,
    memory,
    run,
    slack_turn,
    startup,
    stores,
)
from bench.common import FULL, SMOKE, Floor, Row, Section, against_floor
from tests.conftest import REDIS_URL


@pytest.fixture(autouse=True)
def _bench_redis(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The tests' Redis database (OUTSOURCE_CHECK_TEST_REDIS) for every benchmark, both sides of the stores one
    included: each run keeps to key prefixes of its own and deletes only those keys, so runs can share it.

    A neighbour's key (another run's) must outlive the benchmark, and none of the benchmark's own may."""
    for module in (stores, crowd, memory, capacity):
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
    section = await slack_turn.run(SMOKE, tmp_path)
    produced_numbers(section)
    judged_against_the_floor(section)


def judged_against_the_floor(section: Section) -> None:
    """Issue 15's three targets each have a row with the floor's figure beside ours, and a verdict."""
    floor = {r.measure.split(": ")[1] for r in section.rows if r.measure.startswith("against the floor") and r.met is not None}
    assert floor == {"throughput, full turns/s (closed loop)", "p99 at full load", "CPU per full-load turn"}, section.rows


def test_issue_15_targets_judge_each_figure_against_the_floor_of_the_same_run() -> None:
    """At the targets' edges: 0.85x of the floor's throughput, 1.2x its p99, its CPU plus 0.25 ms."""
    floor = Floor(throughput=1000.0, p99_ms=10.0, cpu_ms=0.5)
    labels = ("floor turns/s", "floor p99", "floor CPU")
    at_the_edge = against_floor(Floor(850.0, 12.0, 0.75), floor, ratio=0.85, labels=labels, what="click -> update")
    assert [r.met for r in at_the_edge] == [True, True, True], at_the_edge
    beyond = against_floor(Floor(840.0, 12.1, 0.76), floor, ratio=0.84, labels=labels, what="click -> update")
    assert [r.met for r in beyond] == [False, False, False], beyond
    assert [r.baseline for r in beyond] == [1000.0, 10.0, 0.5] and beyond[0].ratio == 0.84
    assert "+0.260 ms" in beyond[2].note


def test_capacity_targets_are_judged_only_on_a_run_that_can_meet_them() -> None:
    full = capacity.Settings.of(FULL)
    assert capacity._target("sqlite", 5000, {}, full)[1] is True
    assert capacity._target("sqlite", 4000, {}, full)[1] is False
    assert capacity._target("sqlite", None, {}, full)[1] is False
    assert capacity._target("redis", 7000, {"sqlite": 6000}, full)[1] is True
    assert capacity._target("redis", 6000, {"sqlite": 6000}, full)[1] is False
    assert capacity._target("redis", 6000, {"sqlite": None}, full)[1] is None
    assert capacity._target("sqlite", 6, {}, capacity.Settings.of(SMOKE)) == ("", None)


async def test_crowd_on_two_processes(tmp_path) -> None:
    section = await crowd.run(SMOKE, tmp_path)
    produced_numbers(section)
    lost = next(r for r in section.rows if r.measure.startswith("answers lost"))
    assert lost.ours == 0, "a smoke crowd loses no answers (correctness, not speed)"


async def test_discord_turn_against_bare_discord_py(tmp_path) -> None:
    section = await discord_turn.run(SMOKE, tmp_path)
    produced_numbers(section)
    judged_against_the_floor(section)
    assert all(r.baseline is not None for r in section.rows), "every row has the bare figure beside ours"
    lost = next(r for r in section.rows if r.measure.startswith("turns lost"))
    assert lost.ours == 0 and lost.baseline == 0, "every click gets its callback (and ours its edit): correctness, not speed"


async def test_instructions_per_turn_under_callgrind(tmp_path) -> None:
    """Every side runs twice under valgrind, a few clicks each: each must have counted something (how
    much is the benchmark's business; four clicks are too few to compare the sides)."""
    section = await instructions.run(SMOKE, tmp_path, slack_cpu_floor_ms=1.0)
    produced_numbers(section)
    for row in section.rows[:2]:
        assert row.ours is not None and row.baseline is not None and row.ours > 0 and row.baseline > 0, row


def test_instruction_totals_are_read_from_callgrinds_file(tmp_path) -> None:
    out = tmp_path / "callgrind.out"
    out.write_bytes(b"version: 1\ncreator: callgrind-3.19.0\nevents: Ir\nsummary: 123456789\n\nfl=(1) x.c\n")
    assert instructions.total_of(out) == 123_456_789
    assert instructions.per_turn(1_000, 5_000, 4) == 1_000


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
    sdks = next(r for r in section.rows if r.measure.startswith("chat SDKs a surface imports"))
    assert sdks.ours == 0, f"a surface imports a chat SDK it does not use: {sdks.note}"
    assert any(r.measure.startswith("Discord: first DM answered") for r in section.rows)


def test_the_import_check_reads_an_importtime_log() -> None:
    log = "\n".join([
        "import time: self [us] | cumulative | imported package",
        "import time:       120 |        120 |   adapters",
        "import time:        80 |        900 |     slack_bolt.app",
        "import time:        10 |         10 | discord",
        "INFO some log line that mentions discord",
    ])
    assert startup.imported_sdks(log, "slack") == ["discord"]
    assert startup.imported_sdks(log, "terminal") == ["discord", "slack_bolt"]
    with pytest.raises(RuntimeError):
        startup.imported_sdks("no imports recorded here", "discord")


async def test_capacity_at_human_pace(tmp_path) -> None:
    section = await capacity.run(SMOKE, tmp_path, log=lambda line: None)
    produced_numbers(section)
    for label in capacity.CONFIGS.values():
        steps = [r for r in section.rows if r.measure.startswith(label) and r.measure.endswith("ack p99")]
        assert steps and all(r.ours is not None and r.ours > 0 and r.baseline == capacity.CRITERION_MS for r in steps), section.rows
        assert any(r.measure.startswith(f"{label}: most people at once") for r in section.rows)
    assert any(note.startswith(("plot: ", "no plot: ")) for note in section.notes)


def test_knee_and_pass_rule() -> None:
    steps = [{"users": n, "ack_p99_ms": ms} for n, ms in ((100, 10.0), (200, 12.0), (400, 30.0), (800, 200.0))]
    assert capacity.knee(steps) == 200
    assert capacity.knee(steps[:2]) is None
    step = dict.fromkeys(("lost", "refused", "errors", "late", "doubled", "wrong", "wrong_node"), 0) | {"ack_p99_ms": 99.0}
    assert capacity.passed(step) and not capacity.passed(step | {"ack_p99_ms": 100.0}) and not capacity.passed(step | {"lost": 1})


def test_only_some_benchmarks_keep_the_others_figures(tmp_path) -> None:
    """`--only` without earlier results at hand (bench/results/ is not in git) replaces just its own sections."""
    out = tmp_path / "performance.md"
    old = {"sections": {k: Section(k, t, [Row(f"{k} row", 1.0, 2.0, "ms", "base", "< 3", True)], "how").as_dict()
                        for k, t in (("slack", slack_turn.TITLE), ("startup", startup.TITLE))}, "machine": {"CPU": "x"}}
    run.write_page(old, out)
    new = {"sections": {"startup": Section("startup", startup.TITLE, [Row("startup row", 5.0, 2.0, "ms", "base", "< 3", False)],
                                           "how").as_dict()}, "when": "now", "command": "python -m bench --only startup"}
    assert run._missing_from(new, out) == {slack_turn.TITLE}
    assert run.splice_page(new, ["startup"], out)
    text = out.read_text()
    assert "| slack row | 1.00 ms |" in text and "| startup row | 5.00 ms |" in text and "| startup row | 1.00 ms" not in text
    assert "| 8 | startup row | 5.00 ms | 2.00 ms | 2.50x | < 3 | **MISSED** |" in text and "| 8 | startup row | 1.00" not in text
    assert text.count("### 8. Start-up") == 1 and "Re-measured now" in text
    # a second partial run keeps the first one's note, and puts right when each benchmark last ran
    out.write_text(text.replace("Re-measured now", f"{run.OWN_RUNS}slack: then; startup: then.\nRe-measured now", 1))
    later = {"sections": {"slack": Section("slack", slack_turn.TITLE, [Row("slack row", 4.0, 2.0, "ms", "base", "< 3", False)],
                                           "how").as_dict()}, "when": "later", "command": "python -m bench --only slack"}
    assert run.splice_page(later, ["slack"], out)
    text = out.read_text()
    assert f"Re-measured now (`python -m bench --only startup`): {startup.TITLE}." in text
    assert f"Re-measured later (`python -m bench --only slack`): {slack_turn.TITLE}." in text
    assert f"{run.OWN_RUNS}slack: later (`python -m bench --only slack`); startup: then." in text
    # the results at hand know when startup ran too (bench/results/ keeps this session's runs): said once
    both = {"sections": {**new["sections"], **later["sections"]}, "when": "last", "command": "python -m bench --only slack",
            "measured": {"startup": "now (`python -m bench --only startup`)", "slack": "last (`python -m bench --only slack`)"}}
    assert run.splice_page(both, ["slack"], out)
    text = out.read_text()
    assert text.count(f": {startup.TITLE}.") == 1 and text.count(f": {slack_turn.TITLE}.") == 1, text[:2000]


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(), st.text() | st.integers() | st.lists(st.text(), max_size=3), max_size=5))
def test_a_click_body_is_the_form_urlencode_would_make(payload) -> None:
    """The load generator's quicker encoding must post the very bytes Slack's form encoding gives."""
    from urllib.parse import urlencode

    from bench.slack_clicks import encode

    assert encode(payload) == urlencode({"payload": json.dumps(payload)}).encode()
