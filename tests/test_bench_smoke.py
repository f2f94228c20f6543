"""A smoke run of every benchmark at the smallest scale, so they never rot.

Only that each ran and produced numbers is checked: speed is measured by `python -m bench`,
never asserted here (these machines are shared and noisy, see docs/performance.md).
"""

from __future__ import annotations

import math
import re

import pytest

from bench import crowd, discord_turn, engine_dialogs, memory, run, slack_turn, stores
from bench.common import SMOKE, Row, Section
from tests.conftest import REDIS_URL


@pytest.fixture(autouse=True)
def _bench_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    """The benchmarks' own databases (13, and 12 for the stores' small side) on whichever Redis the tests use."""
    server = re.sub(r"/\d+$", "", REDIS_URL)
    for module in (stores, crowd, memory):
        monkeypatch.setattr(module, "BENCH_REDIS_URL", server + "/13")
    monkeypatch.setattr(stores, "BENCH_REDIS_SMALL_URL", server + "/12")


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
