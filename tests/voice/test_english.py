"""One conversation in an English-speaking salon: every function answers in English, by the
same message rules (two sentences, 250 characters, no ids, times as people say them)."""

from __future__ import annotations

import re

import pytest

from tests.voice.conftest import speak_english

GERMAN = re.compile(r"\b(Uhr|und|oder|Termin|leider|Sie)\b")


@pytest.fixture
async def english(agent, db, phone_line):
    await speak_english(db, phone_line.company_id)
    return agent


async def test_a_whole_call_in_english(english, company_client):
    said = []
    for function, args in [
        ("list_services", {}),
        ("get_opening_hours", {"date": "tomorrow"}),
        ("get_opening_hours", {"date": "Sunday"}),
        ("check_availability", {"service": "cut", "date": "tomorrow", "time": "half past two"}),
        ("check_availability", {"service": "cut", "date": "next Tuesday", "time": "afternoon"}),
        ("check_availability", {"service": "massage", "date": "tomorrow", "time": "3 pm"}),
        ("check_availability", {"service": "cut", "date": "someday"}),
        ("book_appointment", {"service": "cut", "datetime": "tomorrow at 2:30 pm"}),
        (
            "book_appointment",
            {"service": "cut", "datetime": "tomorrow at 2:30 pm", "customer_name": "Erika"},
        ),
        ("find_appointments", {}),
        (
            "reschedule_appointment",
            {"date": "tomorrow", "new_date": "December 4", "new_time": "noon"},
        ),
        ("cancel_appointment", {"date": "December 4", "reason": "ill"}),
        ("cancel_appointment", {"date": "December 4"}),
        ("request_callback", {"reason": "price question"}),
        ("order_pizza", {}),
    ]:
        reply = await english(function, **args)
        assert not GERMAN.search(reply.message), (function, reply.message)
        said.append((function, reply.success, reply.message))
    outcomes = [success for _, success, _ in said]
    assert outcomes == [
        True, True, True, True, True, False, False, False, True, True, True, True, False, True,
        False,
    ], said  # fmt: skip
    messages = dict((f"{f}:{i}", m) for i, (f, _, m) in enumerate(said))
    assert messages["check_availability:3"].startswith("Tuesday 1 December at 2:30 pm is free")
    assert messages["book_appointment:8"].endswith("on Tuesday 1 December at 2:30 pm.")
    assert messages["reschedule_appointment:10"] == (
        "Your appointment is now on Friday 4 December at 12 noon."
    )
