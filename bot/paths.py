"""Walks every path through a dialog and counts where each one ends.

Paths multiply (fifteen questions of three choices are fourteen million of them), but what a path
can still do depends only on where it stands, its scores, and the answers that some rule reads.
Walking those states once each, and counting the paths into them, covers every path exactly.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from dataclasses import dataclass, field

from bot import conditions
from bot.graph import topological_order
from bot.loader import RESULT
from bot.model import SCALE_VALUES, AllOf, AnswerTest, Dialog, Node
from bot.scoring import answer_scores, choose_outcome, next_after, record_answer, route
from bot.session import AnswerRecord, AnswerValue

MAX_STATES = 600_000
MAX_SUBSETS = 4096
SAMPLE_STEPS = 200_000  # node visits the sampler may spend in all


@dataclass
class PathReport:
    dialog_id: str
    exhaustive: bool
    total: int = 0
    by_outcome: Counter[str] = field(default_factory=Counter)
    stuck: int = 0
    # one answer sequence per outcome, per distinct ending state: replayable through the engine
    examples: list[tuple[str, tuple[AnswerRecord, ...]]] = field(default_factory=list)
    note: str = ""


class _TooBig(Exception):
    pass


def answer_options(node: Node) -> tuple[list[AnswerValue], bool]:
    """Every answer a node accepts that can matter to routing, and whether that list is complete."""
    if node.kind == "choice":
        return [c.id for c in node.choices], True
    if node.kind == "scale":
        return list(SCALE_VALUES), True
    if node.kind == "text":
        return ["example"], True  # text never changes scores; rules can only ask whether it was given
    ids = [c.id for c in node.choices]
    high = node.max_picks if node.max_picks is not None else len(ids)
    sizes = range(node.min_picks, high + 1)
    count = sum(_combinations(len(ids), k) for k in sizes)
    if count > MAX_SUBSETS:
        picks = [(), tuple(ids[:high])] + [(i,) for i in ids]
        return [p for p in picks if node.min_picks <= len(p) <= high], False
    return [tuple(c) for k in sizes for c in itertools.combinations(ids, k)], True


def _combinations(n: int, k: int) -> int:
    from math import comb

    return comb(n, k)


def referenced_answers(dialog: Dialog) -> tuple[str, ...]:
    tests = [r.when for n in dialog.nodes.values() for r in n.routes]
    tests += [o.when for o in dialog.outcomes if o.when is not None]
    found = {t.node for t, _ in conditions.leaves(AllOf(tuple(tests))) if isinstance(t, AnswerTest)} if tests else set()
    return tuple(sorted(found))


def walk(
    dialog: Dialog,
    *,
    max_states: int = MAX_STATES,
    max_examples: int = 25,
    seed: int = 0,
    sample_steps: int = SAMPLE_STEPS,
) -> PathReport:
    """Every path, exactly, when the state space fits in `max_states`; else a stated random sample.

    `examples` keeps up to `max_examples` answer sequences per outcome, each ending in a different
    state, for tests to replay through the real engine.
    """
    key = (dialog.id, dialog.content_hash, max_states, max_examples, seed, sample_steps)
    if key not in _reports:
        try:
            _reports[key] = _exhaustive(dialog, max_states, max_examples)
        except _TooBig:
            _reports[key] = _sample(dialog, seed, sample_steps)
    return _reports[key]


_reports: dict[tuple, PathReport] = {}  # a dialog file's paths never change: walk each version once


def _exhaustive(dialog: Dialog, max_states: int, max_examples: int) -> PathReport:
    """Forward over the nodes in order, carrying (scores, answers rules read) -> number of paths."""
    order = topological_order(dialog)
    if order is None:
        raise _TooBig  # loops: counted by sampling
    referenced = referenced_answers(dialog)
    dims = [d.id for d in dialog.dimensions]
    clamps = _clamps(dialog, order, dims)
    canon = _answer_classes(dialog, referenced)
    # state: (score tuple, referenced answers tuple) -> (paths, one example answer sequence)
    waiting: dict[str, dict[tuple, tuple[int, tuple[AnswerRecord, ...]]]] = {n: {} for n in dialog.nodes}
    waiting[dialog.start][(tuple(0 for _ in dims), tuple(None for _ in referenced))] = (1, None)
    report = PathReport(dialog.id, exhaustive=True)
    ends: dict[tuple, tuple[int, tuple[AnswerRecord, ...]]] = {}
    walked = 0

    def arrive(target: str | None, key: tuple, count: int, example: tuple[AnswerRecord, ...]) -> None:
        if target is None:
            report.stuck += count
            return
        bucket = ends if (target == RESULT or dialog.is_outcome(target)) else waiting[target]
        full_key = (target, key) if bucket is ends else key
        known = bucket.get(full_key)
        bucket[full_key] = (count, example) if known is None else (known[0] + count, known[1])

    for node_id in order:
        node = dialog.nodes[node_id]
        states = waiting.pop(node_id)
        walked += len(states)
        if walked > max_states:
            raise _TooBig
        options, full = answer_options(node) if node.is_question else ([None], True)
        report.exhaustive = report.exhaustive and full
        if node.kind in ("message", "branch"):
            for (scores, seen), (count, example) in states.items():
                target = node.next
                if node.kind == "branch":
                    answers = {n: v for n, v in zip(referenced, seen, strict=True) if v is not None}
                    target = route(dialog, node, answers, dict(zip(dims, scores, strict=True)))
                arrive(target, (scores, seen), count, example)
            continue
        slot = referenced.index(node.id) if node.id in referenced else -1
        moves = []
        for value in options:
            target = next_after(node, value)
            delta = tuple(_sum(node, value, d) for d in dims)
            bounds = clamps.get(target or "", [None] * len(dims))
            kept = canon[node.id].get(value, value) if node.id in canon else value
            moves.append((value, target, tuple(zip(delta, bounds, strict=True)), kept))
        for (scores, seen), (count, example) in states.items():
            for value, target, steps, kept in moves:
                new_scores = tuple(
                    s + dv if b is None else max(b[0], min(b[1], s + dv)) for s, (dv, b) in zip(scores, steps, strict=True)
                )
                new_seen = seen if slot < 0 else (*seen[:slot], kept, *seen[slot + 1 :])
                arrive(target, (new_scores, new_seen), count, (example, node.id, value))
    per_outcome: Counter[str] = Counter()
    for (target, (scores, seen)), (count, example) in ends.items():
        answers = {n: v for n, v in zip(referenced, seen, strict=True) if v is not None}
        outcome = choose_outcome(dialog, answers, dict(zip(dims, scores, strict=True))) if target == RESULT else dialog.outcome(target)
        assert outcome is not None
        report.by_outcome[outcome.id] += count
        if per_outcome[outcome.id] < max_examples:
            per_outcome[outcome.id] += 1
            report.examples.append((outcome.id, _unwind(example)))
    report.total = sum(report.by_outcome.values()) + report.stuck
    report.note = f"{walked + len(ends):,} distinct states walked" + ("" if report.exhaustive else "; some multi-choice answers sampled")
    return report


def _unwind(example: tuple | None) -> tuple[AnswerRecord, ...]:
    """Examples are kept as (earlier, node, value) links while walking: one tuple per step, not a copy."""
    records: list[AnswerRecord] = []
    while example is not None:
        example, node_id, value = example
        records.append(AnswerRecord(node_id, value))
    return tuple(reversed(records))


def _answer_classes(dialog: Dialog, referenced: tuple[str, ...]) -> dict[str, dict[object, AnswerValue]]:
    """For each answer some rule reads: every possible answer -> the first one the rules can't tell apart from it.

    A rule that asks `is: yes` splits five answers into two kinds; carrying the kind instead of
    the answer stops four equivalent paths from being walked four times.
    """
    tests = [r.when for n in dialog.nodes.values() for r in n.routes] + [o.when for o in dialog.outcomes if o.when]
    leaves = [t for t, _ in conditions.leaves(AllOf(tuple(tests)))] if tests else []
    classes: dict[str, dict[object, AnswerValue]] = {}
    for node_id in referenced:
        on_node = [t for t in leaves if isinstance(t, AnswerTest) and t.node == node_id]
        first_of_kind: dict[tuple[bool, ...], AnswerValue] = {}
        mapping: dict[object, AnswerValue] = {}
        for value in answer_options(dialog.nodes[node_id])[0]:
            kind = tuple(conditions.holds(t, {}, {node_id: value}) for t in on_node)
            mapping[value] = first_of_kind.setdefault(kind, value)
        classes[node_id] = mapping
    return classes


def _clamps(dialog: Dialog, order: list[str], dims: list[str]) -> dict[str, list[tuple[int, int] | None]]:
    """Per node and dimension, the range outside which a score's exact value no longer matters.

    Rules compare scores with a few thresholds. A score so low that even every point still to
    come cannot lift it to the lowest threshold behaves like any other such score: those states
    merge, which is what keeps a dialog of many questions walkable exactly.
    """
    from bot.model import ScoreTest

    tests = [r.when for n in dialog.nodes.values() for r in n.routes] + [o.when for o in dialog.outcomes if o.when]
    thresholds: dict[str, list[int]] = {d: [] for d in dims}
    for test, _ in conditions.leaves(AllOf(tuple(tests))) if tests else ():
        if isinstance(test, ScoreTest):
            thresholds[test.dimension].append(test.value)
    # per node: the lowest and highest the points still to come can add up to at any point on a
    # path from here (prefix sums, since a branch on the way may read a partial score)
    gain: dict[str, dict[str, tuple[int, int]]] = {}
    for node_id in reversed(order):
        node = dialog.nodes[node_id]
        ahead = [gain[t] for t in node.targets() if t in gain] or [{d: (0, 0) for d in dims}]
        own = _own_range(node)
        gain[node_id] = {
            d: (
                min(0, own.get(d, (0, 0))[0] + min(a[d][0] for a in ahead)),
                max(0, own.get(d, (0, 0))[1] + max(a[d][1] for a in ahead)),
            )
            for d in dims
        }
    result: dict[str, list[tuple[int, int] | None]] = {"": [None] * len(dims)}
    for node_id in order:
        bounds: list[tuple[int, int] | None] = []
        for d in dims:
            if not thresholds[d]:
                bounds.append((0, 0))  # no rule reads it: its value never matters
                continue
            low_gain, high_gain = gain[node_id][d]
            bounds.append((min(thresholds[d]) - high_gain - 1, max(thresholds[d]) - low_gain + 1))
        result[node_id] = bounds
    for outcome_id in [RESULT, *(o.id for o in dialog.outcomes)]:
        result[outcome_id] = [
            (min(thresholds[d]) - 1, max(thresholds[d]) + 1) if thresholds[d] else (0, 0) for d in dims
        ]
    return result


def _own_range(node: Node) -> dict[str, tuple[int, int]]:
    from bot.analysis import contributions

    vectors = contributions(node) if node.is_question else []
    dims = {d for v in vectors for d in v}
    if node.kind == "multi":
        return {d: (sum(min(0, v.get(d, 0)) for v in vectors), sum(max(0, v.get(d, 0)) for v in vectors)) for d in dims}
    return {d: (min(0, *(v.get(d, 0) for v in vectors)), max(0, *(v.get(d, 0) for v in vectors))) for d in dims}


def _sum(node: Node, value: AnswerValue, dim: str) -> int:
    return sum(points for d, points in answer_scores(node, value) if d == dim)


def _sample(dialog: Dialog, seed: int, budget: int) -> PathReport:
    """Random walks stepped forward (never replayed from the start) within a fixed budget of steps."""
    rng = random.Random(seed)
    report = PathReport(dialog.id, exhaustive=False)
    steps = 0
    while steps < budget or report.total == 0:
        answers: dict[str, AnswerValue] = {}
        scores = {d.id: 0 for d in dialog.dimensions}
        records: list[AnswerRecord] = []
        target: str | None = dialog.start
        walked = 0
        while target is not None and target != RESULT and not dialog.is_outcome(target) and walked < 10 * len(dialog.nodes) + 10:
            node = dialog.nodes[target]
            walked += 1
            if node.kind == "message":
                target = node.next
            elif node.kind == "branch":
                target = route(dialog, node, answers, scores)
            else:
                value = rng.choice(answer_options(node)[0])
                record_answer(dialog, answers, scores, node, value)
                records.append(AnswerRecord(node.id, value))
                target = next_after(node, value)
        steps += walked
        report.total += 1
        outcome = choose_outcome(dialog, answers, scores) if target == RESULT else dialog.outcome(target or "")
        if outcome is None:
            report.stuck += 1
            continue
        report.by_outcome[outcome.id] += 1
        if report.by_outcome[outcome.id] == 1:
            report.examples.append((outcome.id, tuple(records)))
    report.note = f"{report.total:,} random walks (too many states to walk every path)"
    return report


def _hashable(value: AnswerValue | None) -> object:
    return value
