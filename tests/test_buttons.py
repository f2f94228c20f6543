"""The one button grammar both platforms use (bot/conversation/buttons.py): what we write reads back
exactly, and nothing else reads at all."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.discord import components
from bot.conversation.buttons import MAX_PAYLOAD, Forged, Payload, decode

SESSION = "AbC_12-xyz90"


@pytest.mark.parametrize(
    "payload",
    [
        Payload(SESSION, 7, "goal", "grow"),
        Payload(SESSION, 0),
        Payload(SESSION, 3, "name"),
        Payload(SESSION, 0, "", "agree"),  # a round's position: no node
        Payload("s" * 16, 999_999_999, "n" * 32, "c" * 32),  # every field at its longest
    ],
)
def test_what_we_write_reads_back_exactly(payload: Payload) -> None:
    text = payload.encode()
    assert len(text) <= MAX_PAYLOAD and decode(text) == payload


@pytest.mark.parametrize(
    "raw",
    [None, 7, "", "short:1", f"{SESSION}", f"{SESSION}:01", f"{SESSION}:1:Goal", f"{SESSION}:1:goal:x:y", "../../etc:1",
     f"{SESSION}:1:goal:{'c' * 33}", f"{SESSION}:1:goal:a\n", "x" * (MAX_PAYLOAD + 1), '{"s": "AbC_12-xyz90", "v": 1}'],
)
def test_anything_else_is_refused_as_forged(raw: object) -> None:
    with pytest.raises(Forged):
        decode(raw)


@given(st.text(max_size=120))
def test_no_text_reads_as_something_it_does_not_say(raw: str) -> None:
    try:
        payload = decode(raw)
    except Forged:
        return
    assert payload.encode() == raw  # only a payload we could have written reads at all


def test_discords_custom_ids_are_the_same_grammar_with_the_components_kind() -> None:
    custom_id = components.custom_id("answer", Payload(SESSION, 7, "goal", "grow").encode())
    assert custom_id == "oc:a:" + Payload(SESSION, 7, "goal", "grow").encode() and components.read(custom_id) is not None
