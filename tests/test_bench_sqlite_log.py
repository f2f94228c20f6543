"""A smoke run of the SQLite log benchmark (`python -m bench --only sqlite_log`), so it never rots.

Only that it runs, through `python -m bench`'s own registry, and produces numbers is checked: the
log's size and the event loop's stalls depend on the disk and the SQLite build, so they are
measured by the benchmark and never asserted here.
"""

from __future__ import annotations

import math

from bench import run, sqlite_log
from bench.common import SMOKE


async def test_the_sqlite_log_benchmark_runs_and_produces_numbers(tmp_path) -> None:
    assert "sqlite_log" in run.ORDER
    section = await run.run_section("sqlite_log", SMOKE, tmp_path, {})
    assert section.key == "sqlite_log" and section.title == sqlite_log.TITLE and section.method
    measures = [row.measure for row in section.rows]
    assert measures[0] == "log peak, one process" and "log peak, two processes on one file" in measures
    for row in section.rows:
        assert row.ours is not None and row.baseline is not None, row
        assert math.isfinite(row.ours) and math.isfinite(row.baseline) and row.baseline > 0, row
    assert all(row.ours > 0 for row in section.rows if row.measure.startswith("log peak")), "the log was read while in use"


def test_the_plan_saves_each_users_checks_in_version_order() -> None:
    saves = sqlite_log.USERS * 2 * (sqlite_log.QUESTIONS + 1)  # two whole checks each
    planned = sqlite_log.plan(saves, "t")
    assert sum(len(mine) for mine in planned) == saves
    for mine in planned:
        versions: dict[str, int] = {}
        for session, expected in mine:
            assert expected == versions.get(session.id, 0) and session.version == expected + 1
            versions[session.id] = session.version
    assert any(session.finished for mine in planned for session, _ in mine), "checks finish and the next one starts"
