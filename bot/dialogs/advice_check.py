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

from bot.dialogs import advice
from bot.dialogs.advice import MAX_REASONS, MAX_TENSIONS, answer_label
from bot.dialogs.graph import reachable
from bot.dialogs.model import AnswerValue, Dialog, Outcome
from bot.dialogs.problems import Problem
from bot.dialogs.walk import Ending, PathReport

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

    def problems(self, dialog: Dialog) -> list[Problem]:
        return [
            Problem(dialog.path, f.line or 1, 1, f"{f.message} (on {f.paths:,} path(s), e.g. {f.example})", f.owner)
            for f in self.findings.values()
        ]


def check_endings(dialog: Dialog, report: PathReport) -> AdviceReport:
    result = AdviceReport()
    for ending in report.endings:
        outcome = dialog.outcome(ending.outcome)
        assert outcome is not None
        faults = _judge(dialog, outcome, ending, result)
        result.paths_without_reason += ending.paths * ("reason" in faults)
        result.paths_with_contradiction += ending.paths * ("contradiction" in faults)
        result.paths_with_repeats += ending.paths * ("repeat" in faults)
    return result


def _judge(dialog: Dialog, outcome: Outcome, ending: Ending, result: AdviceReport) -> set[str]:
    answers, scores = ending.answers, ending.scores
    faults: set[str] = set()
    reasons = advice.applying(outcome.reasons, scores, answers)
    if not reasons:
        faults.add("reason")
        result.add(outcome.line, outcome.id, "no reason holds: add a reason whose 'when' covers these answers", ending, dialog)
    pulling = set(advice.against(dialog, outcome, answers))
    for reason in reasons[:MAX_REASONS]:
        for node_id, choice_id in advice.cited(reason, answers):
            if (node_id, choice_id) in pulling:
                faults.add("contradiction")
                result.add(
                    reason.line,
                    outcome.id,
                    f"a reason rests on the answer '{_label(dialog, node_id, choice_id)}', which pulls against"
                    " this outcome: narrow its 'when' and name the answer in a tension instead",
                    ending,
                    dialog,
                )
    tensions = advice.applying(outcome.tensions, scores, answers)[:MAX_TENSIONS]
    named = {pair for t in tensions for pair in advice.cited(t, answers)}
    for node_id, choice_id in sorted(pulling - named):
        faults.add("contradiction")
        result.add(
            dialog.nodes[node_id].line,
            node_id,
            f"the answer '{_label(dialog, node_id, choice_id)}' pulls against '{outcome.id}', but no tension"
            " the card shows names it: add a tension that says what to do about it",
            ending,
            dialog,
        )
    settled = advice.settled_topics(dialog, answers)
    steps = advice.next_steps(outcome, scores, answers)
    open_nodes = advice.open_points(dialog, outcome, answers)
    for step in steps:
        clash = _clash(step.topic, outcome, settled, dialog)
        if clash:
            faults.add("contradiction")
            result.add(step.line, outcome.id, f"next step '{_short(step.text)}' {clash}", ending, dialog)
    for node in open_nodes:
        clash = _clash(node.follow_up_topic, outcome, settled, dialog)
        if clash:
            faults.add("contradiction")
            result.add(
                node.line, node.id, f"its open point '{_short(node.follow_up or node.text)}' {clash}; or leave it out"
                f" of '{outcome.id}' with open_points", ending, dialog
            )
    shown = [outcome.summary, *(p.text for p in reasons[:MAX_REASONS]), *(p.text for p in tensions)]
    shown += [p.text for p in steps]
    shown += [n.follow_up or n.text for n in open_nodes]
    said = [s for text in shown for s in sentences(text)]
    if len(said) == len(set(said)):
        return faults
    for sentence, count in Counter(said).items():
        if count > 1:
            faults.add("repeat")
            result.add(outcome.line, outcome.id, f"the card says this twice: '{_short(sentence)}'", ending, dialog)
    return faults


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
