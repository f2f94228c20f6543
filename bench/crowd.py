"""Benchmark 5: a crowd. Many people each run a whole check at once, on two processes sharing Redis.

As in tests/slack/test_multiprocess.py, two real `outsource-check slack` processes in HTTP mode
share one Redis (`OUTSOURCE_CHECK_BENCH_REDIS`, under a key prefix of this run's own, see
bench/keyspace.py) behind a round-robin "load balancer" (each request goes to the other process),
against a local fake Slack. Every user starts with the slash command and clicks
the buttons of the message they actually see until the result. Afterwards the store is read back:
every user must have exactly the answers they clicked, none lost and none doubled.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

from bench import keyspace
from bench.common import BENCH_REDIS_URL, SECRET, Row, Scale, Section, percentile, quiet_heap
from bench.fake_slack import LeanFakeSlack, Message
from bench.loadgen import TURN_TIMEOUT, post
from bench.procs import Server, free_port, ours_env
from bench.slack_clicks import TEAM, block_actions, choose, encode
from bot.conversation.buttons import decode

TITLE = "5. Crowd: many users at once on two Slack processes sharing Redis"
SLACK_LIMIT_MS = 3000.0


@dataclass
class Person:
    user_id: str
    clicked: list[tuple[str, object]] = field(default_factory=list)
    finished: bool = False
    refused: int = 0  # turns the bot answered with a notice (e.g. "try again") instead of an update
    problem: str = ""


def command_body(user_id: str, reply_root: str, trigger: int) -> bytes:
    return urlencode({
        "token": "legacy", "team_id": TEAM, "team_domain": "acme", "channel_id": "C0GENERAL", "channel_name": "general",
        "user_id": user_id, "user_name": user_id.lower(), "command": "/outsource-check", "text": "", "api_app_id": "A1",
        "is_enterprise_install": "false", "response_url": f"{reply_root}/response_url/CMD{user_id}/cmd{trigger}",
        "trigger_id": f"trig.{trigger}",
    }).encode()


def _canon(value: object) -> object:
    """Stored answers are normalised (multi in the dialog's order, a scale as a number): compare their meaning."""
    return frozenset(map(str, value)) if isinstance(value, (list, tuple)) else str(value)


async def _until(fake: LeanFakeSlack, message: Message | None, channel: str, updates: int, notices: int) -> str:
    """"updated", "notice" (the bot whispered instead, e.g. "try again"), or "nothing" after the bounded wait."""
    deadline = time.perf_counter() + TURN_TIMEOUT
    while time.perf_counter() < deadline:
        if message is not None and message.updates >= updates:
            return "updated"
        if fake.ephemerals[channel] > notices:
            return "notice"
        await asyncio.sleep(0.01)
    return "nothing"


async def run(scale: Scale, workdir: Path, single_process_rate: float | None = None) -> Section:
    section = Section("crowd", TITLE)
    fake = await LeanFakeSlack().start()
    store = keyspace.open_store(BENCH_REDIS_URL, "crowd")  # this run's keys only: runs may share the server
    servers = [
        Server(keyspace.cli_args(store._p, "slack"), ours_env(fake.api_url, BENCH_REDIS_URL, SECRET), workdir / f"crowd{i}.log",
               free_port())
        for i in range(2)
    ]
    acks: list[float] = []
    turns: list[float] = []
    errors = 0
    balancer = itertools.cycle(servers)
    run = uuid.uuid4().hex[:6].upper()  # user ids of this run alone
    people = [Person(f"UC{run}{i:06d}") for i in range(scale.crowd_users)]
    try:
        await asyncio.gather(*(s.ready() for s in servers))

        async def send(http: aiohttp.ClientSession, body: bytes) -> float | None:
            nonlocal errors
            started = time.perf_counter()
            try:
                status = await post(http, next(balancer).url, body)
            except (TimeoutError, aiohttp.ClientError):
                status = 0
            if status != 200:
                errors += 1
                return None
            acks.append(time.perf_counter() - started)
            return started

        async def person(http: aiohttp.ClientSession, who: Person, rng: random.Random, number: int) -> None:
            await asyncio.sleep(rng.random())  # people arrive over about a second
            channel, command_channel = f"D{who.user_id}", f"CMD{who.user_id}"
            notices = fake.ephemerals[command_channel]
            started = await send(http, command_body(who.user_id, fake.root, number))
            if started is None:
                who.problem = "command failed"
                return
            deadline = time.perf_counter() + TURN_TIMEOUT
            while time.perf_counter() < deadline:  # the DM message appears, then its first question (or a notice)
                if channel in fake.latest and fake.latest[channel].updates:
                    break
                if fake.ephemerals[command_channel] > notices + 1:  # past "I've sent you a DM": a refusal
                    break
                await asyncio.sleep(0.01)
            if not (channel in fake.latest and fake.latest[channel].updates):
                who.refused += 1
                who.problem = "the check did not start (the bot answered with a notice)"
                return
            message = fake.latest[channel]
            turns.append(message.updated_at - started)
            for _ in range(100):  # bounded: the shipped check has about 15 questions
                blocks = message.blocks
                if any(b.get("type") == "header" and b["text"]["text"].startswith("Recommendation:") for b in blocks):
                    who.finished = True
                    return
                element, state, value = choose(blocks, rng)
                node = decode(next(b for b in blocks if b.get("block_id") == "answer")["elements"][0]["value"]).node
                seen, notices = message.updates, fake.ephemerals[channel]
                body = encode(block_actions(who.user_id, channel, message.ts, blocks, element, state, fake.root))
                sent = await send(http, body)
                outcome = "nothing" if sent is None else await _until(fake, message, channel, seen + 1, notices)
                if outcome == "notice":
                    who.refused += 1
                    who.problem = "a click was refused with a notice (the user is asked to try again)"
                    continue  # a person clicks again, as the notice asks
                if outcome == "nothing":
                    who.problem = "a click got neither an update nor a notice"
                    return
                who.clicked.append((node, value))
                turns.append(message.updated_at - sent)

        connector = aiohttp.TCPConnector(limit=scale.crowd_users + 50)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as http:
            with quiet_heap(no_passes=True):  # the bots run in processes of their own
                started = time.perf_counter()
                await asyncio.gather(*(person(http, p, random.Random(i), i) for i, p in enumerate(people)))
                elapsed = time.perf_counter() - started
        rss = [s.rss_kib() for s in servers]
        lost = doubled = wrong = missing = 0
        for who in people:
            sessions = await store.sessions_of(f"slack:{TEAM}:{who.user_id}")
            if len(sessions) != 1:
                missing += 0 if (not sessions and who.refused and not who.clicked) else 1
                continue
            stored = [(a.node, a.value) for a in sessions[0].answers]
            expected = [(n, _canon(v)) for n, v in who.clicked]
            stored = [(n, _canon(v)) for n, v in stored]
            lost += max(0, len(expected) - len(stored))
            doubled += max(0, len(stored) - len(expected))  # answers, not versions: how many saves a start makes may change
            wrong += sum(1 for a, b in zip(stored, expected, strict=False) if a != b)
        finished = sum(p.finished for p in people)
        refused = sum(p.refused for p in people)
        logged = [line for s in servers for line in s.log.read_text().splitlines() if "store unavailable" in line]
        refusals = f"the bots logged {len(logged)} x 'store unavailable'" + (
            f", e.g. {json.loads(logged[0])['message']!r}" if logged else "")
        ms = [a * 1000 for a in acks]
        total_turns = len(turns)
        rate = total_turns / elapsed
        section.add(
            Row("checks finished", finished, len(people), "checks", "users", "all", finished == len(people),
                note="; ".join(sorted({p.problem for p in people if p.problem}))),
            Row("answers lost (store vs clicks)", lost + missing, 0, "answers", "none", "0", lost + missing == 0,
                note="clicks that were answered with an update but are missing from the store"),
            Row("turns refused with a notice instead of an update", refused, 0, "turns", "none", "0", refused == 0,
                note=refusals),
            Row("answers doubled or wrong (store vs clicks)", doubled + wrong, 0, "answers", "none", "0", doubled + wrong == 0),
            *(Row(f"ack {name}", percentile(ms, pct), SLACK_LIMIT_MS, "ms", "Slack's 3 s limit", "far inside 3 s",
                  percentile(ms, pct) < SLACK_LIMIT_MS / 3) for name, pct in (("p50", 50), ("p95", 95), ("p99", 99), ("max", 100))),
            Row("turn p99: request -> message updated", percentile(turns, 99) * 1000, SLACK_LIMIT_MS, "ms", "Slack's 3 s limit"),
            Row("throughput, turns/s (two processes)", rate, single_process_rate, "turns/s",
                "one process, SQLite (benchmark 1)" if single_process_rate else "", note=f"{total_turns:,} turns in {elapsed:.1f} s"),
            Row("HTTP errors", errors, 0, "requests", "none", "0", errors == 0),
        )
        section.method = (
            f"{len(people)} simulated users, arriving within about a second, each sending `/outsource-check` and then clicking "
            "(a random answer, or ticking options and pressing Next) on the message the fake Slack holds for them, as soon as "
            "it was updated; requests alternate between the two processes. A turn is one slash command or click; the ack is the "
            "HTTP response to Slack. The store is read back afterwards and each user's stored answers compared with their clicks."
        )
        section.notes.append(f"Resident memory of the two bot processes afterwards: {', '.join(f'{r / 1024:.0f} MiB' for r in rss)}")
        section.notes.append(f"Fake Slack calls: {dict(fake.calls)}")
    finally:
        for server in servers:
            server.stop()
        await keyspace.close_store(store)
        await fake.stop()
    return section
