"""`outsource-check stats`: what a consultant running the bot for clients wants to know.

Counts only: checks started and finished per dialog, where unfinished checks stopped, and the
outcome mix. No user ids, names or answers leave this module.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bot.dialogs.catalog import Catalog
from bot.stores.base import SessionStore


@dataclass
class DialogStats:
    title: str
    started: int = 0
    finished: int = 0
    stopped_at: Counter[str] = field(default_factory=Counter)  # node id -> unfinished checks resting there
    outcomes: Counter[str] = field(default_factory=Counter)


async def collect(store: SessionStore, catalog: Catalog) -> dict[str, DialogStats]:
    found = {d.id: DialogStats(d.title) for d in catalog.dialogs.values()}
    async for session in store.every_session():
        stats = found.setdefault(session.dialog_id, DialogStats(session.dialog_id))
        stats.started += 1
        if session.finished:
            stats.finished += 1
            stats.outcomes[session.outcome or ""] += 1
        elif session.node:
            stats.stopped_at[session.node] += 1
    return found


def report(found: dict[str, DialogStats], catalog: Catalog) -> str:
    lines: list[str] = []
    for dialog_id, stats in found.items():
        dialog = catalog.get(dialog_id)
        rate = f"{stats.finished / stats.started:.0%}" if stats.started else "-"
        lines.append(f"{stats.title} ({dialog_id}): {stats.started} started, {stats.finished} finished ({rate})")
        if dialog is not None and stats.stopped_at:
            lines.append("  where unfinished checks stopped:")
            for number, node in enumerate((n for n in dialog.nodes.values() if n.is_question), 1):
                if stats.stopped_at[node.id]:
                    lines.append(f"    {number:>2}. {node.short or node.id:<32} {stats.stopped_at[node.id]:>6}")
        if stats.outcomes:
            lines.append("  outcomes:")
            for outcome_id, count in stats.outcomes.most_common():
                outcome = dialog.outcome(outcome_id) if dialog else None
                share = count / stats.finished
                lines.append(f"    {(outcome.id if outcome else outcome_id):<24} {count:>6}  {share:6.1%}")
    return "\n".join(lines)
