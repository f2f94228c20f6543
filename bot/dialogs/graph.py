"""Plain graph facts about a dialog's nodes, computed without recursion.

Dialogs of ten thousand nodes are fair game, so nothing here may recurse per node or cost more
than a pass or two over the edges.
"""

from __future__ import annotations

from bot.dialogs.model import RESULT, Dialog


def reachable(dialog: Dialog, starts: tuple[str, ...] | None = None) -> set[str]:
    """Node ids reachable from `starts` (default: the dialog's start), following every target."""
    seen: set[str] = set()
    todo = list(starts if starts is not None else (dialog.start,))
    while todo:
        current = todo.pop()
        if current in seen or current not in dialog.nodes:
            continue
        seen.add(current)
        todo.extend(dialog.nodes[current].targets())
    return seen


def topological_order(dialog: Dialog) -> list[str] | None:
    """Nodes in an order where every node comes before the nodes it leads to; None if it loops.

    Iterative (Kahn's algorithm): a dialog of ten thousand nodes must not hit Python's recursion limit.
    Each node's targets are worked out once, while finding the reachable nodes, and reused.
    """
    nodes = dialog.nodes
    after: dict[str, tuple[str, ...]] = {}  # every reachable node -> its targets
    todo = [dialog.start]
    while todo:
        current = todo.pop()
        if current in after or current not in nodes:
            continue
        after[current] = nodes[current].targets()
        todo.extend(after[current])
    incoming = dict.fromkeys(after, 0)
    for targets in after.values():
        for target in targets:
            if target in incoming:
                incoming[target] += 1
    ready = [n for n in nodes if n in incoming and incoming[n] == 0]
    order: list[str] = []
    while ready:
        current = ready.pop()
        order.append(current)
        for target in after[current]:
            if target in incoming:
                incoming[target] -= 1
                if incoming[target] == 0:
                    ready.append(target)
    return order if len(order) == len(after) else None


def can_finish(dialog: Dialog) -> set[str]:
    """Nodes from which some path reaches an outcome: one backwards sweep from the nodes that end."""
    before: dict[str, list[str]] = {n: [] for n in dialog.nodes}
    finishing: list[str] = []
    for node in dialog.nodes.values():
        for target in node.targets():
            if target == RESULT or dialog.is_outcome(target):
                finishing.append(node.id)
            elif target in before:
                before[target].append(node.id)
    found: set[str] = set()
    while finishing:
        current = finishing.pop()
        if current not in found:
            found.add(current)
            finishing.extend(before[current])
    return found
