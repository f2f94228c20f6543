"""Proves a dialog's advice over every path: what the walker finds at each distinct ending.

A result card is only as good as its worst path. Each ending the exact path walker reaches is
judged as the card would show it (bot/dialogs/advice.py decides what shows, for both): it must give at
least one reason; no reason it shows may rest on an answer the dialog marks as pulling against
the outcome; every such answer must be named by a tension; no next step or open point may raise a
topic the outcome or an answer already settled; and no sentence may be said twice.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.dialogs import advice, conditions
from bot.dialogs.advice import MAX_REASONS, answer_label
from bot.dialogs.graph import reachable
from bot.dialogs.model import AnswerTest, AnswerValue, Dialog, Outcome, ScoreTest
from bot.dialogs.problems import Problem
from bot.dialogs.walk import MAX_REPORTS, Ending, PathReport, walk

SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
MIN_WORDS = 5  # shorter sentences ("Not sure yet.") may well recur by design


@dataclass
class Finding:
    """One kind of fault at one place in the file, with how many paths show it and one of them."""

    line: int
    owner: str
    message: str
    paths: int = 0
    example: str = ""


@dataclass
class AdviceReport:
    findings: dict[tuple[int, str, str], Finding] = field(default_factory=dict)
    paths_without_reason: int = 0
    paths_with_contradiction: int = 0
    paths_with_repeats: int = 0

    def add(self, line: int, owner: str, message: str, ending: Ending, dialog: Dialog) -> None:
        key = (line, owner, message)
        found = self.findings.setdefault(key, Finding(line, owner, message, example=describe(dialog, ending.answers)))
        found.paths += ending.paths

    def merge(self, other: AdviceReport) -> None:
        for key, found in other.findings.items():
            mine = self.findings.setdefault(key, Finding(found.line, found.owner, found.message, example=found.example))
            mine.paths += found.paths
        self.paths_without_reason += other.paths_without_reason
        self.paths_with_contradiction += other.paths_with_contradiction
        self.paths_with_repeats += other.paths_with_repeats

    def problems(self, dialog: Dialog) -> list[Problem]:
        return [
            Problem(dialog.path, f.line or 1, 1, f"{f.message} (on {f.paths:,} path(s), e.g. {f.example})", f.owner)
            for f in self.findings.values()
        ]


Fault = tuple[int, str, str]  # the line to fix, its owner, the message
Verdict = tuple[frozenset[str], tuple[Fault, ...]]  # the kinds of fault a card has, and each fault


def prove(dialog: Dialog, *, max_states: int, sample_steps: int) -> AdviceReport | None:
    """Every outcome's cards over every path, one walk per outcome; None when a walk is too big.

    A walk for all the cards at once must tell endings apart by every answer any card reads, so a
    condition on one card splits the states of every path after its question, wherever that path
    ends. Each outcome's walk reads only what its own card reads (with the routes and rules that
    decide where a path ends): on the shipped dialog the largest of them is smaller than the one
    walk was (docs/advice.md), and a new condition costs only its own outcome's walk. The walks
    run one at a time and are not kept; what is kept is the verdict, per dialog version."""
    key = (dialog.id, dialog.content_hash, max_states, sample_steps)
    if key in _proofs:
        return _proofs[key]
    proof = AdviceReport()
    for outcome in dialog.outcomes:
        report = walk(dialog, max_states=max_states, sample_steps=sample_steps, card=outcome.id, keep=False)
        if not report.exhaustive:
            found = None
            break
        proof.merge(check_endings(dialog, report, only=outcome.id))
    else:
        found = proof
    if len(_proofs) >= MAX_REPORTS:
        _proofs.clear()
    _proofs[key] = found
    return found


_proofs: dict[tuple[object, ...], AdviceReport | None] = {}  # a dialog version's advice never changes: prove it once


def check_endings(dialog: Dialog, report: PathReport, only: str | None = None) -> AdviceReport:
    """Each ending judged as its card shows: once per distinct card, not once per ending.

    The walk tells endings apart by every answer the cards it was made for read, but one
    outcome's card looks at far fewer: endings that agree on those (`CardReads.inputs`) show the
    same card and get the same verdict, so it is computed once and counted for each (on the
    shipped dialog, hundreds of thousands of endings are a few thousand cards). `only`: judge the
    endings of that outcome alone (a walk made for its card, `prove`).
    """
    result = AdviceReport()
    reads = {o.id: CardReads.of(dialog, o) for o in dialog.outcomes}
    verdicts: dict[tuple[str, tuple[bool, ...]], Verdict] = {}
    by_values: dict[tuple[object, ...], Verdict] = {}  # the same, keyed by the raw answers read: cheaper to make
    for ending in report.endings:
        if only is not None and ending.outcome != only:
            continue
        card = reads[ending.outcome]
        answers, scores = ending.answers, ending.scores
        values = (card.outcome.id, *(answers.get(n) for n in card.nodes), *(scores.get(d, 0) for d in card.dimensions))
        verdict = by_values.get(values)
        if verdict is None:
            key = (card.outcome.id, card.inputs(dialog, answers, scores))
            verdict = verdicts.get(key)
            if verdict is None:
                verdict = verdicts[key] = _judge(dialog, card.outcome, answers, scores)
            by_values[values] = verdict
        faults, found = verdict
        for line, owner, message in found:
            result.add(line, owner, message, ending, dialog)
        result.paths_without_reason += ending.paths * ("reason" in faults)
        result.paths_with_contradiction += ending.paths * ("contradiction" in faults)
        result.paths_with_repeats += ending.paths * ("repeat" in faults)
    return result


@dataclass(frozen=True)
class CardReads:
    """What one outcome's card can depend on: each test its reasons, tensions and steps make, each
    answer marked `against` it or `settles` a topic, and each question whose open point it shows;
    and the answers and scores those read."""

    outcome: Outcome
    tests: tuple[ScoreTest | AnswerTest, ...]
    marked: tuple[tuple[str, str], ...]
    follow_ups: tuple[str, ...]
    nodes: tuple[str, ...]
    dimensions: tuple[str, ...]

    @classmethod
    def of(cls, dialog: Dialog, outcome: Outcome) -> CardReads:
        tests = dict.fromkeys(
            test for point in (*outcome.reasons, *outcome.tensions, *outcome.next_steps)
            if point.when is not None for test, _ in conditions.leaves(point.when)
        )
        marked = tuple(advice.marked(dialog, outcome.id))
        follow_ups = tuple(
            node.id for node in dialog.nodes.values() if advice.lists_open_point(outcome, node.id) and any(c.follow_up for c in node.choices)
        )
        nodes = dict.fromkeys([*(t.node for t in tests if isinstance(t, AnswerTest)), *(n for n, _ in marked), *follow_ups])
        dimensions = dict.fromkeys(t.dimension for t in tests if isinstance(t, ScoreTest))
        return cls(outcome, tuple(tests), marked, follow_ups, tuple(nodes), tuple(dimensions))

    def inputs(self, dialog: Dialog, answers: Mapping[str, AnswerValue], scores: Mapping[str, int]) -> tuple[bool, ...]:
        """The card's inputs at one ending, as yes or no. A reason's words cite the answers its tests
        pass, and the card only asks whether a cited answer is a marked one: which unmarked choice
        passed a test changes nothing the card is judged on."""
        return (
            *(conditions.holds(test, scores, answers) for test in self.tests),
            *(advice.is_picked(answers.get(node_id), choice_id) for node_id, choice_id in self.marked),
            *(node_id in answers and advice.needs_follow_up(dialog.nodes[node_id], answers[node_id]) for node_id in self.follow_ups),
        )


def _judge(dialog: Dialog, outcome: Outcome, answers: Mapping[str, AnswerValue], scores: Mapping[str, int]) -> Verdict:
    faults: set[str] = set()
    found: list[Fault] = []
    reasons = advice.applying(outcome.reasons, scores, answers)
    if not reasons:
        faults.add("reason")
        found.append((outcome.line, outcome.id, "no reason holds: add a reason whose 'when' covers these answers"))
    pulling = set(advice.against(dialog, outcome, answers))
    for reason in reasons[:MAX_REASONS]:
        for node_id, choice_id in advice.cited(reason, answers):
            if (node_id, choice_id) in pulling:
                faults.add("contradiction")
                found.append((
                    reason.line,
                    outcome.id,
                    f"a reason rests on the answer '{_label(dialog, node_id, choice_id)}', which pulls against"
                    " this outcome: narrow its 'when' and name the answer in a tension instead",
                ))
    tensions = advice.shown_tensions(dialog, outcome, scores, answers)
    named = {pair for t in tensions for pair in advice.cited(t, answers)}
    for node_id, choice_id in sorted(pulling - named):
        faults.add("contradiction")
        found.append((
            dialog.nodes[node_id].line,
            node_id,
            f"the answer '{_label(dialog, node_id, choice_id)}' pulls against '{outcome.id}', but no tension"
            " the card shows names it: add a tension that says what to do about it",
        ))
    settled = advice.settled_topics(dialog, answers)
    steps = advice.next_steps(outcome, scores, answers)
    open_nodes = advice.open_points(dialog, outcome, answers)
    for step in steps:
        clash = _clash(step.topic, outcome, settled, dialog)
        if clash:
            faults.add("contradiction")
            found.append((step.line, outcome.id, f"next step '{_short(step.text)}' {clash}"))
    for node in open_nodes:
        clash = _clash(node.follow_up_topic, outcome, settled, dialog)
        if clash:
            faults.add("contradiction")
            found.append((
                node.line, node.id, f"its open point '{_short(node.follow_up or node.text)}' {clash}; or leave it out"
                f" of '{outcome.id}' with open_points",
            ))
    shown = [outcome.summary, *(p.text for p in reasons[:MAX_REASONS]), *(p.text for p in tensions)]
    shown += [p.text for p in steps]
    shown += [n.follow_up or n.text for n in open_nodes]
    said = [s for text in shown for s in sentences(text)]
    if len(said) != len(set(said)):
        for sentence, count in Counter(said).items():
            if count > 1:
                faults.add("repeat")
                found.append((outcome.line, outcome.id, f"the card says this twice: '{_short(sentence)}'"))
    return frozenset(faults), tuple(found)


def _clash(topic: str, outcome: Outcome, settled: Mapping[str, tuple[str, str]], dialog: Dialog) -> str:
    if not topic:
        return ""
    if topic in outcome.rules_out:
        return f"raises '{topic}', which this outcome rules out: give it a 'when' or drop it"
    if topic in settled:
        node_id, choice_id = settled[topic]
        return f"raises '{topic}', which the answer '{_label(dialog, node_id, choice_id)}' already settled: give it a 'when'"
    return ""


def repeated_sentences(dialog: Dialog) -> list[Problem]:
    """A sentence two nodes on one path both say, or that a node and an outcome's advice both say."""
    said: dict[str, list[tuple[str, int]]] = {}
    for node in dialog.nodes.values():
        for text in (node.text, node.why):
            for sentence in set(sentences(text)):
                said.setdefault(sentence, []).append((node.id, node.line))
    problems = []
    ahead: dict[str, set[str]] = {}

    def leads_to(a: str, b: str) -> bool:
        if a not in ahead:
            ahead[a] = reachable(dialog, (a,))
        return b in ahead[a]

    for sentence, places in said.items():
        for index, (first, line) in enumerate(places):
            later = [other for other, _ in places[index + 1 :] if other != first and (leads_to(first, other) or leads_to(other, first))]
            if first in [other for other, _ in places[:index]]:
                later = []  # said twice by the same node: text and why
                problems.append(Problem(dialog.path, line, 1, f"says '{_short(sentence)}' in both its text and its why", first))
            if later:  # one line per node, not per pair: a sentence in k questions is k lines, not k squared
                more = f" (and {len(later) - 1} more)" if len(later) > 1 else ""
                problems.append(
                    Problem(dialog.path, line, 1, f"says '{_short(sentence)}', and so does '{later[0]}'{more} later on the same path: say it once", first)
                )
    outcome_sentences = {
        s: o for o in dialog.outcomes for p in (*o.reasons, *o.tensions, *o.next_steps) for s in sentences(p.text)
    }
    for sentence, places in said.items():
        if sentence in outcome_sentences:
            node_id, line = places[0]
            owner = outcome_sentences[sentence]
            problems.append(
                Problem(dialog.path, line, 1, f"says '{_short(sentence)}', and so does the advice of '{owner.id}': say it once", node_id)
            )
    return problems


@functools.lru_cache(maxsize=8192)  # a dialog's few hundred texts come back at every ending
def sentences(text: str) -> tuple[str, ...]:
    found = []
    for raw in SENTENCE_END.split(text or ""):
        words = re.sub(r"[^a-z0-9' ]+", " ", raw.lower().replace("\u2019", "'")).split()
        if len(words) >= MIN_WORDS:
            found.append(" ".join(words))
    return tuple(found)


def describe(dialog: Dialog, answers: Mapping[str, AnswerValue]) -> str:
    parts = [f"{dialog.nodes[n].short or n}: {answer_label(dialog.nodes[n], v)}" for n, v in answers.items()]
    return "; ".join(parts[:6]) + ("; ..." if len(parts) > 6 else "") if parts else "any answers"


def _label(dialog: Dialog, node_id: str, choice_id: str) -> str:
    node = dialog.nodes[node_id]
    choice = node.choice(choice_id)
    return f"{node.short or node.id}: {choice.label if choice else choice_id}"


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."
