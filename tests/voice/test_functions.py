"""Every function the agent calls, happy and unhappy, in Retell's and Vapi's dialects.

The clock is Monday 30 November 2026, 08:00 in Berlin; Anna (cut, colour) and Ben (cut)
work 09:00-18:00 Monday to Saturday. Every answer is checked against the message rules
(`Agent.__call__` -> `Reply.speakable`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.callbacks.models import CallbackRequest
from app.scheduling.models import Appointment
from app.tenancy.models import Customer
from app.voice.models import CallInvocation
from tests import factories
from tests.conftest import table_count
from tests.salon import BERLIN, booking, local
from tests.voice.conftest import CALLER, speak_english

TUESDAY_10 = "2026-12-01T10:00:00+01:00"


async def book_for(company_client, salon, start: str, *, phone: str = CALLER, **kw) -> dict:
    response = await company_client.post(
        "/api/v1/appointments", json=booking(salon, start, phone=phone, **kw)
    )
    assert response.status_code == 201, response.text
    return response.json()


async def appointments(db) -> list[Appointment]:
    async with db() as session:
        return list((await session.scalars(select(Appointment).order_by(Appointment.id))).all())


class TestInformation:
    async def test_list_services_names_them_and_data_has_prices(self, agent):
        reply = await agent("list_services")
        assert reply.success
        assert [s["name"] for s in reply.data["services"]] == ["Cut", "Colour"]
        assert reply.data["services"][0] == {
            "id": reply.data["services"][0]["id"],
            "name": "Cut",
            "duration_minutes": 30,
            "price": "35.00",
        }
        assert "Cut und Colour" in reply.message

    async def test_a_service_of_another_branch_is_not_offered(self, agent, db, phone_line):
        other = await factories.make_branch(db, phone_line.company_id)
        await factories.make_service(db, phone_line.company_id, name="Perm", branch_id=other.id)
        reply = await agent("list_services")
        assert "Perm" not in [s["name"] for s in reply.data["services"]]

    async def test_opening_hours_for_a_week_and_a_sunday(self, agent):
        week = await agent("get_opening_hours")
        assert week.success
        assert len(week.data["days"]) == 7
        assert week.data["days"][0] == {
            "date": "2026-11-30",
            "ranges": [{"start": "09:00", "end": "18:00"}],
        }
        sunday = await agent("get_opening_hours", datum="Sonntag")
        assert sunday.success
        assert sunday.data["days"] == [{"date": "2026-12-06", "ranges": []}]
        assert "geschlossen" in sunday.message

    async def test_opening_hours_of_a_date_not_understood_asks(self, agent):
        reply = await agent("get_opening_hours", date="irgendwann")
        assert not reply.success
        assert reply.data["needs"] == "date"


class TestCheckAvailability:
    async def test_a_free_time_is_offered_with_the_staff_member(self, agent):
        reply = await agent(
            "check_availability", dienstleistung="cut", datum="morgen", uhrzeit="10 Uhr"
        )
        assert reply.success
        assert reply.data["available"] is True
        assert reply.data["requested_start"] == TUESDAY_10
        assert reply.data["slot"]["start"] == TUESDAY_10
        assert reply.data["slot"]["staff_name"] in ("Anna", "Ben")
        assert reply.message.startswith("Dienstag, 1. Dezember um 10 Uhr ist frei")

    async def test_a_taken_time_offers_at_most_two_alternatives(
        self, agent, company_client, phone_line
    ):
        for staff in (phone_line.anna_id, phone_line.ben_id):
            await book_for(
                company_client, phone_line, local(1, 10), staff=staff, phone="+4917012345670"
            )
        reply = await agent("check_availability", service="Cut", date="2026-12-01", time="10:00")
        assert reply.success is False
        assert reply.data["available"] is False
        assert 1 <= len(reply.data["alternatives"]) <= 2
        first = reply.data["alternatives"][0]
        assert set(first) == {"start", "staff_id", "staff_name", "spoken"}
        assert datetime.fromisoformat(first["start"]).utcoffset() is not None
        assert first["spoken"] in reply.message

    async def test_processing_time_frees_the_stylist(self, agent, company_client, phone_line):
        """Anna's colour at 10:00 leaves her free from 10:30 to 11:00 for a cut."""
        await book_for(
            company_client, phone_line, local(1, 10), service="colour", staff=phone_line.anna_id
        )
        reply = await agent(
            "check_availability", service="cut", staff="anna", date="morgen", time="10:30"
        )
        assert reply.success and reply.data["slot"]["staff_name"] == "Anna"

    async def test_a_day_without_a_time_offers_its_earliest_starts(self, agent):
        reply = await agent("check_availability", service="Cut", date="Dienstag")
        assert reply.success
        starts = [alt["start"] for alt in reply.data["alternatives"]]
        assert starts == ["2026-12-01T09:00:00+01:00", "2026-12-01T09:15:00+01:00"]

    async def test_a_window_offers_starts_inside_it(self, agent):
        reply = await agent("check_availability", service="Cut", datum="morgen nachmittags")
        assert reply.success
        for alt in reply.data["alternatives"]:
            assert 12 <= datetime.fromisoformat(alt["start"]).hour < 18

    async def test_two_services_of_one_name_are_ambiguous(self, agent, db, phone_line):
        cut = phone_line.cut_id
        service = await factories.make_service(db, phone_line.company_id, name="Cut")
        assert service.id != cut  # two services named Cut: ambiguous
        reply = await agent("check_availability", service="cut", date="morgen", time="10")
        assert not reply.success
        assert reply.data["needs"] == "service"
        assert reply.data["candidates"] == ["Cut", "Cut"]

    async def test_an_ambiguous_service_names_the_candidates(self, agent, db, phone_line):
        await factories.make_service(db, phone_line.company_id, name="Colour Refresh")
        reply = await agent("check_availability", service="col", date="morgen", time="10")
        assert not reply.success
        assert reply.data["needs"] == "service"
        assert reply.data["candidates"] == ["Colour", "Colour Refresh"]
        assert "Colour oder Colour Refresh" in reply.message

    async def test_an_unknown_service_or_staff_member_is_asked_about(self, agent):
        unknown = await agent("check_availability", service="Massage", date="morgen", time="10")
        assert not unknown.success and unknown.data["needs"] == "service"
        nobody = await agent(
            "check_availability", service="Cut", mitarbeiter="Zoe", date="morgen", time="10"
        )
        assert not nobody.success and nobody.data["needs"] == "staff"
        assert nobody.data["candidates"] == ["Anna", "Ben"]

    async def test_no_service_named_asks_for_one(self, agent):
        reply = await agent("check_availability", date="morgen", time="10")
        assert not reply.success and reply.data["needs"] == "service"

    @pytest.mark.parametrize(
        ("args", "needs"),
        [
            ({"date": "irgendwann", "time": "10"}, "date"),
            ({"date": "morgen", "time": "bald mal"}, "time"),
            ({"date": "2026-11-02", "time": "10"}, "date"),  # past
        ],
    )
    async def test_what_is_not_understood_is_asked_never_guessed(self, agent, args, needs):
        reply = await agent("check_availability", service="Cut", **args)
        assert not reply.success
        assert reply.data["needs"] == needs
        assert reply.message.endswith("?")

    async def test_a_time_alone_is_its_next_occurrence(self, agent):
        reply = await agent("check_availability", service="Cut", time="10 Uhr")
        assert reply.data["requested_start"] == "2026-11-30T10:00:00+01:00"

    async def test_in_english(self, agent, db, phone_line):
        await speak_english(db, phone_line.company_id)
        reply = await agent("check_availability", service="Cut", date="tomorrow", time="2:30 pm")
        assert reply.success
        assert reply.message.startswith("Tuesday 1 December at 2:30 pm is free")


class TestBook:
    async def test_books_for_the_caller_and_creates_the_customer(self, agent, db):
        reply = await agent(
            "book_appointment", service="Cut", datum="morgen", uhrzeit="10 Uhr", name="Erika"
        )
        assert reply.success, reply
        assert reply.data["start"] == TUESDAY_10
        assert reply.data["end"] == "2026-12-01T10:30:00+01:00"
        assert reply.data["service_name"] == "Cut"
        assert reply.data["status"] == "confirmed"
        assert reply.message == (
            f"Gebucht: Cut bei {reply.data['staff_name']} am Dienstag, 1. Dezember um 10 Uhr."
        )
        (stored,) = await appointments(db)
        assert stored.id == reply.data["appointment_id"]
        assert str(stored.source) == "voice"
        async with db() as session:
            customer = await session.get(Customer, stored.customer_id)
        assert (customer.name, customer.phone) == ("Erika", CALLER)

    async def test_a_given_phone_number_wins_over_the_caller_id(self, agent, db):
        reply = await agent(
            "book_appointment",
            service="Cut",
            datetime="morgen um 11",
            customer_name="Erika",
            telefon="0171 9876543",
        )
        assert reply.success
        async with db() as session:
            customer = await session.get(Customer, (await appointments(db))[0].customer_id)
        assert customer.phone == "+491719876543"

    async def test_a_split_service_is_booked_in_its_phases(self, agent, db):
        reply = await agent(
            "book_appointment", service="Colour", date="morgen", time="10", customer_name="Erika"
        )
        assert reply.success
        assert reply.data["end"] == "2026-12-01T11:30:00+01:00"
        assert reply.data["staff_name"] == "Anna"

    async def test_taken_offers_alternatives_and_books_nothing(
        self, agent, company_client, phone_line, db
    ):
        for staff in (phone_line.anna_id, phone_line.ben_id):
            await book_for(
                company_client, phone_line, local(1, 10), staff=staff, phone="+4917012345670"
            )
        reply = await agent(
            "book_appointment", service="Cut", date="morgen", time="10", customer_name="Erika"
        )
        assert not reply.success
        assert reply.data["booked"] is False
        assert reply.data["requested_start"] == TUESDAY_10
        assert 1 <= len(reply.data["alternatives"]) <= 2
        assert len(await appointments(db)) == 2
        assert await table_count(db, "customers") == 1  # the caller was not created either

    async def test_a_name_is_required(self, agent, db):
        reply = await agent("book_appointment", service="Cut", date="morgen", time="10")
        assert not reply.success and reply.data["needs"] == "customer_name"
        assert await appointments(db) == []

    async def test_a_date_without_time_asks_for_the_time(self, agent, db):
        reply = await agent("book_appointment", service="Cut", date="morgen", name="Erika")
        assert not reply.success and reply.data["needs"] == "time"
        assert await appointments(db) == []

    async def test_outside_working_hours_is_refused_with_alternatives(self, agent, db):
        reply = await agent(
            "book_appointment", service="Cut", date="morgen", time="20 Uhr", name="Erika"
        )
        assert not reply.success
        assert reply.data["reason"] == "outside_working_hours"
        (latest, *_) = reply.data["alternatives"]
        assert set(latest) == {"start", "staff_id", "staff_name", "spoken"}
        assert latest["start"] == "2026-12-01T17:30:00+01:00"
        assert latest["spoken"] in reply.message
        assert await appointments(db) == []


class TestAnonymousCaller:
    @pytest.fixture
    def anonymous(self, agent):
        agent.from_number = None
        return agent

    async def test_may_book_with_a_name_and_a_number(self, anonymous, db):
        no_number = await anonymous(
            "book_appointment", service="Cut", date="morgen", time="10", name="Erika"
        )
        assert not no_number.success and no_number.data["needs"] == "customer_phone"
        reply = await anonymous(
            "book_appointment",
            service="Cut",
            date="morgen",
            time="10",
            name="Erika",
            customer_phone="+49 171 9876543",
        )
        assert reply.success
        assert len(await appointments(db)) == 1

    @pytest.mark.parametrize(
        "name", ["find_appointments", "cancel_appointment", "reschedule_appointment"]
    )
    async def test_may_not_find_cancel_or_move(self, anonymous, name, company_client, phone_line):
        await book_for(company_client, phone_line, local(2, 10))
        reply = await anonymous(name, date="2026-12-02", new_date="2026-12-03", new_time="10")
        assert not reply.success
        assert reply.data["callback_offered"] is True
        assert "zurückrufen" in reply.message

    async def test_a_withheld_number_is_anonymous(self, agent, company_client, phone_line):
        agent.from_number = "anonymous"
        await book_for(company_client, phone_line, local(2, 10))
        reply = await agent("find_appointments")
        assert not reply.success and reply.data["callback_offered"] is True

    async def test_may_request_a_callback_with_a_number(self, anonymous, db):
        asked = await anonymous("request_callback", reason="Preisfrage")
        assert not asked.success and asked.data["needs"] == "phone"
        reply = await anonymous("request_callback", phone="030 5556667", reason="Preisfrage")
        assert reply.success
        assert await table_count(db, "callback_requests") == 1


class TestFindAppointments:
    async def test_lists_the_callers_upcoming_appointments_only(
        self, agent, company_client, phone_line
    ):
        mine = await book_for(company_client, phone_line, local(2, 10))
        await book_for(company_client, phone_line, local(2, 11), phone="+4917012345699")
        reply = await agent("find_appointments")
        assert reply.success
        (listed,) = reply.data["appointments"]
        assert listed["appointment_id"] == mine["id"]
        assert listed["start"] == "2026-12-02T10:00:00+01:00"
        assert listed["spoken"] == "Mittwoch, 2. Dezember um 10 Uhr"
        assert set(listed) == {"appointment_id", "start", "service_name", "staff_name", "spoken"}

    async def test_none_found_is_said(self, agent):
        reply = await agent("find_appointments")
        assert reply.success and reply.data["appointments"] == []


class TestCancel:
    async def test_cancels_the_callers_appointment_by_date(
        self, agent, company_client, phone_line, db
    ):
        mine = await book_for(company_client, phone_line, local(3, 10))
        reply = await agent("cancel_appointment", datum="3.12.", grund="krank")
        assert reply.success
        assert reply.data == {
            "appointment_id": mine["id"],
            "status": "cancelled",
            "fee": "0.00",
            "start": "2026-12-03T10:00:00+01:00",
        }
        assert reply.message == "Ihr Termin am Donnerstag, 3. Dezember um 10 Uhr ist abgesagt."
        (stored,) = await appointments(db)
        assert str(stored.status) == "cancelled"

    async def test_by_id(self, agent, company_client, phone_line):
        mine = await book_for(company_client, phone_line, local(3, 10))
        reply = await agent("cancel_appointment", termin_id=str(mine["id"]))
        assert reply.success and reply.data["appointment_id"] == mine["id"]

    async def test_another_callers_or_companys_appointment_is_not_found(
        self, agent, company_client, phone_line, db, other_tenant, other_client
    ):
        stranger = await book_for(company_client, phone_line, local(3, 10), phone="+4917012345699")
        service = await factories.make_service(db, other_tenant.company_id)
        await factories.make_staff(
            db, other_tenant.company_id, other_tenant.branch_id, services=[service]
        )
        theirs = await other_client.post(
            "/api/v1/appointments",
            json={
                "branch_id": other_tenant.branch_id,
                "service_id": service.id,
                "start": local(3, 10),
                "customer": {"name": "Erika", "phone": CALLER},
            },
        )
        assert theirs.status_code == 201, theirs.text
        for appointment_id in (stranger["id"], theirs.json()["id"]):
            reply = await agent("cancel_appointment", appointment_id=appointment_id)
            assert not reply.success
            assert reply.data == {"appointments": []}
        assert {str(a.status) for a in await appointments(db)} == {"confirmed"}

    async def test_several_that_day_are_listed_for_the_caller_to_choose(
        self, agent, company_client, phone_line, db
    ):
        await book_for(company_client, phone_line, local(3, 10))
        await book_for(company_client, phone_line, local(3, 15))
        reply = await agent("cancel_appointment", date="Donnerstag")
        assert not reply.success
        assert reply.data["needs"] == "appointment_id"
        assert len(reply.data["appointments"]) == 2
        assert "10 Uhr" in reply.message and "15 Uhr" in reply.message
        assert {str(a.status) for a in await appointments(db)} == {"confirmed"}

    async def test_too_late_is_refused_with_the_reason_and_a_callback(
        self, agent, company_client, phone_line, db
    ):
        response = await company_client.put(
            f"/api/v1/policies/company/{phone_line.company_id}/cancellation",
            json={"config": {"hours_before": 48}},
        )
        assert response.status_code in (200, 201), response.text
        mine = await book_for(company_client, phone_line, local(1, 10))
        reply = await agent("cancel_appointment", appointment_id=mine["id"])
        assert not reply.success
        assert reply.data["reason"] == "insufficient_notice"
        assert reply.data["callback_offered"] is True
        assert "fee" in reply.data
        assert str((await appointments(db))[0].status) == "confirmed"

    async def test_a_fee_is_spoken(self, agent, company_client, phone_line):
        response = await company_client.put(
            f"/api/v1/policies/company/{phone_line.company_id}/cancellation",
            json={"config": {"fee": 15}},
        )
        assert response.status_code in (200, 201), response.text
        mine = await book_for(company_client, phone_line, local(1, 10))
        reply = await agent("cancel_appointment", appointment_id=mine["id"])
        assert reply.success, reply
        assert Decimal(reply.data["fee"]) == Decimal("15")
        assert "15 Euro" in reply.message


class TestReschedule:
    async def test_moves_to_a_free_time(self, agent, company_client, phone_line, db):
        mine = await book_for(company_client, phone_line, local(3, 10))
        reply = await agent(
            "reschedule_appointment", date="Donnerstag", neues_datum="Freitag", neue_uhrzeit="14"
        )
        assert reply.success, reply
        assert reply.data["appointment_id"] == mine["id"]
        assert reply.data["start"] == "2026-12-04T14:00:00+01:00"
        assert reply.message == "Ihr Termin ist jetzt am Freitag, 4. Dezember um 14 Uhr."
        (stored,) = await appointments(db)
        assert stored.starts_at.astimezone(BERLIN).hour == 14

    async def test_onto_a_taken_time_offers_alternatives(
        self, agent, company_client, phone_line, db
    ):
        mine = await book_for(company_client, phone_line, local(3, 10), staff=phone_line.ben_id)
        await book_for(
            company_client,
            phone_line,
            local(4, 14),
            staff=phone_line.ben_id,
            phone="+4917012345699",
        )
        await book_for(
            company_client,
            phone_line,
            local(4, 14),
            staff=phone_line.anna_id,
            phone="+4917012345698",
        )
        reply = await agent(
            "reschedule_appointment",
            appointment_id=mine["id"],
            new_datetime="Freitag um 14 Uhr",
        )
        assert not reply.success
        assert reply.data["rescheduled"] is False
        assert reply.data["alternatives"]
        stored = next(a for a in await appointments(db) if a.id == mine["id"])
        assert stored.starts_at.astimezone(BERLIN).day == 3

    async def test_without_a_new_time_asks(self, agent, company_client, phone_line):
        await book_for(company_client, phone_line, local(3, 10))
        reply = await agent("reschedule_appointment", date="Donnerstag", new_date="Freitag")
        assert not reply.success and reply.data["needs"] == "time"

    async def test_quota_exceeded_is_refused(self, agent, company_client, phone_line, db):
        response = await company_client.put(
            f"/api/v1/policies/company/{phone_line.company_id}/reschedule",
            json={"config": {"max_reschedules_per_appointment": 1}},
        )
        assert response.status_code in (200, 201), response.text
        mine = await book_for(company_client, phone_line, local(3, 10))
        first = await agent(
            "reschedule_appointment", appointment_id=mine["id"], new_date="Freitag", new_time="10"
        )
        assert first.success, first
        second = await agent(
            "reschedule_appointment", appointment_id=mine["id"], new_date="Samstag", new_time="10"
        )
        assert not second.success
        assert second.data["reason"] == "quota_exceeded"
        assert second.data["callback_offered"] is True


class TestCallback:
    async def test_requested_through_the_callback_service(self, agent, db):
        reply = await agent(
            "request_callback", customer_name="Erika", reason="Farbberatung", priority="high"
        )
        assert reply.success
        assert reply.data["merged"] is False
        assert datetime.fromisoformat(reply.data["expires_at"]).utcoffset() is not None
        async with db() as session:
            (stored,) = (await session.scalars(select(CallbackRequest))).all()
        assert stored.id == reply.data["callback_id"]
        assert (stored.phone, str(stored.priority)) == (CALLER, "high")

    async def test_a_second_request_within_30_minutes_is_merged(self, agent, db):
        first = await agent("request_callback", reason="Frage")
        second = await agent.on_another_call()("request_callback", reason="Noch eine Frage")
        assert second.success and second.data["merged"] is True
        assert second.data["callback_id"] == first.data["callback_id"]
        assert await table_count(db, "callback_requests") == 1


class TestUnknown:
    async def test_an_unknown_function_is_a_sentence_not_an_error(self, agent):
        reply = await agent("order_pizza", size="large")
        assert not reply.success
        assert reply.data["callback_offered"] is True

    async def test_an_unknown_dialled_number_is_said(self, agent, db):
        agent.to_number = "+49309999999"
        reply = await agent("list_services")
        assert not reply.success
        assert await table_count(db, "calls") == 0

    async def test_the_inbound_metadata_finds_the_salon_without_a_number(self, agent, phone_line):
        agent.to_number = "+49309999999"
        agent.metadata = {"company_id": phone_line.company_id, "branch_id": phone_line.branch_id}
        reply = await agent("list_services")
        assert reply.success


class TestUnexpectedFailure:
    async def test_is_an_apology_with_a_callback_offer_and_changes_nothing(
        self, agent, db, monkeypatch
    ):
        from app.scheduling.service import SchedulingService

        async def broken(*args, **kwargs):
            raise RuntimeError("a bug")

        monkeypatch.setattr(SchedulingService, "book", broken)
        reply = await agent("book_appointment", service="Cut", date="morgen", time="10", name="E")
        assert not reply.success
        assert reply.data == {"callback_offered": True}
        assert "nichts geändert" in reply.message
        assert await table_count(db, "customers") == 0
        # The call and the failed attempt are logged; a retry may try again.
        async with db() as session:
            (logged,) = (await session.scalars(select(CallInvocation))).all()
        assert (logged.function, logged.success, logged.idempotency_key) == (
            "book_appointment",
            False,
            None,
        )
