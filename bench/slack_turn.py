"""Benchmark 1: a full Slack button click through our app vs a bare bolt app that only acks.

Both run as their own processes on aiohttp on 127.0.0.1, get the same signed click bodies from
the same load generator, and are measured in alternating blocks (bare, ours, bare, ours...) so
that a noisy neighbour hurts both alike. Ours is the production `outsource-check slack` in HTTP
mode on the default SQLite store: signature check, session load, engine step, Block Kit render,
compare-and-set save, ack, and the in-place update posted to the local fake Slack.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bench.common import SECRET, Floor, Row, Scale, Section, against_floor, median
from bench.fake_slack import LeanFakeSlack
from bench.loadgen import Measure, closed_loop, med, paced
from bench.planner import Planner
from bench.procs import Server, free_port, ours_env
from bench.slack_clicks import PlannedCheck, plan_check
from bot.dialogs.catalog import MAIN_DIALOG, Catalog
from bot.stores import SqliteStore

TITLE = "1. Slack turn vs a bare slack-bolt app"


async def run(scale: Scale, workdir: Path) -> Section:
    section = Section("slack", TITLE)
    fake = await LeanFakeSlack().start()
    store_path = workdir / "slack-turn.sqlite3"
    store = SqliteStore(store_path)
    dialog = Catalog.load().dialogs[MAIN_DIALOG]
    planner = Planner(lambda number, rng: plan_check(dialog, number=number, reply_root=fake.root, rng=rng, now=time.time()), store)
    bare = Server(["-m", "bench.bare_slack"], {"SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url}, workdir / "bare.log", free_port())
    updating = Server(["-m", "bench.bare_slack"], {"SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url, "BARE_UPDATE": "1"},
                      workdir / "bare-update.log", free_port())
    ours = Server(["-m", "adapters.cli", "slack"], ours_env(fake.api_url, str(store_path), SECRET), workdir / "ours.log", free_port())
    try:
        await asyncio.gather(bare.ready(), updating.ready(), ours.ready())
        c = scale.slack_concurrency
        warm = await planner.checks(max(40, scale.slack_clicks // 10))
        await closed_loop(bare.url, warm, clicks=len(warm) * 20, concurrency=c, fake=None)
        await closed_loop(updating.url, warm, clicks=len(warm) * 20, concurrency=c, fake=fake)
        await closed_loop(ours.url, warm, clicks=len(warm) * 20, concurrency=c, fake=fake)
        bare_runs: list[Measure] = []
        updating_runs: list[Measure] = []
        ours_runs: list[Measure] = []
        cpu = {"bare": 0.0, "updating": 0.0, "ours": 0.0}
        turns = {"bare": 0, "updating": 0, "ours": 0}

        async def block(name: str, server: Server, checks: list[PlannedCheck], with_fake: bool) -> Measure:
            before = server.cpu_seconds()
            measure = await closed_loop(server.url, checks, clicks=scale.slack_clicks, concurrency=c, fake=fake if with_fake else None)
            cpu[name] += server.cpu_seconds() - before
            turns[name] += len(measure.turns)
            return measure

        for _ in range(scale.slack_blocks):
            bare_runs.append(await block("bare", bare, await planner.checks(scale.slack_clicks), False))
            updating_runs.append(await block("updating", updating, await planner.checks(scale.slack_clicks), True))
            ours_runs.append(await block("ours", ours, await planner.checks(scale.slack_clicks), True))
        rate = max(5.0, 0.5 * med(ours_runs, "throughput"))
        needed = int(rate * scale.paced_seconds) + 200
        bare_paced = await paced(bare.url, await planner.checks(needed), rate=rate, seconds=scale.paced_seconds, fake=None)
        updating_paced = await paced(updating.url, await planner.checks(needed), rate=rate, seconds=scale.paced_seconds, fake=fake)
        ours_paced = await paced(ours.url, await planner.checks(needed), rate=rate, seconds=scale.paced_seconds, fake=fake)
        cpu_ms = {name: 1000.0 * cpu[name] / turns[name] if turns[name] else float("nan") for name in cpu}
        lost = sum(m.lost + m.errors for m in ours_runs) + ours_paced.lost + ours_paced.errors
        bare_lost = sum(m.lost + m.errors for m in bare_runs) + bare_paced.lost + bare_paced.errors
        tput_ratio = median([o.throughput / b.throughput for o, b in zip(ours_runs, bare_runs, strict=True) if b.throughput])
        section.add(
            Row("throughput, full turns/s (closed loop)", med(ours_runs, "throughput"), med(bare_runs, "throughput"), "turns/s",
                "bare bolt, acks/s", ">= 0.70x bare", tput_ratio >= 0.70, ratio=tput_ratio,
                note=f"{c} users clicking back to back; ratio = median of the per-block ratios"),
            Row("p50 latency at full load: click -> in-place update", med(ours_runs, "turn_p50_ms"), med(bare_runs, "turn_p50_ms"), "ms",
                "bare bolt p50 ack"),
            Row("p99 latency at full load: click -> in-place update", med(ours_runs, "turn_p99_ms"), med(bare_runs, "turn_p99_ms"), "ms",
                "bare bolt p99 ack", "<= 1.5x bare", med(ours_runs, "turn_p99_ms") <= 1.5 * med(bare_runs, "turn_p99_ms")),
            Row("p99 ack at full load (Slack's 3 s clock stops here)", med(ours_runs, "ack_p99_ms"), med(bare_runs, "ack_p99_ms"), "ms",
                "bare bolt p99 ack", "<= 1.5x bare", med(ours_runs, "ack_p99_ms") <= 1.5 * med(bare_runs, "ack_p99_ms")),
            Row(f"p50 latency at an equal paced load ({rate:.0f} clicks/s): click -> update", ours_paced.summary()["turn_p50_ms"],
                bare_paced.summary()["turn_p50_ms"], "ms", "bare bolt p50 ack, same load"),
            Row(f"p99 latency at an equal paced load ({rate:.0f} clicks/s): click -> update", ours_paced.summary()["turn_p99_ms"],
                bare_paced.summary()["turn_p99_ms"], "ms", "bare bolt p99 ack, same load", "<= 1.5x bare",
                ours_paced.summary()["turn_p99_ms"] <= 1.5 * bare_paced.summary()["turn_p99_ms"]),
            Row(f"p99 ack at an equal paced load ({rate:.0f} clicks/s)", ours_paced.summary()["ack_p99_ms"],
                bare_paced.summary()["ack_p99_ms"], "ms", "bare bolt p99 ack, same load", "<= 1.5x bare",
                ours_paced.summary()["ack_p99_ms"] <= 1.5 * bare_paced.summary()["ack_p99_ms"]),
            Row("clicks lost or failed", lost, bare_lost, "clicks", "bare bolt", "0", lost == 0),
            Row("server CPU per full-load turn", cpu_ms["ours"], cpu_ms["bare"], "ms", "bare bolt, CPU per ack",
                note="from /proc: user + system time of the server process over the closed-loop blocks, per turn"),
            Row(f"against the floor: p99 at an equal paced load ({rate:.0f} clicks/s): click -> update",
                ours_paced.summary()["turn_p99_ms"], updating_paced.summary()["turn_p99_ms"], "ms", "bare bolt, ack + update, p99, same load"),
        )
        section.add(*against_floor(
            Floor(med(ours_runs, "throughput"), med(ours_runs, "turn_p99_ms"), cpu_ms["ours"]),
            Floor(med(updating_runs, "throughput"), med(updating_runs, "turn_p99_ms"), cpu_ms["updating"]),
            ratio=median([o.throughput / u.throughput for o, u in zip(ours_runs, updating_runs, strict=True) if u.throughput]),
            labels=("bare bolt, ack + response_url update, turns/s", "bare bolt, ack + update, p99", "bare bolt, ack + update"),
            what="click -> in-place update",
        ))
        section.method = (
            f"Both apps in their own process on 127.0.0.1, {scale.slack_blocks} alternating blocks of {scale.slack_clicks} clicks each "
            f"({c} simulated users, each clicking its next button when its previous turn ended), then {scale.paced_seconds:.0f} s each "
            f"at a fixed arrival rate of half our measured throughput (latency counted from the planned send time). "
            "Clicks are real block_actions bodies (with the whole message, as Slack sends them) built from our own rendered "
            "buttons on the shipped dialog, signed with the signing secret. Bare: slack-bolt's own aiohttp `web_app()`, one "
            "listener that only acks; a bare turn ends at the ack. Ours: `outsource-check slack` (HTTP mode, SQLite store); "
            "our turn ends when the in-place update reaches the fake Slack's response_url. The floor (rows marked \"against the floor\", "
            "judged by issue 15's targets): the same bare app whose listener, after the ack, posts the click's own blocks back to "
            "its response_url over one kept-alive aiohttp session (`BARE_UPDATE=1`); its turn ends, like ours, when that update "
            "reaches the fake. The three servers take turns block by block (bare, the floor, ours)."
        )
        section.notes.append(
            "Per block (ours/bare turns/s): "
            + ", ".join(f"{o.throughput:.0f}/{b.throughput:.0f}" for o, b in zip(ours_runs, bare_runs, strict=True))
        )
        section.notes.append(
            "Per block (ours/floor turns/s): "
            + ", ".join(f"{o.throughput:.0f}/{u.throughput:.0f}" for o, u in zip(ours_runs, updating_runs, strict=True))
        )
        section.notes.append(f"Fake Slack calls seen: {dict(fake.calls)}")
    finally:
        bare.stop()
        updating.stop()
        ours.stop()
        await store.close()
        await fake.stop()
    return section
