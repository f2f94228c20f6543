"""The one load generator both Slack apps get: closed loop for throughput, paced for latency.

A click is signed as Slack signs it and posted over a kept-alive loopback connection. For the
bare app a turn ends at its ack (that is all it does); for ours a turn ends when the in-place
update reaches the fake Slack, because that is when the user sees the answer land. Each
simulated user clicks its next button only after its previous turn ended, as a person would.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field

import aiohttp

from bench.common import SECRET, measured_quietly, median, percentile
from bench.fake_slack import LeanFakeSlack
from bench.slack_clicks import PlannedCheck, sign

TURN_TIMEOUT = 15.0  # a turn whose update has not arrived by then is counted as lost


@dataclass
class Measure:
    acks: list[float] = field(default_factory=list)  # seconds from send to the HTTP ack
    turns: list[float] = field(default_factory=list)  # seconds from send to the turn's end
    elapsed: float = 0.0
    lost: int = 0
    errors: int = 0

    @property
    def throughput(self) -> float:
        return len(self.turns) / self.elapsed if self.elapsed else 0.0

    def summary(self) -> dict[str, float]:
        ms = 1000.0
        return {
            "turns": len(self.turns),
            "throughput": self.throughput,
            "ack_p50_ms": percentile(self.acks, 50) * ms,
            "ack_p99_ms": percentile(self.acks, 99) * ms,
            "turn_p50_ms": percentile(self.turns, 50) * ms,
            "turn_p95_ms": percentile(self.turns, 95) * ms,
            "turn_p99_ms": percentile(self.turns, 99) * ms,
            "turn_max_ms": max(self.turns, default=float("nan")) * ms,
            "lost": self.lost,
            "errors": self.errors,
        }


def client(concurrency: int) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=concurrency * 2, force_close=False)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30))


async def post(http: aiohttp.ClientSession, url: str, body: bytes, content_type: str = "application/x-www-form-urlencoded") -> int:
    headers = {"Content-Type": content_type, **sign(body, SECRET)}
    async with http.post(url, data=body, headers=headers) as response:
        await response.read()
        return response.status


async def _one_turn(http, url: str, body: bytes, started: float, measure: Measure, fake: LeanFakeSlack | None, check: PlannedCheck, done_before: int,
                    timeout: float = TURN_TIMEOUT) -> bool:
    sent = time.perf_counter()
    try:
        status = await post(http, url, body)
    except (TimeoutError, aiohttp.ClientError):
        measure.errors += 1
        return False
    acked = time.perf_counter()
    if status != 200:
        measure.errors += 1
        return False
    measure.acks.append(acked - sent)
    if fake is None:
        measure.turns.append(acked - started)
        return True
    message = fake.message(check.channel, check.ts)
    deadline = sent + timeout
    while message.updates <= done_before:
        left = deadline - time.perf_counter()
        if left <= 0:
            measure.lost += 1
            return False
        try:
            await asyncio.wait_for(message.changed.wait(), left)
        except TimeoutError:
            continue
    # done when both happened: Slack's clock stops at the ack, the user sees the update
    measure.turns.append(max(message.updated_at, acked) - started)
    return True


@measured_quietly
async def closed_loop(url: str, checks: list[PlannedCheck], *, clicks: int, concurrency: int, fake: LeanFakeSlack | None,
                      turn_timeout: float = TURN_TIMEOUT) -> Measure:
    """`concurrency` users click as fast as their turns end, until `clicks` clicks were sent
    (`turn_timeout`: longer for a server under valgrind, some 50 times slower)."""
    measure = Measure()
    queue = deque(checks)
    sent = 0

    async def user(http: aiohttp.ClientSession) -> None:
        nonlocal sent
        while queue and sent < clicks:
            check = queue.popleft()
            base = fake.message(check.channel, check.ts).updates if fake is not None else 0
            for index, click in enumerate(check.clicks):
                if sent >= clicks:
                    return
                sent += 1
                if not await _one_turn(http, url, click.body, time.perf_counter(), measure, fake, check, base + index, turn_timeout):
                    break

    async with client(concurrency) as http:
        started = time.perf_counter()
        await asyncio.gather(*(user(http) for _ in range(concurrency)))
        measure.elapsed = time.perf_counter() - started
    return measure


@measured_quietly
async def paced(url: str, checks: list[PlannedCheck], *, rate: float, seconds: float, fake: LeanFakeSlack | None) -> Measure:
    """Clicks arrive at a fixed rate whatever the server does (latency measured from the planned send time)."""
    measure = Measure()
    idle: deque[tuple[PlannedCheck, int, int]] = deque(
        (c, 0, fake.message(c.channel, c.ts).updates if fake is not None else 0) for c in checks
    )
    tasks: set[asyncio.Task] = set()
    skipped = 0

    async def turn(http, check: PlannedCheck, index: int, base: int, planned: float) -> None:
        ok = await _one_turn(http, url, check.clicks[index].body, planned, measure, fake, check, base + index)
        if ok and index + 1 < len(check.clicks):
            idle.append((check, index + 1, base))

    total = int(rate * seconds)
    async with client(max(8, int(rate))) as http:
        started = time.perf_counter()
        for k in range(total):
            planned = started + k / rate
            delay = planned - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if not idle:
                skipped += 1
                continue
            check, index, base = idle.popleft()
            task = asyncio.create_task(turn(http, check, index, base, planned))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks, timeout=TURN_TIMEOUT * 2)
        measure.elapsed = time.perf_counter() - started
    measure.errors += skipped
    return measure


def med(measures: list[Measure], key: str) -> float:
    return median([m.summary()[key] for m in measures])
