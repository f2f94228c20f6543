"""Generated dialogs of any size, shaped like the shipped ones, for the load/validate and turn benchmarks.

The shipped dialog has 35 nodes; authors will write bigger ones (one per industry, per region), so
the validator and the engine must not fall over at 1,000 or 10,000 nodes. A generated dialog is
built from repeated sections, each like a stretch of the real check: a message, several scored
choice questions (one with a detour to a note), a scale, and a branch on a score that can skip
the next section. Outcome rules read scores and an answer, as the shipped ones do.
"""

from __future__ import annotations

SEED = "000_d221b9c26be84fb1.txt"
DIMENSIONS = ("time", "people", "trust", "budget")
SECTION = 10  # nodes per section: message, 6 choices, a note, a scale, a branch


def _choice(node_id: str, next_id: str, index: int, detour: str = "") -> list[str]:
    dim = DIMENSIONS[index % len(DIMENSIONS)]
    other = DIMENSIONS[(index + 1) % len(DIMENSIONS)]
    lines = [
        f"  - id: {node_id}",
        "    kind: choice",
        f"    text: Question {node_id} is about {dim}. Where does your business stand on it, for {node_id}?",
        f"    short: About {dim} {index}",
        f"    source: {SEED}",
        f"    why: Generated for the benchmarks, and {node_id}'s own reason to be asked.",  # no sentence twice on a path
        "    choices:",
        f"      - {{id: clearly, label: 'Yes, clearly', scores: {{{dim}: 2}}}}",
        f"      - {{id: some, label: 'Somewhat', scores: {{{dim}: 1, {other}: 1}}}}",
        f"      - {{id: not_at_all, label: 'No, not at all', scores: {{{dim}: -2}}{', next: ' + detour if detour else ''}}}",
        "      - {id: unsure, label: 'Not sure yet', follow_up: true}",
        "    follow_up: Find out where you stand on this.",
        f"    next: {next_id}",
    ]
    return lines


def dialog_yaml(nodes: int, dialog_id: str = "generated") -> str:
    """A valid dialog of about `nodes` nodes (rounded to whole sections; at least one section)."""
    sections = max(1, round(nodes / SECTION))
    out = [
        f"id: {dialog_id}",
        f"title: Generated check of {sections * SECTION} nodes",
        "description: A generated dialog for the benchmarks.",
        f"sources: [{{file: {SEED}, title: A generated article}}]",
        "dimensions:",
        *(f"  - {{id: {d}, label: {d.title()}, why: Generated dimension {d}.}}" for d in DIMENSIONS),
        "start: s0_intro",
        "nodes:",
    ]

    def first(section: int) -> str:
        return f"s{section}_intro" if section < sections else "result"

    for s in range(sections):
        p = f"s{s}_"
        questions = [f"{p}q{i}" for i in range(6)]
        out += [
            f"  - id: {p}intro",
            "    kind: message",
            f"    text: Section {s} begins.",
            f"    next: {questions[0]}",
        ]
        for i, q in enumerate(questions):
            nxt = questions[i + 1] if i + 1 < len(questions) else f"{p}scale"
            out += _choice(q, nxt, s * 6 + i, detour=f"{p}note" if i == 2 else "")
        out += [
            f"  - id: {p}note",
            "    kind: message",
            f"    text: A note shown after a no in section {s}, as the shipped dialog does after no time.",
            f"    next: {questions[3]}",
            f"  - id: {p}scale",
            "    kind: scale",
            f"    text: How far do you trust an outsider with section {s}?",
            f"    source: {SEED}",
            "    low: Not at all",
            "    high: Fully",
            "    scores: {trust: 1}",
            f"    next: {p}route",
            f"  - id: {p}route",
            "    kind: branch",
            "    routes:",
            f"      - when: {{score: time, at_least: {4 + s % 3}}}",
            f"        next: {first(s + 2) if s + 2 <= sections else 'result'}",
            f"    otherwise: {first(s + 1)}",
        ]
    out += [
        "outcomes:",
        "  - id: agency",
        "    title: An agency, on conditions",
        "    summary: Outsourcing could work.",
        f"    source: {SEED}",
        "    when: {all: [{score: trust, at_least: 3}, {score: budget, at_least: 2}, {answer: s0_q1, in: [clearly, some]}]}",
        "    reasons:",
        f"      - {{text: You trust an outsider and have the budget for one., source: {SEED}}}",
        "    next_steps: [Vet the agency.]",
        "  - id: in_house",
        "    title: Keep it in-house",
        "    summary: You have what it takes.",
        f"    source: {SEED}",
        "    when: {all: [{score: time, at_least: 2}, {score: people, at_least: 2}]}",
        "    reasons:",
        f"      - {{text: You have the time and the people to do it yourselves., source: {SEED}}}",
        "    next_steps: [Block two hours a week.]",
        "  - id: consultant",
        "    title: A consultant for a week",
        "    summary: Get set up, then run it yourselves.",
        f"    source: {SEED}",
        "    fallback: true",
        "    reasons:",
        f"      - {{text: Neither an agency nor your own team fits your answers yet., source: {SEED}}}",
        "    next_steps: [Hire a consultant for a week.]",
    ]
    return "\n".join(out) + "\n"
