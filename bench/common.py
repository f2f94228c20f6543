"""What every benchmark shares: result rows, robust statistics, the machine description.

Figures are never a single absolute time: each row carries the baseline measured in the same
run beside our figure, and the ratio between them, because these machines are shared and noisy.
"""

from __future__ import annotations

import functools
import gc
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")
ROOT = Path(__file__).resolve().parent.parent
# The benchmarks' Redis. Every run keeps to keys under a prefix of its own and deletes only those
# (bench/keyspace.py): nothing is flushed, so runs and test runs can share the server and database.
BENCH_REDIS_URL = os.environ.get("OUTSOURCE_CHECK_BENCH_REDIS", "redis://127.0.0.1:6379/13")
# the stores benchmark's small side, beside the large one on the same server: another database,
# so that its key table stays small (Redis keeps one per database)
BENCH_REDIS_SMALL_URL = os.environ.get("OUTSOURCE_CHECK_BENCH_REDIS_SMALL", "redis://127.0.0.1:6379/12")
SECRET = "bench-signing-secret"


@dataclass
class Row:
    """One line of a results table: our figure, the baseline beside it, and how they compare."""

    measure: str
    ours: float | None
    baseline: float | None
    unit: str
    baseline_label: str = ""
    target: str = ""
    met: bool | None = None  # None: no target on this row, or it could not be measured
    note: str = ""
    ratio: float | None = None  # ours / baseline unless given

    def __post_init__(self) -> None:
        if self.ratio is None and self.ours is not None and self.baseline:
            self.ratio = self.ours / self.baseline


@dataclass
class Section:
    """One benchmark's results: its rows, and what a reader needs to read them."""

    key: str
    title: str
    rows: list[Row] = field(default_factory=list)
    method: str = ""
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, *rows: Row) -> None:
        self.rows.extend(rows)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Scale:
    """How big each benchmark runs: `full` for the report, `quick` for a look, `smoke` for the tests."""

    name: str
    slack_clicks: int  # clicks per measurement block, per app
    slack_blocks: int  # alternating bare/ours blocks
    slack_concurrency: int
    paced_seconds: float  # the equal-load latency comparison, per app
    dialog_sizes: tuple[int, ...]
    validate_timeout: float
    engine_turns: int
    store_ops: int
    store_sizes: tuple[int, int]
    crowd_users: int
    memory_sessions: int
    discord_clicks: int = 3000  # clicks per measurement block, per client
    discord_blocks: int = 3  # alternating bare/ours blocks
    discord_users: int = 32
    # benchmark 9 (bench/capacity.py): concurrent users per step, seconds of ramp-up and of the
    # measured window per step, and each user's think time between answers (uniform, seconds)
    capacity_steps: tuple[int, ...] = (250, 500, 1000, 1500, 2000, 2500, 3000, 4000, 5000, 6000, 7000, 8000, 10000, 12000)
    capacity_ramp: float = 15.0
    capacity_window: float = 30.0
    capacity_think: tuple[float, float] = (3.0, 15.0)
    # benchmark 10 (bench/instructions.py): measured clicks per run under callgrind (the second run
    # has twice as many), after this many warm-up clicks
    instruction_clicks: int = 300
    instruction_warm: int = 100

    @classmethod
    def named(cls, name: str) -> Scale:
        return {"full": FULL, "quick": QUICK, "smoke": SMOKE}[name]


FULL = Scale("full", 3000, 3, 32, 8.0, (10, 1000, 10000), 40.0, 4000, 3000, (1_000, 1_000_000), 500, 10_000, 3000, 3, 32)
QUICK = Scale("quick", 500, 2, 32, 2.0, (10, 1000), 3.0, 600, 500, (1_000, 20_000), 60, 2_000, 500, 2, 32,
              capacity_steps=(200, 1000), capacity_ramp=4.0, capacity_window=8.0, instruction_clicks=100, instruction_warm=40)
SMOKE = Scale("smoke", 60, 1, 4, 0.5, (10, 100), 2.0, 60, 50, (100, 500), 6, 200, 60, 1, 4,
              capacity_steps=(6, 12), capacity_ramp=0.5, capacity_window=1.5, capacity_think=(0.05, 0.2),
              instruction_clicks=4, instruction_warm=4)


# Issue 15's targets against the floor of benchmarks 1 and 2: a bare app that acknowledges *and*
# sends the update, measured in the same run. The issue-7 rows beside them judge against a bare
# app that only acknowledges; both stay, so the history reads the same way run after run.
FLOOR_THROUGHPUT = 0.85  # full-load throughput at least this share of the floor's
FLOOR_P99 = 1.2  # p99 at full load at most this multiple of the floor's
FLOOR_CPU_MS = 0.25  # CPU per turn at most the floor's plus this many milliseconds


@dataclass(frozen=True)
class Floor:
    """One side's closed-loop figures, ours or the floor's, for `against_floor`."""

    throughput: float  # median turns/s over the blocks
    p99_ms: float  # median of the blocks' p99 at full load
    cpu_ms: float  # CPU per turn over the blocks


def against_floor(ours: Floor, floor: Floor, *, ratio: float, labels: tuple[str, str, str], what: str) -> list[Row]:
    """Issue 15's three judged rows: throughput (`ratio`, the median of the per-block ratios), p99 and CPU.

    `labels` name the floor's figures (throughput, p99, CPU) in the baseline column; `what` says
    what a turn is on this platform, for the p99 row's name."""
    return [
        Row("against the floor: throughput, full turns/s (closed loop)", ours.throughput, floor.throughput, "turns/s", labels[0],
            f">= {FLOOR_THROUGHPUT:.2f}x the floor", ratio >= FLOOR_THROUGHPUT, ratio=ratio,
            note="issue 15; ratio = median of the per-block ratios"),
        Row(f"against the floor: p99 at full load: {what}", ours.p99_ms, floor.p99_ms, "ms", labels[1],
            f"<= {FLOOR_P99:g}x the floor", ours.p99_ms <= FLOOR_P99 * floor.p99_ms, note="issue 15"),
        Row("against the floor: CPU per full-load turn", ours.cpu_ms, floor.cpu_ms, "ms", labels[2],
            f"<= the floor + {FLOOR_CPU_MS:g} ms", ours.cpu_ms <= floor.cpu_ms + FLOOR_CPU_MS,
            note=f"issue 15; ours - the floor = {ours.cpu_ms - floor.cpu_ms:+.3f} ms"),
    ]


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: a p99 is a latency someone really waited)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def time_per_call(fn: Callable[[], object], *, repeats: int, number: int) -> list[float]:
    """Seconds per call, one figure per repeat: the median of these is what gets reported."""
    out = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(number):
            fn()
        out.append((time.perf_counter() - started) / number)
    return out


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def _redis_version() -> str:
    try:
        out = subprocess.run(["redis-cli", "-u", BENCH_REDIS_URL, "info", "server"], capture_output=True, text=True, timeout=5)
        for line in out.stdout.splitlines():
            if line.startswith("redis_version:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return "unknown"


def machine() -> dict[str, str]:
    """What the figures were measured on: they mean little without it."""
    import yaml

    return {
        "CPU": _cpu_model(),
        "cores": str(os.cpu_count()),
        "memory": _memory(),
        "OS": f"{platform.system()} {platform.release()}",
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "libraries": ", ".join(
            f"{p} {_version(p)}" for p in ("slack-bolt", "slack-sdk", "aiohttp", "discord.py", "redis", "PyYAML")
        )
        + f" (libyaml: {'yes' if getattr(yaml, '__with_libyaml__', False) else 'no'})",
        "Redis server": _redis_version(),
    }


def python() -> str:
    return sys.executable


def fmt(value: float | None, unit: str = "") -> str:
    """Three significant figures, thousands separated: readable at a glance in a table."""
    if value is None or value != value:  # None or NaN
        return "n/a"
    magnitude = abs(value)
    if magnitude >= 1000:
        text = f"{value:,.0f}"
    elif magnitude >= 100:
        text = f"{value:.0f}"
    elif magnitude >= 10:
        text = f"{value:.1f}"
    elif magnitude >= 1:
        text = f"{value:.2f}"
    elif magnitude == 0:
        text = "0"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}".strip()


@contextmanager
def quiet_heap(*, no_passes: bool = False) -> Iterator[None]:
    """Keep what the harness built so far out of the cyclic GC's sight while a block is measured.

    The benchmark process keeps its planned clicks, the fake's messages and earlier blocks'
    figures; Python's full GC passes over that heap took 170-380 ms each (measured with
    gc.callbacks) and landed on whichever side happened to be measured. Frozen objects are still
    freed by reference counting; only the rescans stop. Unfrozen afterwards, so a process that
    goes on (the smoke tests run in pytest's) is left as it was.

    `no_passes`: no cyclic GC at all until the block ends, for a load generator that holds what it
    builds during the block (benchmark 9's thousands of people and their messages): its full passes
    over that took 70-170 ms (gc.callbacks, 5,000 people), stalling its loop, and every answer that
    arrived meanwhile was counted as the app's ack latency. Only in a process that does not hold
    the app being measured; the garbage is collected when the block ends.
    """
    gc.collect()
    gc.freeze()
    paused = no_passes and gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if paused:
            gc.enable()
            gc.collect()


def measured_quietly(block: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """A measured block (an async function) run inside `quiet_heap`."""

    @functools.wraps(block)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with quiet_heap():
            return await block(*args, **kwargs)

    return run
