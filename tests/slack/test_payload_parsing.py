"""The gate's own body reader (server.slack_payload) gives what bolt's parse_body gives.

The gate parses each signed body itself, at a twentieth of bolt's cost, and hands bolt the result;
these check that nothing a listener reads changes: forms of any text, a click's JSON payload, and
a JSON event body, against bolt's own reader on the same bytes.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from hypothesis import given, settings
from hypothesis import strategies as st
from slack_bolt.request.internals import parse_body

from adapters.slack.server import slack_payload

FORM = "application/x-www-form-urlencoded"
texts = st.text(st.characters(codec="utf-8"), max_size=40)
raw = st.text(st.sampled_from("ab=&+%;#?/ 2FCf0\u00e9\n"), max_size=40)  # not always valid encoding


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(texts.filter(lambda k: "payload" not in k), texts, max_size=5))
def test_a_form_reads_as_bolt_reads_it(fields: dict[str, str]) -> None:
    body = urlencode(fields)
    assert slack_payload(body, FORM) == parse_body(body, FORM)


@settings(max_examples=400, deadline=None)
@given(raw.filter(lambda b: "payload" not in b and not b.startswith("{")))
def test_any_form_bytes_read_as_bolt_reads_them(body: str) -> None:
    assert slack_payload(body, FORM) == parse_body(body, FORM)


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers(-(2**53), 2**53) | texts, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3), max_leaves=12))
def test_a_click_payload_and_a_json_event_read_as_bolt_reads_them(value: object) -> None:
    payload = {"type": "block_actions", "value": value}
    form = urlencode({"payload": json.dumps(payload), "other": "x"})
    assert slack_payload(form, FORM) == parse_body(form, FORM) == payload
    event = json.dumps({"type": "event_callback", "event": value})
    assert slack_payload(event, "application/json") == parse_body(event, "application/json")


def test_a_command_whose_text_says_payload_is_still_a_command() -> None:
    """bolt reads any form holding the word "payload" as a click (and finds none): ours looks for the field."""
    body = urlencode({"command": "/outsource-check", "text": "payload", "user_id": "U1"})
    assert slack_payload(body, FORM) == {"command": "/outsource-check", "text": "payload", "user_id": "U1"}
    assert parse_body(body, FORM) == {}


def test_an_empty_body_is_an_empty_payload() -> None:
    assert slack_payload("", FORM) == parse_body("", FORM) == {}
