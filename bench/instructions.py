"""Benchmark 10: instructions per turn, counted by valgrind, ours beside the floor.

Time on these shared machines drifts by a quarter within minutes (docs/performance.md), so a
difference of a tenth of a millisecond between two builds needs many alternating blocks to show.
The instructions a turn executes do not drift: callgrind counts them exactly, whatever else the
machine is doing. Each side runs twice under `valgrind --tool=callgrind`: run A clicks `W` warm-up
clicks then a block of `N`; run B the same clicks, then a second block planned with the same random
choices as the first (same answers, same outcomes, other users). The difference of the two totals,
divided by `N`, is what a click costs once everything a first click pays (imports, a result
picture's base, caches) was paid by the same clicks in both runs, and start-up and shutdown
cancel out.

- Slack: the production server (`outsource-check slack`, SQLite) and the floor of benchmark 1
  (bare bolt that acks and posts the update), each in its own process, driven over loopback by
  benchmark 1's load generator (4 users: under valgrind a turn takes some 50 times longer).
- Discord: a worker process (`python -m bench.instructions --discord-worker ...`) runs one client
  (ours, or benchmark 2's whole-message floor) on clicks planned by the parent, against the lean
  fake Discord in a process of its own, through discord.py's own parsing and dispatch.

An instruction is not a nanosecond (cache misses, system calls and thread switches cost time
callgrind does not count), so this says how much work a turn does, not how long it takes: the
time rows stay in benchmarks 1 and 2.
"""

from __future__ import annotations

import argparse
import asyncio
import pickle
import random
import re
import shutil
import sys
import time
from pathlib import Path

from bench.common import SECRET, Row, Scale, Section
from bench.planner import Planner
from bench.procs import Server, free_port, ours_env

TITLE = "10. Instructions per turn (callgrind), ours vs the floor"
USERS = 4
TURN_TIMEOUT = 300.0  # a first click under valgrind imports and translates a great deal
TOTALS = re.compile(rb"^(?:summary|totals):\s+(\d+)", re.MULTILINE)


def callgrind(out: Path) -> tuple[str, ...]:
    return ("valgrind", "--tool=callgrind", f"--callgrind-out-file={out}")


def total_of(out: Path) -> int:
    """The instructions a callgrind run counted in all (its output file's summary line)."""
    found = TOTALS.search(out.read_bytes())
    if found is None:
        raise RuntimeError(f"no totals in {out}")
    return int(found.group(1))


def per_turn(short: int, long: int, clicks: int) -> float:
    """What a click cost: run B (which clicked the block a second time) minus run A, over the block's `clicks`."""
    return (long - short) / clicks


async def blocks_for(plan, store, scale: Scale, *, again: bool) -> list[list]:
    """One run's clicks, block by block: the warm-up, the first block, and (run B) the block again:
    planned with the first block's random choices, for users and sessions of its own."""
    warm, first, repeat = Planner(plan, store), Planner(plan, store), Planner(plan, store)
    first.rng, first.number = random.Random(11), 1_000_000
    repeat.rng, repeat.number = random.Random(11), 2_000_000
    blocks = [await _exactly(warm, scale.instruction_warm), await _exactly(first, scale.instruction_clicks)]
    if again:
        blocks.append(await _exactly(repeat, scale.instruction_clicks))
    return blocks


# --- Slack: the servers, under callgrind ------------------------------------------------------------


async def _slack_run(name: str, args: list[str], env: dict[str, str], blocks: list[list], fake, workdir: Path) -> int:
    from bench.loadgen import closed_loop

    out = workdir / f"callgrind.slack-{name}.{len(blocks)}.out"
    server = Server(args, env, workdir / f"slack-{name}.{len(blocks)}.log", free_port(), under=callgrind(out))
    try:
        await server.ready(timeout=900)
        for checks in blocks:
            n = sum(len(c.clicks) for c in checks)
            measure = await closed_loop(server.url, checks, clicks=n, concurrency=USERS, fake=fake, turn_timeout=TURN_TIMEOUT)
            if measure.lost or measure.errors or len(measure.turns) != n:
                raise RuntimeError(f"{name}: {measure.lost + measure.errors} of {n} turns lost under valgrind")
    finally:
        server.stop(timeout=300)
    return total_of(out)


async def slack(scale: Scale, workdir: Path) -> tuple[float, float]:
    """(ours, floor) instructions per Slack turn."""
    from bench.fake_slack import LeanFakeSlack
    from bench.slack_clicks import plan_check
    from bot.dialogs.catalog import MAIN_DIALOG, Catalog
    from bot.stores import SqliteStore

    dialog = Catalog.load().dialogs[MAIN_DIALOG]
    stores, fakes = [], []
    try:
        counted = {}
        for name in ("ours", "floor"):
            runs = []
            for again in (False, True):  # run A and run B at once: a count does not depend on the load
                fake = await LeanFakeSlack().start()  # each run its own fake and store: they click the same messages
                fakes.append(fake)
                store_path = workdir / f"instructions-slack-{name}-{int(again)}.sqlite3"
                store = SqliteStore(store_path)
                stores.append(store)
                if name == "ours":
                    args, env = ["-m", "adapters.cli", "slack"], ours_env(fake.api_url, str(store_path), SECRET)
                else:
                    args, env = ["-m", "bench.bare_slack"], {"SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url, "BARE_UPDATE": "1"}

                def plan(number: int, rng: random.Random, root: str = fake.root):
                    return plan_check(dialog, number=number, reply_root=root, rng=rng, now=time.time())

                blocks = await blocks_for(plan, store if name == "ours" else None, scale, again=again)
                runs.append(_slack_run(name, args, env, blocks, fake, workdir))
            short, long = await asyncio.gather(*runs)
            counted[name] = per_turn(short, long, scale.instruction_clicks)
    finally:
        for store in stores:
            await store.close()
        for fake in fakes:
            await fake.stop()
    return counted["ours"], counted["floor"]


# --- Discord: a worker process per run, under callgrind --------------------------------------------------


async def _discord_worker(side: str, plan: Path, fake_url: str, store_path: str) -> None:
    """Run the planned clicks (warm-up, then the block, once or twice) through one client, then exit."""
    import discord

    from adapters.discord.client import build_client
    from bench import discord_turn as dt
    from bot.conversation.service import ConversationService
    from bot.dialogs.catalog import Catalog
    from bot.stores import SqliteStore

    blocks = pickle.loads(plan.read_bytes())
    discord.http.Route.BASE = f"{fake_url}/api/v10"
    store = SqliteStore(Path(store_path))
    client: discord.Client
    if side == "ours":
        client = build_client(service=ConversationService(catalog=Catalog.load(), store=store), sync_commands=False)
    else:
        client = dt.BareClient(dt.whole_message)
    await client.login("bench-token")
    try:
        runner = dt.Side(side, client)
        for checks in blocks:
            clicks = sum(len(c.clicks) for c in checks)
            block = await dt.closed_loop(runner, checks, clicks=clicks, users=USERS)
            if block.bad or block.finished != clicks:
                raise RuntimeError(f"{side}: {block.bad} of {clicks} turns lost under valgrind")
    finally:
        await client.close()
        await store.close()


async def discord(scale: Scale, workdir: Path) -> tuple[float, float]:
    """(ours, floor) instructions per Discord turn."""
    from bench import discord_turn as dt
    from bot.dialogs.catalog import MAIN_DIALOG, Catalog
    from bot.stores import SqliteStore

    fake = Server(["-m", "bench.fake_discord"], {}, workdir / "instructions-fake-discord.log", free_port())
    dialog = Catalog.load().dialogs[MAIN_DIALOG]

    def plan(number: int, rng: random.Random):
        return dt.plan_check(dialog, number=number, rng=rng, now=time.time())

    counted = {}
    stores = []
    try:
        await fake.ready()
        for side in ("ours", "floor"):
            runs = []
            for again in (False, True):  # run A and run B at once: a count does not depend on the load
                store_path = workdir / f"instructions-discord-{side}-{int(again)}.sqlite3"
                store = SqliteStore(store_path)
                stores.append(store)
                plan_file = workdir / f"instructions-discord-{side}-{int(again)}.pickle"
                plan_file.write_bytes(pickle.dumps(await blocks_for(plan, store if side == "ours" else None, scale, again=again)))
                runs.append(_discord_run(side, int(again), plan_file, f"http://127.0.0.1:{fake.port}", store_path, workdir))
            short, long = await asyncio.gather(*runs)
            counted[side] = per_turn(short, long, scale.instruction_clicks)
    finally:
        for store in stores:
            await store.close()
        fake.stop()
    return counted["ours"], counted["floor"]


async def _discord_run(side: str, run: int, plan_file: Path, fake_url: str, store_path: Path, workdir: Path) -> int:
    out = workdir / f"callgrind.discord-{side}.{run}.out"
    args = [*callgrind(out), sys.executable, "-m", "bench.instructions", "--discord-worker", side, str(plan_file), fake_url, str(store_path)]
    with (workdir / f"discord-{side}.{run}.log").open("w") as log:
        process = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.DEVNULL, stderr=log)
        if await process.wait() != 0:
            raise RuntimeError(f"the Discord worker ({side}, run {run}) failed: see {log.name}")
    return total_of(out)


async def _exactly(planner, clicks: int) -> list:
    """Planned checks cut to exactly `clicks` clicks, so the two runs differ by exactly N."""
    checks = await planner.checks(clicks)
    extra = sum(len(c.clicks) for c in checks) - clicks
    if extra:
        checks[-1].clicks = checks[-1].clicks[: len(checks[-1].clicks) - extra]
    return checks


# --- the section ----------------------------------------------------------------------------------


async def run(scale: Scale, workdir: Path, slack_cpu_floor_ms: float | None = None) -> Section:
    """`slack_cpu_floor_ms`: benchmark 1's CPU per turn of the floor in the same run, to say what the
    extra instructions are in the floor's own time (the issue's target is +0.25 ms of CPU)."""
    section = Section("instructions", TITLE)
    if shutil.which("valgrind") is None:
        section.notes.append("valgrind is not installed here: nothing counted (Debian's package valgrind)")
        return section
    slack_ours, slack_floor = await slack(scale, workdir)
    discord_ours, discord_floor = await discord(scale, workdir)
    extra = slack_ours - slack_floor
    section.add(
        Row("Slack: instructions per turn", slack_ours / 1e6, slack_floor / 1e6, "M", "bare bolt that acks and posts the update"),
        Row("Discord: instructions per turn", discord_ours / 1e6, discord_floor / 1e6, "M", "bare discord.py handler answering with a whole message"),
        Row("Discord: the most throughput this work allows, vs the floor's", discord_floor / discord_ours, 1.0, "x", "the floor",
            note="the floor's instructions over ours; the targets are judged in time, in benchmark 2"),
    )
    if slack_cpu_floor_ms:
        in_time = extra / slack_floor * slack_cpu_floor_ms
        section.add(Row("Slack: ours minus the floor, at the floor's time per instruction", in_time, slack_cpu_floor_ms, "ms",
                        "benchmark 1's floor, CPU per turn",
                        note="what the extra work would cost if it ran as the floor's does; the targets are judged in time, in benchmark 1"))
    section.method = (
        f"Each side run twice under valgrind's callgrind ({USERS} users clicking back to back): run A {scale.instruction_warm} "
        f"warm-up clicks and a block of {scale.instruction_clicks}; run B the same, then the block again, planned with the same "
        "random choices for other users. One turn = the difference of the two runs' instruction totals over the block's clicks: "
        "start-up and shutdown cancel out, and whatever a first click pays (imports, a result picture's base) was paid in both "
        "runs by the same clicks. A count does not depend on what else the machine is doing. It leaves out what callgrind cannot see "
        "(cache misses, system calls, thread switches and waits), which benchmarks 1 and 2 measure in time. Slack: the "
        "production server and benchmark 1's floor, each its own process; Discord: a worker process per run with our client "
        "or benchmark 2's whole-message floor, on clicks the parent planned."
    )
    return section


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--discord-worker", nargs=4, metavar=("SIDE", "PLAN", "FAKE_URL", "STORE"), required=True)
    side, plan, fake_url, store = parser.parse_args().discord_worker
    asyncio.run(_discord_worker(side, Path(plan), fake_url, store))


if __name__ == "__main__":
    main()
