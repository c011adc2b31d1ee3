"""What the agent says, in German and English: one short line per situation.

Every line is at most two sentences, names times the way people say them (the caller's
words are filled in by app.spoken), and carries no ids, braces or ISO timestamps; the
function tests check every answer against `speech.message_problems`.
"""

from __future__ import annotations

from typing import Any

LINES: dict[str, dict[str, str]] = {
    "services": {
        "de": "Wir bieten {names} an. Was darf es sein?",
        "en": "We offer {names}. What would you like?",
    },
    "no_services": {
        "de": "Hier kann ich gerade keine Termine buchen. Soll Sie jemand zurückrufen?",
        "en": "I can't book anything here right now. Shall someone call you back?",
    },
    "closed": {
        "de": "Am {day} haben wir geschlossen.",
        "en": "We are closed on {day}.",
    },
    "open": {
        "de": "Am {day} haben wir von {start} bis {end} geöffnet.",
        "en": "On {day} we are open from {start} to {end}.",
    },
    "free": {
        "de": "{when} ist frei, bei {staff}. Soll ich das für Sie buchen?",
        "en": "{when} is free, with {staff}. Shall I book it for you?",
    },
    "taken": {
        "de": "{when} ist leider nicht frei. Ich hätte {alternatives}.",
        "en": "Sorry, {when} is not free. I could offer {alternatives}.",
    },
    "taken_nothing": {
        "de": "{when} ist leider nicht frei, und bald ist nichts frei. Soll Sie jemand "
        "zurückrufen?",
        "en": "Sorry, {when} is not free and nothing is free soon. Shall someone call you back?",
    },
    "day_offer": {
        "de": "Frei wäre {alternatives}. Was passt Ihnen?",
        "en": "I have {alternatives}. Which suits you?",
    },
    "nothing_that_day": {
        "de": "An dem Tag ist leider nichts mehr frei. Möchten Sie einen anderen Tag?",
        "en": "Sorry, nothing is free that day. Would another day suit you?",
    },
    "booked": {
        "de": "Gebucht: {service} bei {staff} am {when}.",
        "en": "Booked: {service} with {staff} on {when}.",
    },
    "calendar_down": {
        "de": "Ich kann das gerade nicht eintragen, es wurde nichts gebucht. Soll Sie jemand "
        "zurückrufen?",
        "en": "I can't do that right now and nothing was booked. Shall someone call you back?",
    },
    "calendar_down_unchanged": {
        "de": "Ich kann das gerade nicht ändern, Ihr Termin bleibt, wie er ist. Soll Sie jemand "
        "zurückrufen?",
        "en": "I can't change that right now, so your appointment stays as it is. Shall someone "
        "call you back?",
    },
    "failed": {
        "de": "Das klappt gerade leider nicht, es wurde nichts geändert. Soll Sie jemand "
        "zurückrufen?",
        "en": "Sorry, that isn't working right now and nothing was changed. Shall someone call "
        "you back?",
    },
    "needs_name": {
        "de": "Auf welchen Namen darf ich den Termin eintragen?",
        "en": "What name shall I put the appointment under?",
    },
    "needs_phone": {
        "de": "Unter welcher Telefonnummer erreichen wir Sie?",
        "en": "Which phone number can we reach you on?",
    },
    "needs_service": {
        "de": "Welche Leistung möchten Sie, zum Beispiel {names}?",
        "en": "Which service would you like, for example {names}?",
    },
    "which_service": {
        "de": "Meinen Sie {names}?",
        "en": "Do you mean {names}?",
    },
    "unknown_service": {
        "de": "Diese Leistung kenne ich nicht. Möchten Sie {names}?",
        "en": "I don't know that service. Would you like {names}?",
    },
    "which_staff": {
        "de": "Meinen Sie {names}?",
        "en": "Do you mean {names}?",
    },
    "unknown_staff": {
        "de": "Diese Person bietet das hier nicht an. Möchten Sie {names}?",
        "en": "That person doesn't offer this here. Would you like {names}?",
    },
    "invalid": {
        "de": "Das habe ich nicht richtig verstanden. Können Sie es bitte wiederholen?",
        "en": "I didn't get that right. Could you say it again, please?",
    },
    "invalid_time": {
        "de": "Zu dieser Zeit kann ich nicht buchen. Welche andere Uhrzeit passt Ihnen?",
        "en": "I can't book at that time. Which other time suits you?",
    },
    "anonymous": {
        "de": "Ich sehe Ihre Nummer nicht und finde so keine Termine. Soll Sie jemand zurückrufen?",
        "en": "I can't see your number, so I can't find your appointments. Shall someone call "
        "you back?",
    },
    "none_found": {
        "de": "Ich finde keinen kommenden Termin unter Ihrer Nummer.",
        "en": "I can't find an upcoming appointment under your number.",
    },
    "found_one": {
        "de": "Sie haben einen kommenden Termin, am {listing}.",
        "en": "You have one upcoming appointment, on {listing}.",
    },
    "found": {
        "de": "Sie haben {count} kommende Termine, zum Beispiel {listing}.",
        "en": "You have {count} upcoming appointments, for example {listing}.",
    },
    "not_found": {
        "de": "Diesen Termin finde ich unter Ihrer Nummer nicht. Welchen Tag meinen Sie?",
        "en": "I can't find that appointment under your number. Which day do you mean?",
    },
    "which_appointment": {
        "de": "An dem Tag haben Sie {count} Termine, {listing}. Welchen meinen Sie?",
        "en": "You have {count} appointments that day, {listing}. Which one do you mean?",
    },
    "not_changeable": {
        "de": "Dieser Termin kann nicht mehr geändert werden.",
        "en": "That appointment can no longer be changed.",
    },
    "cancelled": {
        "de": "Ihr Termin am {when} ist abgesagt.",
        "en": "Your appointment on {when} is cancelled.",
    },
    "cancelled_fee": {
        "de": "Ihr Termin am {when} ist abgesagt. Es fällt eine Gebühr von {fee} Euro an.",
        "en": "Your appointment on {when} is cancelled. A fee of {fee} euros applies.",
    },
    "refused_notice": {
        "de": "So kurzfristig kann ich das leider nicht mehr ändern. Soll Sie jemand zurückrufen?",
        "en": "Sorry, it's too late for me to change that now. Shall someone call you back?",
    },
    "refused_quota": {
        "de": "Sie haben schon zu oft geändert, das darf ich nicht. Soll Sie jemand zurückrufen?",
        "en": "You've already changed too often, so I can't. Shall someone call you back?",
    },
    "moved": {
        "de": "Ihr Termin ist jetzt am {when}.",
        "en": "Your appointment is now on {when}.",
    },
    "moved_fee": {
        "de": "Ihr Termin ist jetzt am {when}. Es fällt eine Gebühr von {fee} Euro an.",
        "en": "Your appointment is now on {when}. A fee of {fee} euros applies.",
    },
    "callback": {
        "de": "Wir rufen Sie zurück, spätestens am {by}.",
        "en": "We will call you back by {by} at the latest.",
    },
    "unknown_function": {
        "de": "Das kann ich leider nicht erledigen. Soll Sie jemand zurückrufen?",
        "en": "Sorry, I can't do that. Shall someone call you back?",
    },
    "unknown_line": {
        "de": "Diese Nummer ist keinem Salon zugeordnet. Bitte rufen Sie den Salon direkt an.",
        "en": "This number isn't set up for a salon. Please call the salon directly.",
    },
    "busy": {
        "de": "Einen Moment bitte, ich bin noch dabei. Fragen Sie mich gleich noch einmal.",
        "en": "One moment please, I'm still on it. Ask me again in a moment.",
    },
}


def say(lang: str, key: str, **words: Any) -> str:
    return LINES[key][lang if lang in ("de", "en") else "de"].format(**words)
