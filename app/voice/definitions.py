"""The functions as the voice platforms need them declared: name, what the model should know
about when to call it, and its JSON-schema parameters. `booking voice-tools` prints them,
ready to paste into a Retell agent or a Vapi assistant; the tests check they match what
`VoiceFunctions` handles."""

from __future__ import annotations

from typing import Any

_TEXT = {"type": "string"}


def _text(description: str) -> dict[str, Any]:
    return {**_TEXT, "description": description}


_WHEN = {
    "date": _text(
        "The day as the caller said it: 'morgen', 'nächsten Dienstag', '7.12.', "
        "'tomorrow', 'December 7', or ISO 2026-12-07."
    ),
    "time": _text(
        "The time as the caller said it: '14 Uhr', 'halb drei', 'nachmittags', "
        "'2:30 pm', 'morning'. Leave out for the day's earliest free times."
    ),
    "datetime": _text("Date and time in one phrase, instead of date and time: 'morgen um 10'."),
}
_SERVICE = _text("The service by name as the caller said it (a part of the name is enough).")
_STAFF = _text("The staff member's name, only if the caller asked for someone.")

FUNCTIONS: list[dict[str, Any]] = [
    {
        "name": "list_services",
        "description": "The services this salon offers, with duration and price.",
        "parameters": {"type": "object", "properties": {}},
    },
    {
        "name": "get_opening_hours",
        "description": "Opening hours of this branch: for a day, or the next 7 days.",
        "parameters": {"type": "object", "properties": {"date": _WHEN["date"]}},
    },
    {
        "name": "check_availability",
        "description": "Whether a time is free for a service (with the two nearest free times "
        "when it is not), or a day's earliest free times. Call before booking.",
        "parameters": {
            "type": "object",
            "properties": {"service": _SERVICE, **_WHEN, "staff": _STAFF},
            "required": ["service"],
        },
    },
    {
        "name": "book_appointment",
        "description": "Book the service at the time the caller chose. Only after they agreed "
        "to the time; say the result's message as it is.",
        "parameters": {
            "type": "object",
            "properties": {
                "service": _SERVICE,
                **_WHEN,
                "staff": _STAFF,
                "customer_name": _text("The caller's name."),
                "customer_phone": _text(
                    "A callback number, only if the caller gave one or their number is withheld."
                ),
                "customer_email": _text("The caller's e-mail address, if given."),
                "notes": _text("Anything the stylist should know."),
            },
            "required": ["service", "customer_name"],
        },
    },
    {
        "name": "find_appointments",
        "description": "The caller's upcoming appointments (found by their phone number).",
        "parameters": {"type": "object", "properties": {}},
    },
    {
        "name": "cancel_appointment",
        "description": "Cancel one of the caller's appointments, by its id from "
        "find_appointments or by its date. The salon's cancellation policy applies.",
        "parameters": {
            "type": "object",
            "properties": {
                "appointment_id": _text("The appointment_id from find_appointments."),
                "date": _text("The day of the appointment to cancel, as the caller said it."),
                "reason": _text("Why, if the caller said."),
            },
        },
    },
    {
        "name": "reschedule_appointment",
        "description": "Move one of the caller's appointments to a new time (by its id or "
        "date). The salon's reschedule policy applies; a taken time offers alternatives.",
        "parameters": {
            "type": "object",
            "properties": {
                "appointment_id": _text("The appointment_id from find_appointments."),
                "date": _text("The day of the appointment to move, as the caller said it."),
                "new_date": _text("The new day, as the caller said it."),
                "new_time": _text("The new time, as the caller said it."),
                "new_datetime": _text("The new day and time in one phrase, instead."),
            },
        },
    },
    {
        "name": "request_callback",
        "description": "Ask the salon to call the caller back (for anything this agent "
        "cannot do). Offer it whenever a result says callback_offered.",
        "parameters": {
            "type": "object",
            "properties": {
                "customer_name": _text("The caller's name."),
                "phone": _text("The number to call back, if not the one calling."),
                "reason": _text("What the call back is about."),
                "priority": {
                    "type": "string",
                    "enum": ["normal", "high", "urgent"],
                    "description": "urgent only if the caller says it is.",
                },
                "preferred_time": _text("When the caller prefers to be called."),
            },
        },
    },
]


def retell_tools(base_url: str) -> list[dict[str, Any]]:
    """Retell custom functions (Retell LLM `general_tools`), one per function."""
    return [
        {
            "type": "custom",
            "name": function["name"],
            "description": function["description"],
            "url": f"{base_url.rstrip('/')}/voice/retell/functions",
            "method": "POST",
            "parameters": function["parameters"],
            "speak_during_execution": function["name"] != "list_services",
            "execution_message_description": "A short 'one moment, I'm checking'.",
            "speak_after_execution": True,
            "timeout_ms": 10000,
            # Safe: a retried change is answered from the first attempt (per call id).
            "max_retry": 2,
        }
        for function in FUNCTIONS
    ]


def vapi_tools(base_url: str) -> list[dict[str, Any]]:
    """Vapi function tools, one per function; `server.secret` must equal VAPI_SECRET."""
    return [
        {
            "type": "function",
            "function": {
                "name": function["name"],
                "description": function["description"],
                "parameters": function["parameters"],
            },
            "server": {
                "url": f"{base_url.rstrip('/')}/voice/vapi/tools",
                "secret": "<VAPI_SECRET>",
                "timeoutSeconds": 10,
            },
        }
        for function in FUNCTIONS
    ]
