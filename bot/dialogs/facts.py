"""Facts about a dialog that depend only on its file, computed once per loaded dialog.

The engine needs them on every turn (progress, score bars, whether a node still means the same
after an edit); computing them once keeps a turn's cost independent of the dialog's size.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from bot.dialogs.graph import topological_order
from bot.dialogs.model import SCALE_MIDPOINT, SCALE_VALUES, Dialog, Node


@dataclass(frozen=True)
class DialogFacts:
    score_ranges: dict[str, tuple[int, int]]
    remaining: dict[str, tuple[int, int]]  # node -> (fewest, most) questions from here, itself included
    signatures: dict[str, str]
    saved_names: dict[str, str]  # `save_as` name -> the text node that saves it, for {placeholders}
    scored_by: dict[str, frozenset[str]]  # node -> the dimensions some answer to it moves


_cache: dict[tuple[str, str, int], DialogFacts] = {}


def facts(dialog: Dialog) -> DialogFacts:
    key = (dialog.id, dialog.content_hash, id(dialog))
    found = _cache.get(key)
    if found is None:
        if len(_cache) > 64:
            _cache.clear()
        found = _cache[key] = DialogFacts(
            score_ranges=_score_ranges(dialog),
            remaining=_remaining(dialog),
            signatures={node.id: node_signature(node) for node in dialog.nodes.values()},
            saved_names={n.save_as: n.id for n in dialog.nodes.values() if n.kind == "text" and n.save_as},
            scored_by={n.id: frozenset(d for v in contributions(n) for d, points in v.items() if points) for n in dialog.nodes.values()},
        )
    return found


def contributions(node: Node) -> list[dict[str, int]]:
    """Every score vector one answer to `node` can add (for a multi: per picked choice)."""
    if node.kind == "scale":
        return [{dim: (value - SCALE_MIDPOINT) * weight for dim, weight in node.scale_scores} for value in SCALE_VALUES]
    return [dict(choice.scores) for choice in node.choices]


def _score_ranges(dialog: Dialog) -> dict[str, tuple[int, int]]:
    """The lowest and highest score each dimension can reach if every question were answered.

    An over-estimate for dialogs that branch, which is what a score bar wants: a stable scale.
    """
    ranges = {d.id: [0, 0] for d in dialog.dimensions}
    for node in dialog.nodes.values():
        vectors = contributions(node)
        if not vectors:
            continue
        for dim in ranges:
            values = [v.get(dim, 0) for v in vectors]
            if node.kind == "multi":
                ranges[dim][0] += sum(v for v in values if v < 0)
                ranges[dim][1] += sum(v for v in values if v > 0)
            else:
                ranges[dim][0] += min(0, min(values))
                ranges[dim][1] += max(0, max(values))
    return {dim: (low, high) for dim, (low, high) in ranges.items()}


def _remaining(dialog: Dialog) -> dict[str, tuple[int, int]]:
    order = topological_order(dialog)
    if order is not None:  # the usual case: one pass from the end, no recursion
        memo: dict[str, tuple[int, int]] = {}
        for node_id in reversed(order):
            node = dialog.nodes[node_id]
            here = 1 if node.is_question else 0
            ahead = [memo.get(t, (0, 0)) for t in node.targets()] or [(0, 0)]
            memo[node_id] = (here + min(a[0] for a in ahead), here + max(a[1] for a in ahead))
        return memo
    return _remaining_with_loops(dialog)


def _remaining_with_loops(dialog: Dialog) -> dict[str, tuple[int, int]]:
    """Dialogs with loops (rare, small): a loop is counted once."""
    memo: dict[str, tuple[int, int]] = {}

    def visit(node_id: str, on_path: frozenset[str]) -> tuple[int, int]:
        if node_id not in dialog.nodes:
            return (0, 0)  # an outcome or `result`
        if node_id in memo:
            return memo[node_id]
        if node_id in on_path:
            return (0, 0)  # a loop: count it once
        node = dialog.nodes[node_id]
        here = 1 if node.is_question else 0
        ahead = [visit(t, on_path | {node_id}) for t in node.targets()] or [(0, 0)]
        memo[node_id] = (here + min(a[0] for a in ahead), here + max(a[1] for a in ahead))
        return memo[node_id]

    for node_id in dialog.nodes:
        visit(node_id, frozenset())
    return memo


def node_signature(node: Node) -> str:
    """A hash of what a node asks and offers; equal signatures mean an answer still fits."""
    payload = {
        "kind": node.kind,
        "text": node.text,
        "choices": [(c.id, c.label) for c in node.choices],
        "picks": (node.min_picks, node.max_picks),
        "max_length": node.max_length,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:12]
