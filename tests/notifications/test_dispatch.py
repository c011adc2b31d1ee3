"""The dispatcher: real e-mail to a local SMTP server, SMS to a local provider, retries,
the fallback channel, skips, and two dispatchers that never send a row twice."""

import asyncio
from datetime import timedelta

from sqlalchemy import select, update

from app.notifications.dispatcher import Dispatcher
from app.notifications.models import NotificationDelivery
from app.tenancy.models import Customer
from tests.conftest import requires_mysql
from tests.salon import NOW, booking, local


async def book(client, salon, start=local(8, 10), **kwargs):
    response = await client.post(
        "/api/v1/appointments", json=booking(salon, start, staff=salon.anna_id, **kwargs)
    )
    assert response.status_code == 201, response.text
    return response.json()


async def deliveries(db, **where) -> list[NotificationDelivery]:
    async with db() as session:
        stmt = select(NotificationDelivery).order_by(NotificationDelivery.id)
        for column, value in where.items():
            stmt = stmt.where(getattr(NotificationDelivery, column) == value)
        return list((await session.execute(stmt)).scalars().all())


async def set_customer(db, customer_id, **values) -> None:
    async with db() as session:
        await session.execute(update(Customer).where(Customer.id == customer_id).values(**values))
        await session.commit()


class TestEmail:
    async def test_the_confirmation_reaches_the_customers_inbox_with_the_spoken_time(
        self, company_client, salon, db, dispatcher, smtp
    ):
        appointment = await book(company_client, salon)
        await set_customer(db, appointment["customer_id"], email="erika@example.com")
        summary = await dispatcher.run()
        assert summary.sent == 1  # only the confirmation is due now; reminders later
        _, inbox = smtp
        (mail,) = inbox.messages
        assert mail["X-Rcpt"] == "erika@example.com"
        assert mail["From"] == "Demo Salon <salon@example.com>"
        body = mail.get_payload(decode=True).decode()
        assert "Dienstag, 8. Dezember um 10 Uhr" in body  # Berlin time, spoken, German
        (confirmation,) = await deliveries(db, event_type="booking_confirmed")
        assert (confirmation.status, confirmation.recipient) == ("sent", "erika@example.com")
        assert confirmation.sent_at == NOW

    async def test_an_english_customer_gets_english(
        self, company_client, salon, db, dispatcher, smtp
    ):
        appointment = await book(company_client, salon, local(8, 14, 30))
        await set_customer(db, appointment["customer_id"], email="max@example.com", language="en")
        await dispatcher.run()
        body = smtp[1].messages[0].get_payload(decode=True).decode()
        assert "Tuesday 8 December at 2:30 pm" in body

    async def test_a_salons_template_is_used(self, company_client, salon, db, dispatcher, smtp):
        await company_client.put(
            f"/api/v1/notifications/company/{salon.company_id}/booking_confirmed",
            json={"channel": "email", "template_override": "Bis {{ start }}, {{ customer_name }}!"},
        )
        appointment = await book(company_client, salon)
        await set_customer(db, appointment["customer_id"], email="erika@example.com")
        await dispatcher.run()
        body = smtp[1].messages[0].get_payload(decode=True).decode().strip()
        assert body == "Bis Dienstag, 8. Dezember um 10 Uhr, Erika!"


class TestReminders:
    async def test_reminders_go_out_when_due(
        self, app, company_client, salon, db, dispatcher, provider
    ):
        await book(company_client, salon)  # no e-mail: the confirmation falls back to SMS
        await dispatcher.run()
        assert [m["channel"] for m in provider.received] == ["sms"]
        app.state.now = lambda: NOW + timedelta(days=8)  # 08:00 on the day: 2 h before
        summary = await dispatcher.run()
        # The day and the 2-hour reminders go by SMS; the week's is e-mail only, and the
        # customer has none: skipped, saying why.
        texts = [m["body"] for m in provider.received[1:]]
        assert (summary.sent, summary.skipped) == (2, 1)
        assert len(texts) == 2
        assert all("Dienstag, 8. Dezember um 10 Uhr" in text for text in texts)
        (week,) = await deliveries(db, event_type="reminder_1week")
        assert week.status == "skipped"
        assert provider.tokens[-1] == "Bearer prov_token"
        assert all(m["to"] == "+4915112345678" for m in provider.received)


class TestFailures:
    async def test_retries_then_the_fallback_then_failed(
        self, app, company_client, salon, db, dispatcher, provider, smtp
    ):
        await company_client.put(
            f"/api/v1/notifications/company/{salon.company_id}/booking_confirmed",
            json={
                "channel": "sms",
                "fallback_channel": "email",
                "retry_count": 2,
                "retry_delay_minutes": 5,
            },
        )
        appointment = await book(company_client, salon)
        provider.statuses = [503, 503, 503]
        first = await dispatcher.run()
        assert first.retried == 1
        (sms,) = await deliveries(db, event_type="booking_confirmed")
        assert (sms.status, sms.attempts) == ("pending", 1)
        assert sms.next_attempt_at == NOW + timedelta(minutes=5)
        app.state.now = lambda: NOW + timedelta(minutes=5)
        assert (await dispatcher.run()).retried == 1
        (sms,) = await deliveries(db, event_type="booking_confirmed")
        assert sms.next_attempt_at == NOW + timedelta(minutes=5 + 10)  # doubled
        app.state.now = lambda: NOW + timedelta(minutes=15)
        # The last retry fails: the fallback (e-mail) is tried at once, in the same run. The
        # customer has no e-mail address, so it is skipped, and never falls back again.
        third = await dispatcher.run()
        assert (third.failed, third.fallback, third.skipped) == (1, 1, 1)
        original, fallback = await deliveries(db, event_type="booking_confirmed")
        assert (original.status, original.attempts) == ("failed", 3)
        assert "503" in original.last_error
        assert (fallback.channel, fallback.fallback_of) == ("email", original.id)
        assert fallback.status == "skipped"
        assert "no e-mail address" in fallback.last_error
        assert smtp[1].messages == []
        assert len(await deliveries(db, event_type="booking_confirmed")) == 2
        assert appointment["id"] == original.appointment_id == fallback.appointment_id

    async def test_no_address_goes_to_the_fallback_at_once(
        self, company_client, salon, db, dispatcher, provider
    ):
        await book(company_client, salon)  # the customer has a phone, no e-mail
        summary = await dispatcher.run()
        assert (summary.skipped, summary.fallback, summary.sent) == (1, 1, 1)
        email, sms = await deliveries(db, event_type="booking_confirmed")
        assert (email.status, sms.status, sms.channel) == ("skipped", "sent", "sms")
        assert summary.line == "sent 1, retried 0, fallback 1, failed 0, skipped 1"

    async def test_an_unconfigured_channel_fails_without_retrying(
        self, app, company_client, salon, db, smtp
    ):
        from app.notifications.channels import Channels

        settings = app.state.settings.model_copy(update={"sms_provider_url": None})
        bare = Dispatcher(db, Channels(settings, None), clock=lambda: app.state.now())
        await book(company_client, salon)
        summary = await bare.run()
        assert summary.retried == 0
        email, sms = await deliveries(db, event_type="booking_confirmed")
        assert sms.status == "failed"
        assert "SMS_PROVIDER_URL is unset" in sms.last_error


async def _each_row_once(app, company_client, salon, db, dispatcher, provider):
    for day in range(8, 13):
        appointment = await book(
            company_client, salon, local(day, 10), phone=f"+49151000000{day:02d}"
        )
        await set_customer(db, appointment["customer_id"], email=None)
    app.state.now = lambda: NOW + timedelta(days=30)  # everything is due
    second = Dispatcher(db, dispatcher.sender, clock=lambda: app.state.now())
    first_summary, second_summary = await asyncio.gather(dispatcher.run(), second.run())
    sent = first_summary.sent + second_summary.sent
    bodies = [(m["to"], m["body"]) for m in provider.received]
    assert len(bodies) == sent
    rows = await deliveries(db, status="sent")
    assert len(rows) == sent > 5
    # Every row was sent by exactly one dispatcher: no message twice.
    assert len({row.id for row in rows}) == len(rows) == len(provider.received)


async def test_two_dispatchers_at_once_send_each_row_once(
    app, company_client, salon, db, dispatcher, provider
):
    await _each_row_once(app, company_client, salon, db, dispatcher, provider)


@requires_mysql()
async def test_two_dispatchers_at_once_send_each_row_once_on_mariadb(
    app, company_client, salon, db, dispatcher, provider
):
    """SKIP LOCKED: a row locked by one dispatcher's claim is passed over by the other."""
    await _each_row_once(app, company_client, salon, db, dispatcher, provider)
