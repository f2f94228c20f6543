"""Walks every path through a dialog and counts where each one ends.

Paths multiply (fifteen questions of three choices are fourteen million of them), but what a path
can still do depends only on where it stands, its scores, and the answers that some rule reads.
Walking those states once each, and counting the paths into them, covers every path exactly.
"""

from __future__ import annotations

import gc
import itertools
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from operator import add, sub
from typing import Any, TypeAlias

from bot.dialogs import conditions
from bot.dialogs.advice import lists_open_point, marked
from bot.dialogs.graph import topological_order
from bot.dialogs.model import (
    RESULT,
    SCALE_VALUES,
    AllOf,
    AnswerRecord,
    AnswerTest,
    AnswerValue,
    Condition,
    Dialog,
    Node,
)
from bot.dialogs.scoring import answer_scores, choose_outcome, next_after, route

MAX_STATES = 600_000
MAX_SUBSETS = 4096
SAMPLE_STEPS = 200_000  # node visits the sampler may spend in all

# The walk's states are plain tuples (dictionary keys by the hundred thousand), named here:
Scores = tuple[int, ...]  # one score per dimension, in the dialog's order
Seen = tuple[AnswerValue | None, ...]  # per answer some rule reads: the first answer of its kind, or None
State = tuple[Scores, Seen]
EndKey = tuple[str, State]  # where a path ends: (`result` or an outcome id, its state)
Trail: TypeAlias = tuple["Trail | None", str, AnswerValue]  # one path, as (earlier, node, value) links
Reached = tuple[int, Trail | None]  # how many paths arrived in a state, and one of them
Bound = tuple[float, ...]  # per dimension, the lowest (or highest) score worth telling apart; may be infinite


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
    # every distinct ending: (outcome id, the answers rules can tell apart, scores, paths, one example)
    endings: list[Ending] = field(default_factory=list)
    questions: Counter[int] = field(default_factory=Counter)  # questions asked -> paths (detail only)
    after_settled: Counter[str] = field(default_factory=Counter)  # node -> paths asking it once the outcome is certain
    detailed: bool = False


@dataclass(frozen=True)
class Ending:
    outcome: str
    answers: dict[str, AnswerValue]
    scores: dict[str, int]
    paths: int
    trail: Trail | None  # one path here, as the walk's (earlier, node, value) links: see `example`

    @property
    def example(self) -> tuple[AnswerRecord, ...]:
        return _unwind(self.trail)


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


def all_conditions(dialog: Dialog, advice: bool = True, card: str | None = None) -> list[Condition]:
    """Every condition whose truth can differ between paths: routes and outcome rules, and (for
    the advice checks) each reason, tension and next step, each answer marked `against` an outcome
    or `settles` a topic, and each open point the validator must hold to its topic.

    `card`: only what that outcome's card reads (with every route and rule, which decide where a
    path ends). A condition one card reads then tells apart only that card's walk's states, not
    every outcome's (advice_check.prove walks each card so)."""
    tests: list[Condition] = [r.when for n in dialog.nodes.values() for r in n.routes]
    tests += [o.when for o in dialog.outcomes if o.when is not None]
    if advice:
        outcomes = dialog.outcomes if card is None else [o for o in dialog.outcomes if o.id == card]
        for outcome in outcomes:
            tests += [p.when for p in (*outcome.reasons, *outcome.tensions, *outcome.next_steps) if p.when is not None]
        tests += [AnswerTest(n, "includes" if dialog.nodes[n].kind == "multi" else "is", c) for n, c in marked(dialog, card)]
        for node in dialog.nodes.values():
            op = "includes" if node.kind == "multi" else "is"
            open_ids = tuple(c.id for c in node.choices if c.follow_up)
            shown = card is None or lists_open_point(outcomes[0], node.id)  # the card shows this question's open point
            if node.follow_up_topic and open_ids and shown:  # one test: which open choice was picked never matters
                tests += [AnswerTest(node.id, "in", open_ids)] if op == "is" else [AnswerTest(node.id, op, c) for c in open_ids]
    return tests


def referenced_answers(dialog: Dialog, advice: bool = True, card: str | None = None) -> tuple[str, ...]:
    tests = all_conditions(dialog, advice, card)
    found = {t.node for t, _ in conditions.leaves(AllOf(tuple(tests))) if isinstance(t, AnswerTest)} if tests else set()
    return tuple(sorted(found))


def walk(
    dialog: Dialog,
    *,
    max_states: int = MAX_STATES,
    max_examples: int = 25,
    seed: int = 0,
    sample_steps: int = SAMPLE_STEPS,
    detail: bool = False,
    advice: bool = True,
    card: str | None = None,
    keep: bool = True,
) -> PathReport:
    """Every path, exactly, when the state space fits in `max_states`; else a stated random sample.

    `examples` keeps up to `max_examples` answer sequences per outcome, each ending in a different
    state, for tests to replay through the real engine. Without `advice`, endings are told apart
    only as routes and outcome rules tell them apart (where each path ends, not what its card
    says): a few thousand states instead of hundreds of thousands on the shipped dialog. With
    `card`, endings are told apart as routes, rules and that outcome's card tell them apart
    (`all_conditions`). `keep=False`: not kept for the next call (a walk used once is memory).
    """
    key = (dialog.id, dialog.content_hash, max_states, max_examples, seed, sample_steps, detail, advice, card)
    if key in _reports:
        return _reports[key]
    # The walk makes tens of thousands of small tuples that live until it ends and never form
    # cycles; the cyclic garbage collector would rescan them (and the whole dialog) over and
    # over, which cost a third of a big dialog's validation. Reference counting frees them.
    collecting = gc.isenabled()
    gc.disable()
    try:
        report = _exhaustive(dialog, max_states, max_examples, detail, advice, card)
    except _TooBig:
        report = _sample(dialog, seed, sample_steps)
    finally:
        if collecting:
            gc.enable()
    if keep:  # a walk used once is not kept, and pushes out none that are
        if len(_reports) >= MAX_REPORTS:
            _reports.clear()
        _reports[key] = report
    return report


_reports: dict[tuple[object, ...], PathReport] = {}  # a dialog file's paths never change: walk each version once
MAX_REPORTS = 32


def _exhaustive(
    dialog: Dialog, max_states: int, max_examples: int, detail: bool = False, advice: bool = True, card: str | None = None
) -> PathReport:
    """Forward over the nodes in order, carrying (scores, answers rules read) -> number of paths.

    Every distinct state that arrives at a node is walked once, so the walk gives up as soon as
    more than `max_states` have arrived (the count it would reach anyway), not after walking them.
    With `detail`, it also counts questions per path and, walking the states back from the
    endings, which questions are asked once the outcome can no longer change.
    """
    order = topological_order(dialog)
    if order is None:
        raise _TooBig  # loops: counted by sampling
    referenced = referenced_answers(dialog, advice, card)
    dims = [d.id for d in dialog.dimensions]
    clamps = _clamps(dialog, order, dims, advice, card)
    canon = _answer_classes(dialog, referenced, advice, card)
    endings = _endings(dialog)
    unbounded = ((-math.inf,) * len(dims), (math.inf,) * len(dims))
    # state: (score tuple, referenced answers tuple) -> (paths, one example answer sequence)
    waiting: dict[str, dict[State, Reached]] = {n: {} for n in dialog.nodes}
    start_key: State = (tuple(0 for _ in dims), tuple(None for _ in referenced))
    waiting[dialog.start][start_key] = (1, None)
    arrived = 1  # distinct states that reached a node: every one of them will be walked
    report = PathReport(dialog.id, exhaustive=True, detailed=detail)
    ends: dict[EndKey, Reached] = {}
    tally = _Tally(dialog.start, start_key) if detail else None
    walked = 0
    for node_id in order:
        node = dialog.nodes[node_id]
        states = waiting.pop(node_id)
        walked += len(states)
        if walked > max_states:
            raise _TooBig
        if tally is not None:
            tally.visit(node_id, states)
        if node.kind in ("message", "branch"):
            for (scores, seen), (count, example) in states.items():
                target = node.next
                if node.kind == "branch":
                    answers = {n: v for n, v in zip(referenced, seen, strict=True) if v is not None}
                    target = route(dialog, node, answers, dict(zip(dims, scores, strict=True)))
                if target is None:
                    report.stuck += count
                    continue
                if target in endings:
                    full_key: EndKey = (target, (scores, seen))
                    known = ends.get(full_key)
                    ends[full_key] = (count, example) if known is None else (known[0] + count, known[1])
                    if tally is not None:
                        tally.edge(node_id, (scores, seen), None, full_key, asked=False)
                    continue
                bucket = waiting[target]
                known = bucket.get((scores, seen))
                if known is None:
                    bucket[(scores, seen)] = (count, example)
                    arrived += 1
                else:
                    bucket[(scores, seen)] = (known[0] + count, known[1])
                if tally is not None:
                    tally.edge(node_id, (scores, seen), target, (scores, seen), asked=False)
            if arrived > max_states:
                raise _TooBig
            continue
        options, full = answer_options(node)
        report.exhaustive = report.exhaustive and full
        slot = referenced.index(node.id) if node.id in referenced else -1
        # per answer: where it leads, what it adds, and the range each score is held to on arrival;
        # then the answer as rules tell it apart, and the states it arrives among: `waiting[target]`
        # (keyed by state) or `ends` (keyed by target and state). An answer that leads nowhere
        # ends its paths stuck: only counted.
        moves: list[tuple[AnswerValue, str, Scores, Bound, Bound, AnswerValue, dict[Any, Reached]]] = []
        stops = 0
        for value in options:
            target = next_after(node, value)
            if target is None:
                stops += 1
                continue
            deltas = tuple(_sum(node, value, d) for d in dims)
            low, high = clamps.get(target, unbounded)
            kept = canon[node.id].get(value, value) if node.id in canon else value
            moves.append((value, target, deltas, low, high, kept, ends if target in endings else waiting[target]))
        node_ref = node.id
        for state, (count, example) in states.items():
            report.stuck += count * stops
            scores, seen = state
            for value, target, deltas, low, high, kept, arrivals in moves:
                # max(low, min(high, score + delta)) per dimension, without a Python-level loop
                arrival: State = (tuple(map(max, low, map(min, high, map(add, scores, deltas)))),
                                  seen if slot < 0 else (*seen[:slot], kept, *seen[slot + 1 :]))
                key: State | EndKey = (target, arrival) if arrivals is ends else arrival
                known = arrivals.get(key)
                if known is None:
                    arrivals[key] = (count, (example, node_ref, value))
                    if arrivals is not ends:
                        arrived += 1
                else:
                    arrivals[key] = (known[0] + count, known[1])
                if tally is not None:
                    tally.edge(node_id, state, None if arrivals is ends else target, key, asked=True)
        if arrived > max_states:
            raise _TooBig  # more states are waiting than the walk may take: it would stop later anyway
    per_outcome: Counter[str] = Counter()
    outcome_of: dict[EndKey, str] = {}
    for full_key, (count, example) in ends.items():
        target, (scores, seen) = full_key
        answers = {n: v for n, v in zip(referenced, seen, strict=True) if v is not None}
        score_map = dict(zip(dims, scores, strict=True))
        outcome = choose_outcome(dialog, answers, score_map) if target == RESULT else dialog.outcome(target)
        assert outcome is not None
        outcome_of[full_key] = outcome.id
        report.by_outcome[outcome.id] += count
        report.endings.append(Ending(outcome.id, answers, score_map, count, example))
        if per_outcome[outcome.id] < max_examples:
            per_outcome[outcome.id] += 1
            report.examples.append((outcome.id, _unwind(example)))
    if tally is not None:
        tally.finish(dialog, order, outcome_of, report)
    report.total = sum(report.by_outcome.values()) + report.stuck
    report.note = f"{walked + len(ends):,} distinct states walked" + ("" if report.exhaustive else "; some multi-choice answers sampled")
    return report


Visit = tuple[str, State | EndKey]  # a state at a node, or ("", an ending)


class _Tally:
    """The detail of a walk: questions per path, and questions asked once the outcome is certain.

    It keeps the walk's states and the edges between them: forward, each state's paths by how many
    questions they asked on the way; backward from the endings, the outcomes each state can still
    reach. A question asked in a state that can reach only one outcome changes nothing.
    """

    def __init__(self, start: str, start_key: State) -> None:
        self.lengths: dict[Visit, Counter[int]] = {(start, start_key): Counter({0: 1})}
        self.edges: dict[Visit, list[tuple[Visit, bool]]] = {}
        self.states: dict[str, dict[State, Reached]] = {}

    def visit(self, node_id: str, states: dict[State, Reached]) -> None:
        self.states[node_id] = states

    def edge(self, node_id: str, key: State, target: str | None, target_key: State | EndKey, *, asked: bool) -> None:
        here = (node_id, key)
        there = ("", target_key) if target is None else (target, target_key)
        self.edges.setdefault(here, []).append((there, asked))
        into = self.lengths.setdefault(there, Counter())
        for length, paths in self.lengths.get(here, Counter()).items():
            into[length + asked] += paths

    def finish(self, dialog: Dialog, order: list[str], outcome_of: dict[EndKey, str], report: PathReport) -> None:
        reach: dict[Visit, frozenset[str]] = {("", k): frozenset((o,)) for k, o in outcome_of.items()}
        for full_key in outcome_of:
            report.questions.update(self.lengths.get(("", full_key), Counter()))
        ahead: dict[Visit, int] = {("", k): 1 for k in outcome_of}  # whole paths from a state to an ending
        for node_id in reversed(order):
            node = dialog.nodes[node_id]
            for key, (count, _) in self.states.get(node_id, {}).items():
                here = (node_id, key)
                found: frozenset[str] = frozenset()
                onward = 0
                for there, _ in self.edges.get(here, []):
                    found |= reach.get(there, frozenset())
                    onward += ahead.get(there, 0)
                reach[here] = found
                ahead[here] = onward
                if node.is_question and len(found) == 1:
                    report.after_settled[node_id] += count * onward  # every whole path through here asks it


def _endings(dialog: Dialog) -> frozenset[str]:
    """Targets where a path ends: `result` and every outcome (a set: asked once per state and step)."""
    return frozenset((RESULT, *(o.id for o in dialog.outcomes)))


def _unwind(example: Trail | None) -> tuple[AnswerRecord, ...]:
    """Examples are kept as (earlier, node, value) links while walking: one tuple per step, not a copy."""
    records: list[AnswerRecord] = []
    while example is not None:
        example, node_id, value = example
        records.append(AnswerRecord(node_id, value))
    return tuple(reversed(records))


def _answer_classes(
    dialog: Dialog, referenced: tuple[str, ...], advice: bool = True, card: str | None = None
) -> dict[str, dict[object, AnswerValue]]:
    """For each answer some rule reads: every possible answer -> the first one the rules can't tell apart from it.

    A rule that asks `is: yes` splits five answers into two kinds; carrying the kind instead of
    the answer stops four equivalent paths from being walked four times.
    """
    tests = all_conditions(dialog, advice, card)
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


def _clamps(
    dialog: Dialog, order: list[str], dims: list[str], advice: bool = True, card: str | None = None
) -> dict[str, tuple[tuple[int, ...], tuple[int, ...]]]:
    """Per node, the (lowest, highest) per dimension outside which a score's exact value no longer matters.

    Rules compare scores with a few thresholds. A score so low that even every point still to
    come cannot lift it to the lowest threshold behaves like any other such score: those states
    merge, which is what keeps a dialog of many questions walkable exactly.
    """
    from bot.dialogs.model import ScoreTest

    tests = all_conditions(dialog, advice, card)
    thresholds: dict[str, list[int]] = {d: [] for d in dims}
    for test, _ in conditions.leaves(AllOf(tuple(tests))) if tests else ():
        if isinstance(test, ScoreTest):
            thresholds[test.dimension].append(test.value)
    # per node: the lowest and highest the points still to come can add up to at any point on a
    # path from here (prefix sums, since a branch on the way may read a partial score), one slot
    # per dimension; a score's range follows from them in the same backwards pass over the nodes
    none = tuple(0 for _ in dims)
    read = [bool(thresholds[d]) for d in dims]
    below = tuple(min(thresholds[d]) - 1 if thresholds[d] else 0 for d in dims)
    above = tuple(max(thresholds[d]) + 1 if thresholds[d] else 0 for d in dims)
    gain: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}
    result: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}
    for node_id in reversed(order):
        node = dialog.nodes[node_id]
        ahead = [gain[t] for t in node.targets() if t in gain]
        if not ahead:
            low_gain = high_gain = none
        elif len(ahead) == 1:
            low_gain, high_gain = ahead[0]
        else:
            low_gain = tuple(map(min, *(a[0] for a in ahead)))
            high_gain = tuple(map(max, *(a[1] for a in ahead)))
        own = _own_range(node) if node.is_question else None
        if own:
            low_gain = tuple(map(add, (own.get(d, (0, 0))[0] for d in dims), low_gain))
            high_gain = tuple(map(add, (own.get(d, (0, 0))[1] for d in dims), high_gain))
        low_gain, high_gain = tuple(map(min, none, low_gain)), tuple(map(max, none, high_gain))
        gain[node_id] = (low_gain, high_gain)
        bounds = (tuple(map(sub, below, high_gain)), tuple(map(sub, above, low_gain)))
        if not all(read):  # a dimension no rule reads is held at 0: its value never matters
            lowest, highest = (tuple(b if r else 0 for b, r in zip(side, read, strict=True)) for side in bounds)
            bounds = (lowest, highest)
        result[node_id] = bounds
    for outcome_id in [RESULT, *(o.id for o in dialog.outcomes)]:
        result[outcome_id] = (below, above)
    return result


def _own_range(node: Node) -> dict[str, tuple[int, int]]:
    """Per dimension, the lowest and highest one answer to `node` can add (0 included)."""
    if node.kind == "choice" or node.kind == "multi":  # straight from the choices: this runs for every node
        picks_many = node.kind == "multi"
        found: dict[str, tuple[int, int]] = {}
        for choice in node.choices:
            for dim, points in dict(choice.scores).items():
                low, high = found.get(dim, (0, 0))
                if picks_many:
                    found[dim] = (low + min(0, points), high + max(0, points))
                else:
                    found[dim] = (min(low, points), max(high, points))
        return found
    from bot.dialogs.facts import contributions

    vectors = contributions(node) if node.is_question else []
    dims = {d for v in vectors for d in v}
    return {d: (min(0, *(v.get(d, 0) for v in vectors)), max(0, *(v.get(d, 0) for v in vectors))) for d in dims}


def _sum(node: Node, value: AnswerValue, dim: str) -> int:
    return sum(points for d, points in answer_scores(node, value) if d == dim)


def _sample(dialog: Dialog, seed: int, budget: int) -> PathReport:
    """Random walks stepped forward (never replayed from the start) within a fixed budget of steps.

    A step's answer options, score changes and next node depend only on the node and the answer,
    so each is worked out once per sample, not at every step of every walk.
    """
    rng = random.Random(seed)
    report = PathReport(dialog.id, exhaustive=False)
    endings = _endings(dialog)
    nodes = dialog.nodes
    longest = 10 * len(nodes) + 10
    options: dict[str, list[AnswerValue]] = {}
    effects: dict[tuple[str, AnswerValue], tuple[list[tuple[str, int]], str | None]] = {}
    steps = 0
    while steps < budget or report.total == 0:
        answers: dict[str, AnswerValue] = {}
        scores = {d.id: 0 for d in dialog.dimensions}
        picks: list[tuple[str, AnswerValue]] = []
        target: str | None = dialog.start
        walked = 0
        while target is not None and target not in endings and walked < longest:
            node = nodes[target]
            walked += 1
            if node.kind == "message":
                target = node.next
            elif node.kind == "branch":
                target = route(dialog, node, answers, scores)
            else:
                choices = options.get(target)
                if choices is None:
                    choices = options[target] = answer_options(node)[0]
                value = rng.choice(choices)
                effect = effects.get((target, value))
                if effect is None:
                    effect = effects[(target, value)] = _effect(node, value)
                # as scoring.record_answer: a node answered again first takes its old points off
                if target in answers:
                    for dim, points in effects[(target, answers[target])][0]:
                        scores[dim] -= points
                answers[target] = value
                for dim, points in effect[0]:
                    scores[dim] += points
                picks.append((target, value))
                target = effect[1]
        steps += walked
        report.total += 1
        outcome = choose_outcome(dialog, answers, scores) if target == RESULT else dialog.outcome(target or "")
        if outcome is None:
            report.stuck += 1
            continue
        report.by_outcome[outcome.id] += 1
        if report.by_outcome[outcome.id] == 1:
            report.examples.append((outcome.id, tuple(AnswerRecord(n, v) for n, v in picks)))
    report.note = f"{report.total:,} random walks (too many states to walk every path)"
    return report


def _effect(node: Node, value: AnswerValue) -> tuple[list[tuple[str, int]], str | None]:
    """What one answer adds and where it leads: `answer_scores` and `next_after` in one go.

    A long sampled walk meets most (node, answer) pairs once, so this runs at nearly every step;
    a single-choice answer is one choice, found in one scan instead of two.
    """
    if node.kind == "choice":
        for choice in node.choices:
            if choice.id == value:
                return list(choice.scores), choice.next or node.next
    return answer_scores(node, value), next_after(node, value)
