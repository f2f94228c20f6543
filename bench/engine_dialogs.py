"""Benchmark 3: the pure engine's turns/s, and loading/validating dialogs of 10 to 10,000 nodes.

Validation must grow about linearly (10,000 nodes at most 15x the cost of 1,000; aim well under a
second) and a turn must not cost more in a bigger dialog. Validation of a big dialog can take
very long, so each size is validated in its own process that reports every stage as it ends and
is stopped at a time limit: a stage that did not finish is reported as such, never waited for.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from bench.common import ROOT, Row, Scale, Section, median, time_per_call
from bench.dialog_gen import dialog_yaml
from bot.conversation import engine
from bot.conversation.replies import Question
from bot.dialogs.catalog import MAIN_DIALOG, Catalog
from bot.dialogs.model import AnswerRecord, Dialog

TITLE = "3. Engine and dialogs"
STAGES = ("load", "reachability", "dead_ends", "limits", "paths_walk")


def _walk_answers(dialog: Dialog, depth: int) -> list[tuple[str, object]]:
    """The first `depth` answers of one path (always the first choice), to replay as turns."""
    step = engine.start(dialog, session_id="p", owner="bench", now=0.0)
    out: list[tuple[str, object]] = []
    while len(out) < depth and step.replies and isinstance(step.replies[0], Question):
        question = step.replies[0]
        value: object = question.options[0].id if question.kind != "multi" else (question.options[0].id,)
        out.append((question.node, value))
        step = engine.answer(dialog, step.session, node=question.node, value=value, version=step.session.version, now=0.0)
    return out


def turns_per_second(dialog: Dialog, *, turns: int) -> tuple[float, int]:
    """Whole checks through the engine, start to result: (turns/s, turns in one check)."""
    path = _walk_answers(dialog, 10_000)

    def one_check() -> None:
        step = engine.start(dialog, session_id="t", owner="bench", now=0.0)
        for node, value in path:
            step = engine.answer(dialog, step.session, node=node, value=value, version=step.session.version, now=0.0)

    checks = max(1, turns // max(1, len(path)))
    per_check = time_per_call(one_check, repeats=5, number=checks)
    return len(path) / median(per_check), len(path)


def turn_at_depth(dialog: Dialog, depth: int, repeats: int) -> float:
    """Seconds for one answer at the same depth (same number of earlier answers) in any dialog."""
    path = _walk_answers(dialog, depth + 1)
    step = engine.start(dialog, session_id="d", owner="bench", now=0.0)
    for node, value in path[:-1]:
        step = engine.answer(dialog, step.session, node=node, value=value, version=step.session.version, now=0.0)
    session, (node, value) = step.session, path[-1]
    return median(time_per_call(lambda: engine.answer(dialog, session, node=node, value=value, version=session.version, now=0.0),
                                repeats=7, number=repeats))


def validate_stages(nodes: int, timeout: float) -> dict[str, float | str]:
    """Seconds per validation stage of a generated dialog, from a worker process stopped at `timeout`."""
    command = [sys.executable, "-m", "bench.engine_dialogs", "--validate-worker", str(nodes)]
    found: dict[str, float | str] = {}
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, env={"PYTHONPATH": str(ROOT), "PATH": ""})
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
    for line in out.splitlines():
        stage, seconds = json.loads(line)
        found[stage] = seconds
    return found


def _worker(nodes: int) -> None:
    """Runs in its own process: load, then each validator stage, printing each time as it ends."""
    from bot.dialogs import validator
    from bot.dialogs import walk as paths
    from bot.dialogs.loader import load_dialog_text

    text = dialog_yaml(nodes)
    started = time.perf_counter()
    dialog = load_dialog_text(text, f"generated_{nodes}.yaml")
    print(json.dumps(["load", time.perf_counter() - started]), flush=True)
    print(json.dumps(["nodes", len(dialog.nodes)]), flush=True)
    for stage, work in (
        ("reachability", lambda: validator._reachability(dialog)),
        ("dead_ends", lambda: validator._dead_ends(dialog)),
        ("limits", lambda: validator._limits(dialog)),
        ("paths_walk", lambda: paths.walk(dialog)),
    ):
        started = time.perf_counter()
        try:
            work()
        except RecursionError as exc:  # reported, not raised: a dialog too deep for a recursive walk is a finding
            print(json.dumps([f"{stage} failed", f"RecursionError ({exc}) after {time.perf_counter() - started:.3g} s"]), flush=True)
            continue
        print(json.dumps([stage, time.perf_counter() - started]), flush=True)
    paths._reports.clear()  # the full check again, as `outsource-check validate` runs it (walk not cached)
    started = time.perf_counter()
    try:
        validator.check(dialog)
    except RecursionError as exc:
        print(json.dumps(["validate failed", f"RecursionError ({exc}) after {time.perf_counter() - started:.3g} s"]), flush=True)
        return
    print(json.dumps(["validate", time.perf_counter() - started]), flush=True)


def run(scale: Scale) -> Section:
    section = Section("engine", TITLE)
    catalog = Catalog.load()
    shipped = catalog.dialogs[MAIN_DIALOG]
    rate, length = turns_per_second(shipped, turns=scale.engine_turns)
    # the baseline: the same turn's cheapest necessary part, replaying the answers to find the position
    path = _walk_answers(shipped, 10_000)
    records = tuple(AnswerRecord(n, v) for n, v in path)
    replay_cost = median(time_per_call(lambda: engine.replay(shipped, records[: len(records) // 2]), repeats=5,
                                       number=max(50, scale.engine_turns // 4)))
    section.add(Row("pure engine, turns/s on the shipped dialog", rate, 1 / replay_cost, "turns/s",
                    "replaying half a check's answers alone, /s", note=f"whole checks of {length} answers, start to result"))

    sizes = scale.dialog_sizes
    stages = {n: validate_stages(n, scale.validate_timeout) for n in sizes}
    limit = f"did not finish within {scale.validate_timeout:.0f} s"
    base_n = 1000 if 1000 in sizes else sizes[0]
    for n in sizes:
        got = stages[n]
        for stage in ("load", "dead_ends", "paths_walk", "validate"):
            ours, baseline = got.get(stage), stages[base_n].get(stage)
            failed = got.get(f"{stage} failed")
            ours = ours if isinstance(ours, float) else None
            baseline = baseline if isinstance(baseline, float) else None
            target, met = "", None
            if n == 10_000 and stage in ("load", "validate"):
                target = "<= 15x the 1,000-node cost" + ("; < 1 s" if stage == "validate" else "")
                met = ours is not None and baseline is not None and ours <= 15 * baseline and (stage != "validate" or ours < 1)
            section.add(Row(f"{stage.replace('_', ' ')}: {n:,} nodes", ours, baseline if n != base_n else None, "s",
                            f"same stage, {base_n:,} nodes", target, met,
                            note="" if ours is not None else str(failed or limit)))
    # a turn at the same depth in each size: first as shipped, then (diagnostic) with room for deep recursion
    loaded = {n: _load_generated(n) for n in sizes}
    small: float | None = None
    for n, dialog in loaded.items():
        problem = ""
        try:
            engine.start(dialog, session_id="x", owner="bench", now=0.0)
        except RecursionError:
            problem = "RecursionError in bot.dialogs.facts.facts: a dialog this deep cannot be started at all"
        if problem:
            section.add(Row(f"one turn at depth 5: {n:,} nodes", None, small, "s", f"same turn, {sizes[0]:,} nodes",
                            "<= 1.2x the small dialog's turn", False, note=problem))
            limit_before = sys.getrecursionlimit()
            sys.setrecursionlimit(max(limit_before, 4 * n + 1000))
            try:
                started = time.perf_counter()
                engine.start(dialog, session_id="x", owner="bench", now=0.0)
                first = time.perf_counter() - started
                cost = turn_at_depth(dialog, 5, max(20, scale.engine_turns // 20))
            finally:
                sys.setrecursionlimit(limit_before)
            section.add(Row(f"one turn at depth 5: {n:,} nodes, recursion limit raised (diagnostic)", cost, small, "s",
                            f"same turn, {sizes[0]:,} nodes", note=f"the dialog's first turn (computing its facts) took {first:.3g} s"))
            continue
        cost = turn_at_depth(dialog, 5, max(20, scale.engine_turns // 20))
        if small is None:
            small = cost
            section.add(Row(f"one turn at depth 5: {n:,} nodes", cost, None, "s"))
        else:
            section.add(Row(f"one turn at depth 5: {n:,} nodes", cost, small, "s", f"same turn, {sizes[0]:,} nodes",
                            "<= 1.2x the small dialog's turn", cost <= 1.2 * small))
    section.method = (
        "Engine: whole checks through `engine.start` + `engine.answer` on the shipped `outsource_check` dialog, median of 5 "
        "repeats. Dialogs: generated by `bench/dialog_gen.py` in sections shaped like the shipped dialog (a message, six "
        "scored choice questions, a detour note, a scale, a branch on a score that can skip a section; outcome rules on "
        "scores and an answer). Each size is loaded and validated in its own process, stage by stage "
        "(`load` = YAML parse and build, `dead ends` and `paths walk` are the two costly validator stages, `validate` = "
        f"`bot.dialogs.validator.check` as `outsource-check validate` runs it), stopped after {scale.validate_timeout:.0f} s. "
        "The turn comparison answers the 6th question of each dialog (5 earlier answers), so only the dialog's size differs."
    )
    for n in sizes:
        section.notes.append(f"{n:,} nodes: stages finished: " + ", ".join(
            f"{k} {v:.3g}" if isinstance(v, float | int) else f"{k}: {v}" for k, v in stages[n].items()))
    return section


def _load_generated(nodes: int) -> Dialog:
    from bot.dialogs.loader import load_dialog_text

    return load_dialog_text(dialog_yaml(nodes), f"generated_{nodes}.yaml")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--validate-worker", type=int, required=True)
    _worker(parser.parse_args().validate_worker)
