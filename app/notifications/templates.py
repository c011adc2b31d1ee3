"""Message texts: the defaults per event and language, and salon-written overrides.

Overrides are Jinja2 templates rendered in a sandbox (jinja2.sandbox): a template sees only
the variables below, as plain strings, and cannot reach Python objects (`{{ ''.__class__ }}`
is refused). Unknown variables are errors, not blanks. A template is checked with sample
data when it is stored, so a broken one never reaches a customer.
"""

from __future__ import annotations

import functools

from jinja2 import StrictUndefined, Template, TemplateError, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

VARIABLES = (
    "customer_name",
    "service_name",
    "staff_name",
    "branch_name",
    "company_name",
    "start",
    "fee",
    "callback_phone",
)
SAMPLE = {
    "customer_name": "Erika Musterfrau",
    "service_name": "Colour",
    "staff_name": "Anna Schmidt",
    "branch_name": "Mitte",
    "company_name": "Demo Salon",
    "start": "Dienstag, 8. Dezember um 14:30 Uhr",
    "fee": "7.00",
    "callback_phone": "+49 30 23125000",
}
MAX_LENGTH = 2000

_environment = ImmutableSandboxedEnvironment(
    undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
)


def template_problem(text: str) -> str | None:
    """Why `text` cannot be used as a message template, or None when it renders."""
    if len(text) > MAX_LENGTH:
        return f"at most {MAX_LENGTH} characters"
    try:
        parsed = _environment.parse(text)
        unknown = sorted(meta.find_undeclared_variables(parsed) - set(VARIABLES))
        if unknown:
            return f"unknown variable {unknown[0]!r}; use: {', '.join(VARIABLES)}"
        _environment.from_string(text).render(SAMPLE)
    except TemplateError as exc:  # syntax, undefined, and the sandbox's SecurityError
        return f"cannot be rendered: {exc.message or type(exc).__name__}"
    return None


def render(text: str, variables: dict[str, str]) -> str:
    return _compiled(text).render(variables).strip()


@functools.lru_cache(maxsize=512)
def _compiled(text: str) -> Template:
    """Compiling is most of a render's cost (~1.3 ms); the defaults and a company's overrides
    are few and reused for every message."""
    return _environment.from_string(text)


# (subject, body) per event and language; the body is what SMS, WhatsApp and push carry.
DEFAULTS: dict[str, dict[str, tuple[str, str]]] = {
    "booking_confirmed": {
        "de": (
            "Ihr Termin bei {{ company_name }}",
            "Hallo {{ customer_name }}, Ihr Termin für {{ service_name }} bei {{ staff_name }} "
            "am {{ start }} in {{ branch_name }} ist bestätigt.",
        ),
        "en": (
            "Your appointment at {{ company_name }}",
            "Hello {{ customer_name }}, your {{ service_name }} with {{ staff_name }} on "
            "{{ start }} at {{ branch_name }} is confirmed.",
        ),
    },
    "reschedule_confirmed": {
        "de": (
            "Ihr Termin wurde verschoben",
            "Hallo {{ customer_name }}, Ihr Termin für {{ service_name }} ist jetzt am "
            "{{ start }} in {{ branch_name }}.",
        ),
        "en": (
            "Your appointment has moved",
            "Hello {{ customer_name }}, your {{ service_name }} is now on {{ start }} at "
            "{{ branch_name }}.",
        ),
    },
    "cancellation": {
        "de": (
            "Ihr Termin wurde storniert",
            "Hallo {{ customer_name }}, Ihr Termin für {{ service_name }} am {{ start }} ist "
            "storniert.{% if fee and fee != '0.00' %} Die Stornogebühr beträgt {{ fee }} EUR."
            "{% endif %} Neuer Termin: {{ callback_phone }}.",
        ),
        "en": (
            "Your appointment is cancelled",
            "Hello {{ customer_name }}, your {{ service_name }} on {{ start }} is cancelled."
            "{% if fee and fee != '0.00' %} The cancellation fee is {{ fee }} EUR.{% endif %}"
            " To book again: {{ callback_phone }}.",
        ),
    },
    "appointment_modified": {
        "de": (
            "Ihr Termin wurde geändert",
            "Hallo {{ customer_name }}, Ihr Termin am {{ start }} ist jetzt für "
            "{{ service_name }} bei {{ staff_name }}.",
        ),
        "en": (
            "Your appointment has changed",
            "Hello {{ customer_name }}, your appointment on {{ start }} is now for "
            "{{ service_name }} with {{ staff_name }}.",
        ),
    },
    "appointment_completed": {
        "de": (
            "Danke für Ihren Besuch",
            "Danke, {{ customer_name }}, dass Sie bei {{ company_name }} waren. Bis bald!",
        ),
        "en": (
            "Thank you for your visit",
            "Thank you, {{ customer_name }}, for visiting {{ company_name }}. See you soon!",
        ),
    },
    "no_show": {
        "de": (
            "Wir haben Sie vermisst",
            "Hallo {{ customer_name }}, wir haben Sie am {{ start }} vermisst. Neuer Termin: "
            "{{ callback_phone }}.",
        ),
        "en": (
            "We missed you",
            "Hello {{ customer_name }}, we missed you on {{ start }}. To book again: "
            "{{ callback_phone }}.",
        ),
    },
    "reminder_1week": {
        "de": (
            "Erinnerung: Ihr Termin in einer Woche",
            "Hallo {{ customer_name }}, zur Erinnerung: {{ service_name }} am {{ start }} in "
            "{{ branch_name }}.",
        ),
        "en": (
            "Reminder: your appointment in a week",
            "Hello {{ customer_name }}, a reminder: {{ service_name }} on {{ start }} at "
            "{{ branch_name }}.",
        ),
    },
    "reminder_24h": {
        "de": (
            "Erinnerung: Ihr Termin morgen",
            "Erinnerung: {{ service_name }} am {{ start }} in {{ branch_name }}.",
        ),
        "en": (
            "Reminder: your appointment tomorrow",
            "Reminder: {{ service_name }} on {{ start }} at {{ branch_name }}.",
        ),
    },
    "reminder_2h": {
        "de": (
            "Erinnerung: Ihr Termin gleich",
            "Bis gleich: {{ service_name }} am {{ start }} in {{ branch_name }}.",
        ),
        "en": (
            "Reminder: your appointment soon",
            "See you soon: {{ service_name }} on {{ start }} at {{ branch_name }}.",
        ),
    },
    "callback_request_received": {
        "de": (
            "Rückrufwunsch: {{ customer_name }}",
            "Bitte {{ customer_name }} unter {{ callback_phone }} zurückrufen (Filiale "
            "{{ branch_name }}).",
        ),
        "en": (
            "Callback requested: {{ customer_name }}",
            "Please call {{ customer_name }} back on {{ callback_phone }} (branch "
            "{{ branch_name }}).",
        ),
    },
    "callback_scheduled": {
        "de": (
            "Wir rufen Sie zurück",
            "Hallo {{ customer_name }}, {{ company_name }} ruft Sie bald zurück.",
        ),
        "en": (
            "We will call you back",
            "Hello {{ customer_name }}, {{ company_name }} will call you back soon.",
        ),
    },
    "booking_pending": {
        "de": ("Ihr Termin wird bestätigt", "Ihr Termin am {{ start }} wird gerade bestätigt."),
        "en": ("Your appointment is being confirmed", "Your {{ start }} booking is pending."),
    },
    "payment_received": {
        "de": ("Zahlung erhalten", "Danke, {{ customer_name }}: Ihre Zahlung ist eingegangen."),
        "en": ("Payment received", "Thank you, {{ customer_name }}: we received your payment."),
    },
}
