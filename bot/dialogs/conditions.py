"""The condition language of branches and outcome rules: parsed from YAML, evaluated as data.

Rules are plain mappings (`{score: know_how, at_least: 2}`), never code, so a dialog file can
be written by a non-programmer and can never run anything.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.dialogs.model import NUMERIC_OPS, AllOf, AnswerTest, AnyOf, Condition, Not, ScoreTest
from bot.dialogs.problems import did_you_mean

ANSWER_OPS = NUMERIC_OPS | {"is", "in", "includes", "answered"}
Path = tuple[object, ...]
Problems = list[tuple[Path, str]]


@dataclass
class Parsed:
    condition: Condition | None
    problems: Problems = field(default_factory=list)


def parse(
    raw: Any,
    path: Path,
    *,
    dimensions: set[str],
    node_kinds: Mapping[str, str],
    choice_ids: Mapping[str, set[str]],
) -> Parsed:
    result = Parsed(None)
    result.condition = _parse(raw, path, dimensions, node_kinds, choice_ids, result.problems)
    return result


def _parse(
    raw: Any,
    path: Path,
    dimensions: set[str],
    node_kinds: Mapping[str, str],
    choice_ids: Mapping[str, set[str]],
    problems: Problems,
) -> Condition | None:
    if not isinstance(raw, dict) or len(raw) == 0:
        problems.append((path, "a condition is a mapping such as {score: DIM, at_least: 2} or {all: [...]}"))
        return None
    if set(raw) & {"all", "any"}:
        key = "all" if "all" in raw else "any"
        items = raw[key]
        if len(raw) != 1 or not isinstance(items, list) or not items:
            problems.append((path, f"'{key}:' takes a non-empty list of conditions and nothing beside it"))
            return None
        found = [_parse(item, (*path, key, i), dimensions, node_kinds, choice_ids, problems) for i, item in enumerate(items)]
        parsed = tuple(p for p in found if p is not None)
        if len(parsed) != len(found):
            return None
        return AllOf(parsed) if key == "all" else AnyOf(parsed)
    if "not" in raw:
        if len(raw) != 1:
            problems.append((path, "'not:' takes one condition and nothing beside it"))
            return None
        inner = _parse(raw["not"], (*path, "not"), dimensions, node_kinds, choice_ids, problems)
        return Not(inner) if inner is not None else None
    if "score" in raw:
        return _parse_score(raw, path, dimensions, problems)
    if "answer" in raw:
        return _parse_answer(raw, path, node_kinds, choice_ids, problems)
    problems.append((path, f"unknown condition {sorted(raw)}: start it with score:, answer:, all:, any: or not:"))
    return None


def _single_op(raw: dict[Any, Any], path: Path, subject: str, allowed: set[str], problems: Problems) -> tuple[str, Any] | None:
    ops = [k for k in raw if k != subject]
    if len(ops) != 1:
        problems.append((path, f"a {subject} test takes exactly one comparison ({', '.join(sorted(allowed))}); found {ops or 'none'}"))
        return None
    op = ops[0]
    if op not in allowed:
        problems.append(((*path, op, "<key>"), f"'{op}' is not a comparison{did_you_mean(str(op), allowed)}"))
        return None
    return op, raw[op]


def _parse_score(raw: dict[Any, Any], path: Path, dimensions: set[str], problems: Problems) -> Condition | None:
    dim = raw["score"]
    if dim not in dimensions:
        problems.append(((*path, "score"), f"score: '{dim}' is not a dimension{did_you_mean(str(dim), dimensions)}"))
        return None
    found = _single_op(raw, path, "score", set(NUMERIC_OPS), problems)
    if found is None:
        return None
    op, value = found
    if not isinstance(value, int) or isinstance(value, bool):
        problems.append(((*path, op), f"{op}: needs a whole number, e.g. {op}: 2"))
        return None
    return ScoreTest(dim, op, value)


def _parse_answer(
    raw: dict[Any, Any],
    path: Path,
    node_kinds: Mapping[str, str],
    choice_ids: Mapping[str, set[str]],
    problems: Problems,
) -> Condition | None:
    node = raw["answer"]
    kind = node_kinds.get(node)
    if kind is None:
        problems.append(((*path, "answer"), f"answer: '{node}' is not a node{did_you_mean(str(node), node_kinds)}"))
        return None
    if kind not in {"choice", "multi", "scale", "text"}:
        problems.append(((*path, "answer"), f"answer: '{node}' is a {kind} node, which has no answer"))
        return None
    allowed = {"answered"} | {"choice": {"is", "in"}, "multi": {"includes"}, "scale": set(NUMERIC_OPS), "text": set()}[kind]
    found = _single_op(raw, path, "answer", allowed, problems)
    if found is None:
        return None
    op, value = found
    valid = choice_ids.get(node, set())
    if op == "answered":
        if not isinstance(value, bool):
            problems.append(((*path, op), "answered: takes true or false"))
            return None
    elif op in {"is", "includes"}:
        if value not in valid:
            problems.append(((*path, op), f"{op}: '{value}' is not a choice of '{node}'{did_you_mean(str(value), valid)}"))
            return None
    elif op == "in":
        if not isinstance(value, list) or not value:
            problems.append(((*path, op), "in: takes a list of choice ids, e.g. in: [yes, maybe]"))
            return None
        bad = [v for v in value if v not in valid]
        if bad:
            problems.append(((*path, op), f"in: '{bad[0]}' is not a choice of '{node}'{did_you_mean(str(bad[0]), valid)}"))
            return None
        value = tuple(value)
    elif not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
        problems.append(((*path, op), f"{op}: a scale answer is compared with a whole number from 1 to 5"))
        return None
    return AnswerTest(node, op, value)


def compare(left: int, op: str, right: int) -> bool:
    if op == "at_least":
        return left >= right
    if op == "at_most":
        return left <= right
    if op == "above":
        return left > right
    if op == "below":
        return left < right
    return left == right


def holds(condition: Condition, scores: Mapping[str, int], answers: Mapping[str, Any]) -> bool:
    """Evaluate against current scores and answers (node id -> choice id, tuple, int or text)."""
    entry = _by_identity.get(id(condition))
    if entry is None or entry[0] is not condition:
        if len(_by_identity) > 65536:
            _by_identity.clear()
        entry = _by_identity[id(condition)] = (condition, compiled(condition))
    return entry[1](scores, answers)


# A condition's closure by the object's identity (kept alive beside it): hashing a nested frozen
# dataclass on every evaluation cost more than evaluating it.
_by_identity: dict[int, tuple[Condition, Callable[..., bool]]] = {}


Test = Callable[[Mapping[str, int], Mapping[str, Any]], bool]


@functools.lru_cache(maxsize=16384)
def compiled(condition: Condition) -> Test:
    """A condition as a closure, built once: the validator evaluates each one at every ending of
    every path, and walking the dataclasses again each time was most of its cost."""
    if isinstance(condition, (AllOf, AnyOf)):
        parts = tuple(compiled(c) for c in condition.items)
        if isinstance(condition, AllOf):
            return lambda scores, answers: all(part(scores, answers) for part in parts)
        return lambda scores, answers: any(part(scores, answers) for part in parts)
    if isinstance(condition, Not):
        inner = compiled(condition.item)
        return lambda scores, answers: not inner(scores, answers)
    if isinstance(condition, ScoreTest):
        dim, op, value = condition.dimension, condition.op, condition.value
        return lambda scores, answers: compare(scores.get(dim, 0), op, value)
    node, op, expected = condition.node, condition.op, condition.value
    if op == "answered":
        return lambda scores, answers: (node in answers) == expected
    if op == "is":
        return lambda scores, answers: node in answers and answers[node] == expected
    if op == "in":
        assert isinstance(expected, tuple), "the parser keeps an 'in:' list as a tuple"
        return lambda scores, answers: node in answers and answers[node] in expected
    if op == "includes":
        return lambda scores, answers: node in answers and expected in answers[node]

    assert isinstance(expected, int), "the parser takes only a whole number for a scale comparison"

    def numeric(scores: Mapping[str, int], answers: Mapping[str, Any]) -> bool:
        value = answers.get(node)
        return isinstance(value, int) and compare(value, op, expected)

    return numeric


def leaves(condition: Condition, negated: bool = False) -> Iterator[tuple[ScoreTest | AnswerTest, bool]]:
    """Every basic test in a condition, with whether it sits under an odd number of `not`s."""
    if isinstance(condition, (AllOf, AnyOf)):
        for item in condition.items:
            yield from leaves(item, negated)
    elif isinstance(condition, Not):
        yield from leaves(condition.item, not negated)
    else:
        yield condition, negated
