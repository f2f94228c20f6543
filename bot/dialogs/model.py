"""The dialog as validated, immutable data.

The loader is the only thing that builds these; everything downstream (engine, validator,
adapters) can rely on every reference in them resolving, so none of it re-checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

QuestionKind = Literal["choice", "multi", "scale", "text"]
NodeKind = Literal["message", QuestionKind, "branch"]
QUESTION_KINDS: frozenset[str] = frozenset({"choice", "multi", "scale", "text"})
SCALE_VALUES: tuple[int, ...] = (1, 2, 3, 4, 5)
SCALE_MIDPOINT = 3


RESULT = "result"  # a target meaning: let the outcome rules decide
AnswerValue = str | int | tuple[str, ...]  # a choice id, a scale value, picked choice ids, or typed text


@dataclass(frozen=True)
class AnswerRecord:
    """One answer as given: which question, and what."""

    node: str
    value: AnswerValue


@dataclass(frozen=True)
class Source:
    """Where a question or outcome comes from: a seed file and an optional quote.

    Users never see `file`: they see the article's title (the dialog's `sources:` maps one to the
    other) and the quote.
    """

    file: str
    quote: str = ""


@dataclass(frozen=True)
class Article:
    """A seed the dialog is built from: its file (for authors) and its title (for users)."""

    file: str
    title: str


@dataclass(frozen=True)
class Dimension:
    id: str
    label: str
    why: str
    # requirements that hold only together: one answer against the dimension empties its bar, which says so in these words
    veto: str = ""


@dataclass(frozen=True)
class Choice:
    id: str
    label: str
    scores: tuple[tuple[str, int], ...] = ()
    next: str | None = None
    follow_up: bool = False
    against: tuple[str, ...] = ()  # outcomes this answer pulls away from: a tension must name it
    settles: tuple[str, ...] = ()  # topics this answer settles: no advice may raise them again


# --- conditions: a tiny structured language, evaluated by bot.dialogs.conditions, never eval() ---


@dataclass(frozen=True)
class ScoreTest:
    dimension: str
    op: str  # one of OPS
    value: int


@dataclass(frozen=True)
class AnswerTest:
    node: str
    op: str  # is, in, includes, answered, or a numeric op for scales
    value: object = None


@dataclass(frozen=True)
class AllOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


Condition = ScoreTest | AnswerTest | AllOf | AnyOf | Not
NUMERIC_OPS: frozenset[str] = frozenset({"at_least", "at_most", "above", "below", "equals"})


@dataclass(frozen=True)
class Route:
    when: Condition
    next: str


@dataclass(frozen=True)
class Node:
    """One step of a dialog. Which fields matter depends on `kind` (see docs/dialogs.md)."""

    id: str
    kind: NodeKind
    text: str
    next: str | None = None
    source: Source | None = None
    why: str = ""
    short: str = ""
    choices: tuple[Choice, ...] = ()
    min_picks: int = 0
    max_picks: int | None = None
    scale_low: str = ""
    scale_high: str = ""
    scale_scores: tuple[tuple[str, int], ...] = ()
    max_length: int = 200
    save_as: str = ""
    follow_up: str = ""
    follow_up_topic: str = ""
    routes: tuple[Route, ...] = ()
    otherwise: str | None = None
    line: int = 0

    @property
    def is_question(self) -> bool:
        return self.kind in QUESTION_KINDS

    def choice(self, choice_id: str) -> Choice | None:
        return self._choices.get(choice_id)

    @cached_property
    def _choices(self) -> dict[str, Choice]:
        """By id, looked up on every answer (a frozen dataclass may still cache in its __dict__)."""
        return {c.id: c for c in reversed(self.choices)}  # reversed: the first of two equal ids wins, as before

    def targets(self) -> tuple[str, ...]:
        """Every node or outcome this node can lead to, in a stable order."""
        found: list[str] = []
        for target in (
            *(c.next for c in self.choices),
            self.next,
            *(r.next for r in self.routes),
            self.otherwise,
        ):
            if target and target not in found:
                found.append(target)
        return tuple(found)


@dataclass(frozen=True)
class Point:
    """One authored piece of advice: a sentence, when it applies, and the article behind it.

    Reasons say why an outcome fits the answers; tensions name the answers that pull the other
    way and what to do about them; next steps say what to do. A point without `when` always
    applies. `topic` lets the validator hold next steps to what the outcome and the answers
    already settled (docs/advice.md).
    """

    text: str
    when: Condition | None = None
    source: Source | None = None
    topic: str = ""
    line: int = 0


@dataclass(frozen=True)
class Outcome:
    id: str
    title: str
    summary: str
    source: Source
    next_steps: tuple[Point, ...]
    when: Condition | None = None
    fallback: bool = False
    why: str = ""
    follow_with: str = ""  # a dialog to suggest next (e.g. vetting the agency this outcome recommends)
    review_after: int = 0  # days until a team's decision for it is reviewed: the engagement's length (0: the default, 90)
    reasons: tuple[Point, ...] = ()
    tensions: tuple[Point, ...] = ()
    rules_out: tuple[str, ...] = ()  # topics this outcome settles: no step or open point may raise them
    open_points: tuple[str, ...] | None = None  # nodes whose open follow-ups this card lists (None: all)
    line: int = 0


@dataclass(frozen=True)
class Dialog:
    id: str
    title: str
    description: str
    start: str
    dimensions: tuple[Dimension, ...]
    nodes: dict[str, Node]
    outcomes: tuple[Outcome, ...]
    content_hash: str
    path: str = ""
    sources: tuple[str, ...] = field(default=())
    articles: tuple[Article, ...] = field(default=())

    def article_title(self, file: str) -> str:
        """The title users see for a seed file; never the file name itself."""
        return self._titles.get(file, "the article")

    @cached_property
    def _titles(self) -> dict[str, str]:
        """Looked up for every question shown: the first titled entry of each file, as a scan would find."""
        return {a.file: a.title for a in reversed(self.articles) if a.title}

    def outcome(self, outcome_id: str) -> Outcome | None:
        return self._outcomes.get(outcome_id)

    @cached_property
    def _outcomes(self) -> dict[str, Outcome]:
        return {o.id: o for o in reversed(self.outcomes)}

    @property
    def fallback(self) -> Outcome:
        return next(o for o in self.outcomes if o.fallback)

    def dimension(self, dimension_id: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.id == dimension_id), None)

    def is_outcome(self, target: str) -> bool:
        return target in self._outcomes
