"""Property tests on generated dialogs: random walks with random backs, and the path counter
checked against brute force."""

from __future__ import annotations

import itertools
from collections import Counter

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.conversation import engine
from bot.conversation.replies import ResultCard
from bot.dialogs.loader import load_dialog_text
from bot.dialogs.scoring import choose_outcome
from bot.dialogs.walk import answer_options, walk

SEED = "000_d221b9c26be84fb1.txt"
DIMS = ["alpha", "beta"]


@st.composite
def dialogs(draw):
    """A random acyclic dialog: questions in a row, choices that may skip ahead, a branch, rules."""
    count = draw(st.integers(2, 6))
    ids = [f"q{i}" for i in range(count)]
    nodes = []
    for index, node_id in enumerate(ids):
        later = ids[index + 1 :] + ["result"]
        kind = draw(st.sampled_from(["choice", "choice", "multi", "scale"]))
        node = {"id": node_id, "kind": kind, "text": f"Question {index}?", "source": SEED, "next": later[0]}
        if kind == "scale":
            node.update(low="low", high="high", scores={d: draw(st.integers(-2, 2)) for d in DIMS})
        else:
            choices = []
            for c in range(draw(st.integers(2, 4))):
                choice = {"id": f"c{c}", "label": f"Choice {c}", "scores": {d: draw(st.integers(-2, 2)) for d in DIMS}}
                if kind == "choice" and draw(st.booleans()):
                    choice["next"] = draw(st.sampled_from(later))
                choices.append(choice)
            node["choices"] = choices
            if kind == "multi":
                node["min"] = draw(st.integers(0, 1))
        nodes.append(node)
    if count >= 3 and draw(st.booleans()):
        # a branch before the last question that may jump straight to the result
        nodes[-2]["next"] = "gate"
        nodes.append(
            {
                "id": "gate",
                "kind": "branch",
                "routes": [{"when": {"score": "alpha", "at_least": draw(st.integers(-2, 2))}, "next": "result"}],
                "otherwise": ids[-1],
            }
        )
    outcomes = [
        {
            "id": f"o{i}",
            "title": f"Outcome {i}",
            "summary": "s",
            "source": SEED,
            "when": {draw(st.sampled_from(["all", "any"])): [
                {"score": draw(st.sampled_from(DIMS)), draw(st.sampled_from(["at_least", "at_most", "above", "below"])): draw(st.integers(-3, 3))}
                for _ in range(draw(st.integers(1, 2)))
            ]},
            "next_steps": ["step"],
        }
        for i in range(draw(st.integers(1, 3)))
    ]
    outcomes.append({"id": "fallback", "title": "F", "summary": "s", "source": SEED, "fallback": True, "next_steps": ["x"]})
    data = {
        "id": "generated",
        "title": "Generated",
        "sources": [SEED],
        "dimensions": [{"id": d, "label": d, "why": "w"} for d in DIMS],
        "start": ids[0],
        "nodes": nodes,
        "outcomes": outcomes,
    }
    return load_dialog_text(yaml.safe_dump(data, sort_keys=False), "generated.yaml")


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(dialog=dialogs(), data=st.data())
def test_random_walks_with_random_backs_keep_every_invariant(dialog, data) -> None:
    step = engine.start(dialog, session_id="s", owner="u", now=0.0)
    history = [step.session]
    for _ in range(40):
        session = step.session
        if session.finished and not data.draw(st.booleans()):
            break
        move = data.draw(st.sampled_from(["answer", "answer", "back", "stale"]))
        if move == "back" and session.answers:
            step = engine.back(dialog, session, version=session.version, now=1.0)
            assert step.accepted and step.session.version == session.version + 1
            assert step.session.answers == session.answers[:-1]
            earlier = next(h for h in reversed(history) if h.answers == step.session.answers)
            assert (step.session.node, step.session.outcome, step.session.scores) == (earlier.node, earlier.outcome, earlier.scores)
        elif move == "stale" or session.finished:
            refused = engine.answer(dialog, session, node=session.node or "q0", value="c0", version=session.version - 1, now=1.0)
            assert not refused.accepted and refused.session is session
            continue
        else:
            options, _ = answer_options(dialog.nodes[session.node])
            value = data.draw(st.sampled_from(options))
            step = engine.answer(dialog, session, node=session.node, value=value, version=session.version, now=1.0)
            assert step.accepted and step.session.version == session.version + 1
            # the engine steps on from where the session stood; replaying every answer must agree
            whole = engine.replay(dialog, step.session.answers)
            assert step.session.node == (whole.node.id if whole.node else None)
            assert step.session.outcome == (whole.outcome.id if whole.outcome else None)
            assert dict(step.session.scores) == whole.scores
        history.append(step.session)
        if step.session.finished:
            card = step.replies[0]
            assert isinstance(card, ResultCard)
            assert card.outcome == choose_outcome(dialog, step.session.answer_map()).id


def brute_force(dialog) -> Counter:
    """Every path, one by one, through the real engine."""
    counts: Counter = Counter()

    def go(answers):
        position = engine.replay(dialog, answers)
        if position.node is None:
            counts[position.outcome.id] += 1
            return
        for value in answer_options(position.node)[0]:
            go((*answers, engine.AnswerRecord(position.node.id, value)))

    go(())
    return counts


@FAST
@given(dialog=dialogs())
def test_the_path_counter_matches_brute_force(dialog) -> None:
    report = walk(dialog)
    assert report.exhaustive and report.stuck == 0
    assert +report.by_outcome == +brute_force(dialog)


def test_multi_options_enumerate_every_allowed_subset() -> None:
    dialog = load_dialog_text(
        yaml.safe_dump(
            {
                "id": "m", "title": "M", "sources": [SEED], "dimensions": [{"id": "a", "label": "a", "why": "w"}],
                "start": "q", "nodes": [{"id": "q", "kind": "multi", "text": "?", "source": SEED, "min": 1, "max": 2,
                "choices": [{"id": f"c{i}", "label": str(i)} for i in range(4)], "next": "result"}],
                "outcomes": [{"id": "f", "title": "f", "summary": "s", "source": SEED, "fallback": True, "next_steps": ["x"]}],
            }
        )
    )
    options, complete = answer_options(dialog.nodes["q"])
    assert complete and len(options) == 4 + 6
    assert set(options) == {c for k in (1, 2) for c in itertools.combinations([f"c{i}" for i in range(4)], k)}
