"""Graph and platform checks on a dialog that loaded: what a schema alone cannot see.

A file can be well-formed and still strand a user (a loop with no way out), promise an outcome
that never comes, or carry a button label Slack will refuse. Those are found here, before a user
finds them.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.dialogs.advice_check import prove, repeated_sentences
from bot.dialogs.graph import can_finish, reachable
from bot.dialogs.model import Dialog, Node
from bot.dialogs.problems import Problem
from bot.dialogs.walk import walk

SLACK_BUTTON_TEXT = 75
DISCORD_BUTTON_LABEL = 80
MAX_CHOICES = 25
SCALE_LABEL_PREFIX = len("5 - ")


def check(dialog: Dialog, *, seeds_dir: Path | None = None, advice: bool = True) -> list[Problem]:
    """Every problem in a dialog. Without `advice`, what start-up needs: all but the advice checks.

    The advice checks judge the card of every distinct ending (bot/dialogs/advice_check.py), which
    costs the shipped main dialog tens of seconds: `outsource-check validate` and the README's test
    command run them; a bot starting up proves only that every path ends in an outcome that can
    be reached, which a walk that tells paths apart only by routes and outcome rules proves in
    well under a second. A card that says too little is a fault of authoring, found in CI; a path
    with no way to an outcome would strand a user, and never starts."""
    problems: list[Problem] = []
    problems += _reachability(dialog)
    problems += _dead_ends(dialog)
    problems += _limits(dialog)
    problems += _sources(dialog, seeds_dir)
    problems += repeated_sentences(dialog)
    if not any(p.message.startswith(("dead end", "loop")) for p in problems):
        problems += _outcomes(dialog, advice)
    return problems


def _at(dialog: Dialog, line: int, message: str, node: str = "") -> Problem:
    return Problem(dialog.path, line or 1, 1, message, node)


def _reachability(dialog: Dialog) -> list[Problem]:
    seen = reachable(dialog)
    return [
        _at(dialog, node.line, "unreachable: no path from 'start' leads here; link it with a 'next' or delete it", node.id)
        for node in dialog.nodes.values()
        if node.id not in seen
    ]


def _dead_ends(dialog: Dialog) -> list[Problem]:
    """Nodes from which no outcome can be reached: a loop with no way out, or a chain into one."""
    finishing = can_finish(dialog)
    problems = []
    for node in dialog.nodes.values():
        if node.id in finishing:
            continue
        if _on_cycle(dialog, node):
            message = "loop with no way out: every way on from here comes back here; route one choice onward"
        else:
            message = "dead end: no way on from here reaches an outcome; add a 'next'"
        problems.append(_at(dialog, node.line, message, node.id))
    return problems


def _on_cycle(dialog: Dialog, node: Node) -> bool:
    return node.id in reachable(dialog, node.targets())


def _limits(dialog: Dialog) -> list[Problem]:
    problems = []
    for node in dialog.nodes.values():
        if len(node.choices) > MAX_CHOICES:
            problems.append(_at(dialog, node.line, f"{len(node.choices)} choices; Discord shows at most {MAX_CHOICES}: split the question", node.id))
        for choice in node.choices:
            if len(choice.label) > SLACK_BUTTON_TEXT:
                problems.append(
                    _at(
                        dialog,
                        node.line,
                        f"choice '{choice.id}' label is {len(choice.label)} characters; Slack buttons take"
                        f" {SLACK_BUTTON_TEXT} (Discord {DISCORD_BUTTON_LABEL}): shorten it",
                        node.id,
                    )
                )
        for name, label in (("low", node.scale_low), ("high", node.scale_high)):
            if len(label) + SCALE_LABEL_PREFIX > SLACK_BUTTON_TEXT:
                problems.append(_at(dialog, node.line, f"scale '{name}' label is too long for a button: keep it under {SLACK_BUTTON_TEXT - SCALE_LABEL_PREFIX} characters", node.id))
    return problems


def _sources(dialog: Dialog, seeds_dir: Path | None) -> list[Problem]:
    untitled = [
        replace(_at(dialog, 1, f"source '{a.file}' has no title: write {{file: {a.file}, title: ...}}; users see the title, never the file"), severity="warning")
        for a in dialog.articles
        if not a.title
    ]
    if seeds_dir is None or not seeds_dir.is_dir():
        return untitled
    present = {p.name for p in seeds_dir.iterdir()}
    return untitled + [_at(dialog, 1, f"source '{name}' is not a file in {seeds_dir}") for name in dialog.sources if name not in present]


# Validation must stay bounded on big dialogs: each exact walk within this many states, else a sample.
# The shipped main dialog's largest advice walks (one per outcome, advice_check.prove) need about
# 211,000 (each condition a card tests tells more of its walk's endings apart; 1.1 GB here): 400,000
# leaves room, and a dialog too big to walk exactly pays the budget before the warning, so no more.
# `outsource-check paths` counts paths with the walk start-up uses, which tells them apart only by
# routes and outcome rules.
VALIDATE_STATES = 400_000
VALIDATE_SAMPLE_STEPS = 60_000


def _outcomes(dialog: Dialog, advice: bool = True) -> list[Problem]:
    # where paths end: told apart only by routes and rules (the advice has walks of its own)
    report = walk(dialog, max_states=VALIDATE_STATES, sample_steps=VALIDATE_SAMPLE_STEPS, advice=False)
    problems = []
    if report.stuck:
        problems.append(_at(dialog, 1, f"{report.stuck} path(s) end without an outcome"))
    proof = prove(dialog, max_states=VALIDATE_STATES, sample_steps=VALIDATE_SAMPLE_STEPS) if advice and report.exhaustive else None
    if not report.exhaustive or (advice and proof is None):
        note = f"the advice checks need every path walked, and this dialog has loops or more states than {VALIDATE_STATES:,}"
        return [*problems, replace(_at(dialog, 1, note), severity="warning")]  # a sample proves nothing
    if proof is not None:
        problems += proof.problems(dialog)
    for outcome in dialog.outcomes:
        if report.by_outcome[outcome.id] == 0:
            what = "the fallback is never needed: some rule always holds" if outcome.fallback else "its rule never holds on any path, or an earlier outcome's rule always wins"
            problem = _at(dialog, outcome.line, f"outcome can never be chosen: {what}", outcome.id)
            problems.append(replace(problem, severity="warning") if outcome.fallback else problem)
    return problems
