"""The dispatcher: sends the outbox's due rows (`jobs dispatch-notifications`, the worker).

Rows are claimed in a short transaction (status `sending` with a lease; `SKIP LOCKED` on
MariaDB, SQLite's write lock otherwise), so two dispatchers never send one row twice; a
dispatcher that dies mid-send leaves a lease that expires, and the row is sent again. No
database lock is held while a message goes out.

A failure is retried `retry_count` times, the delay doubling from `retry_delay_minutes`;
then, once, the fallback channel is tried (a fallback never falls back again); then the
row is `failed` with its last error. A recipient without an address for the channel goes
to the fallback at once, else the row is `skipped`, saying why.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import transaction, utcnow
from app.notifications.channels import DeliveryError, Sender
from app.notifications.models import DeliveryStatus, NotificationDelivery
from app.notifications.templates import DEFAULTS, render
from app.spoken import speak_datetime
from app.tenancy.models import Branch, Company, Customer, PhoneNumber, Service, Staff
from app.tenancy.zones import zone_of

logger = logging.getLogger("app.notifications.dispatcher")

# A claimed row not finished within this is claimed again (its dispatcher died).
LEASE = timedelta(minutes=5)
BATCH = 50
# Messages of a claimed batch in flight at once: sending is waiting on the mail server or
# the provider, so one at a time left the dispatcher idle (measured: 66 rows/s, see bench).
CONCURRENT_SENDS = 4
ADDRESS_OF = {"email": "email", "sms": "phone", "whatsapp": "phone", "push": "phone"}


@dataclass
class DispatchSummary:
    sent: int = 0
    retried: int = 0
    fallback: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.skipped

    @property
    def line(self) -> str:
        return (
            f"sent {self.sent}, retried {self.retried}, fallback {self.fallback}, "
            f"failed {self.failed}, skipped {self.skipped}"
        )


@dataclass
class Claimed:
    """A claimed row's values, kept while no session is open (the message is being sent)."""

    id: int
    company_id: int
    event_type: str
    channel: str
    payload: dict[str, Any]
    attempts: int
    appointment_id: int | None
    callback_request_id: int | None
    fallback_of: int | None

    @classmethod
    def of(cls, row: NotificationDelivery) -> Claimed:
        return cls(
            row.id,
            row.company_id,
            row.event_type,
            row.channel,
            dict(row.payload or {}),
            row.attempts,
            row.appointment_id,
            row.callback_request_id,
            row.fallback_of,
        )


@dataclass
class Message:
    recipient: str | None
    subject: str
    body: str
    missing: str  # why there is no recipient


class Dispatcher:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        sender: Sender,
        *,
        clock: Callable[[], datetime] = utcnow,
        progress: Callable[[str], None] = lambda line: None,
        concurrent_sends: int | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.sender = sender
        self.clock = clock
        self.progress = progress
        if concurrent_sends is None:
            bind = sessionmaker.kw.get("bind")
            one_writer = bind is not None and bind.dialect.name == "sqlite"
            concurrent_sends = 1 if one_writer else CONCURRENT_SENDS
        self.concurrent_sends = concurrent_sends

    async def run(self, limit: int | None = None) -> DispatchSummary:
        """Send the rows due now (at most `limit`), batch by batch, until none is left."""
        summary = DispatchSummary()
        while limit is None or summary.handled < limit:
            size = BATCH if limit is None else min(BATCH, limit - summary.handled)
            claimed = await self._claim(size)
            if not claimed:
                break
            await self._deliver_all(claimed, summary)
            self.progress(f"{summary.handled} handled: {summary.line}")
        return summary

    async def _deliver_all(self, claimed: list[int], summary: DispatchSummary) -> None:
        """Each claimed row on its own (sessions included), a few at a time. A crash leaves
        the unfinished rows claimed; their lease runs out and they are sent again."""
        slots = asyncio.Semaphore(self.concurrent_sends)

        async def deliver(delivery_id: int) -> None:
            async with slots:
                await self._deliver(delivery_id, summary)

        async with asyncio.TaskGroup() as group:
            for delivery_id in claimed:
                group.create_task(deliver(delivery_id))

    async def _claim(self, size: int) -> list[int]:
        now = self.clock()
        due = or_(
            and_(
                NotificationDelivery.status == DeliveryStatus.PENDING,
                NotificationDelivery.next_attempt_at <= now,
            ),
            # A lease that ran out: its dispatcher died mid-send.
            and_(
                NotificationDelivery.status == DeliveryStatus.SENDING,
                NotificationDelivery.next_attempt_at <= now,
            ),
        )
        async with transaction(self.sessionmaker) as session:
            ids = list(
                (
                    await session.execute(
                        select(NotificationDelivery.id)
                        .where(due)
                        .order_by(NotificationDelivery.next_attempt_at, NotificationDelivery.id)
                        .limit(size)
                        .with_for_update(skip_locked=True)
                    )
                ).scalars()
            )
            if ids:
                await session.execute(
                    update(NotificationDelivery)
                    .where(NotificationDelivery.id.in_(ids), due)
                    .values(status=DeliveryStatus.SENDING, next_attempt_at=now + LEASE)
                )
        return ids

    async def _deliver(self, delivery_id: int, summary: DispatchSummary) -> None:
        async with self.sessionmaker() as session:
            row = await session.get(NotificationDelivery, delivery_id)
            assert row is not None
            message = await self._compose(session, row)
            delivery = Claimed.of(row)
            await session.rollback()
        if message.recipient is None:
            await self._finish(delivery, DeliveryStatus.SKIPPED, message.missing, summary)
            return
        try:
            await self.sender.send(
                delivery.channel, message.recipient, message.subject, message.body
            )
        except DeliveryError as exc:
            await self._failed(delivery, message.recipient, exc, summary)
            return
        async with transaction(self.sessionmaker) as session:
            await self._update(
                session,
                delivery,
                status=DeliveryStatus.SENT,
                recipient=message.recipient,
                attempts=delivery.attempts + 1,
                sent_at=self.clock(),
                last_error=None,
            )
        summary.sent += 1

    async def _failed(
        self,
        delivery: Claimed,
        recipient: str,
        exc: DeliveryError,
        summary: DispatchSummary,
    ) -> None:
        attempts = delivery.attempts + 1
        payload = delivery.payload or {}
        retries = int(payload.get("retry_count", 0))
        logger.warning(
            "notification.failed",
            extra={"delivery_id": delivery.id, "attempt": attempts, "error": str(exc)[:300]},
        )
        if not exc.permanent and attempts <= retries:
            delay = timedelta(minutes=int(payload.get("retry_delay_minutes", 5)))
            async with transaction(self.sessionmaker) as session:
                await self._update(
                    session,
                    delivery,
                    status=DeliveryStatus.PENDING,
                    recipient=recipient,
                    attempts=attempts,
                    next_attempt_at=self.clock() + delay * 2 ** (attempts - 1),
                    last_error=str(exc)[:1000],
                )
            summary.retried += 1
            return
        delivery.attempts = attempts
        await self._finish(delivery, DeliveryStatus.FAILED, str(exc), summary, recipient)

    async def _finish(
        self,
        delivery: Claimed,
        status: DeliveryStatus,
        reason: str,
        summary: DispatchSummary,
        recipient: str | None = None,
    ) -> None:
        """Failed or skipped for good: once, the fallback channel takes over."""
        fallback = (delivery.payload or {}).get("fallback_channel")
        async with transaction(self.sessionmaker) as session:
            await self._update(
                session,
                delivery,
                status=status,
                recipient=recipient,
                attempts=delivery.attempts,
                last_error=reason[:1000],
            )
            if fallback and delivery.fallback_of is None:
                session.add(
                    NotificationDelivery(
                        company_id=delivery.company_id,
                        event_type=delivery.event_type,
                        channel=fallback,
                        recipient=None,  # the fallback channel's address is read when sent
                        payload={**(delivery.payload or {}), "fallback_channel": None},
                        status=DeliveryStatus.PENDING,
                        attempts=0,
                        next_attempt_at=self.clock(),
                        appointment_id=delivery.appointment_id,
                        callback_request_id=delivery.callback_request_id,
                        fallback_of=delivery.id,
                    )
                )
                summary.fallback += 1
        if status == DeliveryStatus.SKIPPED:
            summary.skipped += 1
        else:
            summary.failed += 1

    async def _update(self, session: AsyncSession, delivery: Claimed, **values: Any) -> None:
        await session.execute(
            update(NotificationDelivery)
            .where(NotificationDelivery.id == delivery.id)
            .values(**values)
        )

    # --- composing a message ---------------------------------------------------------------

    async def _compose(self, session: AsyncSession, delivery: NotificationDelivery) -> Message:
        payload = delivery.payload or {}
        company = await session.get(Company, delivery.company_id)
        assert company is not None
        if delivery.callback_request_id is not None:
            variables, language, recipient, missing = await self._callback_context(
                session, delivery, company
            )
        else:
            variables, language, recipient, missing = await self._customer_context(
                session, delivery, company
            )
        subject, body = DEFAULTS[delivery.event_type][language]
        override = payload.get("template_override")
        return Message(
            recipient=recipient,
            subject=render(subject, variables),
            body=render(override or body, variables),
            missing=missing,
        )

    async def _customer_context(
        self, session: AsyncSession, delivery: NotificationDelivery, company: Company
    ) -> tuple[dict[str, str], str, str | None, str]:
        facts = (delivery.payload or {}).get("appointment", {})
        customer = await _get(session, Customer, facts.get("customer_id"))
        service = await _get(session, Service, facts.get("service_id"))
        staff = await _get(session, Staff, facts.get("staff_id"))
        branch = await _get(session, Branch, facts.get("branch_id"))
        language = (customer.language if customer else None) or company.language or "de"
        language = language if language in ("de", "en") else "de"
        start = ""
        if facts.get("starts_at"):
            local = datetime.fromisoformat(facts["starts_at"]).astimezone(zone_of(branch, company))
            start = speak_datetime(local, language)  # type: ignore[arg-type]
        variables = {
            "customer_name": customer.name if customer else "",
            "service_name": service.name if service else "",
            "staff_name": staff.name if staff else "",
            "branch_name": branch.name if branch else "",
            "company_name": company.name,
            "start": start,
            "fee": str((delivery.payload or {}).get("fee", "0.00")),
            "callback_phone": await self._salon_phone(session, branch, company),
        }
        kind = ADDRESS_OF[delivery.channel]
        address = getattr(customer, kind, None) if customer else None
        missing = f"the customer has no {'e-mail address' if kind == 'email' else 'phone number'}"
        return variables, language, address, missing

    async def _callback_context(
        self, session: AsyncSession, delivery: NotificationDelivery, company: Company
    ) -> tuple[dict[str, str], str, str | None, str]:
        payload = delivery.payload or {}
        facts = payload.get("callback", {})
        branch = await _get(session, Branch, facts.get("branch_id"))
        service = await _get(session, Service, facts.get("service_id"))
        staff = await _get(session, Staff, payload.get("staff_id"))
        language = company.language if company.language in ("de", "en") else "de"
        variables = {
            "customer_name": facts.get("customer_name") or facts.get("phone", ""),
            "service_name": service.name if service else "",
            "staff_name": staff.name if staff else "",
            "branch_name": branch.name if branch else "",
            "company_name": company.name,
            "start": "",
            "fee": "0.00",
            "callback_phone": facts.get("phone", ""),  # the number staff should call
        }
        address = delivery.recipient if delivery.channel == "email" else None
        missing = "the staff member has no address for this channel"
        return variables, language, address, missing

    @staticmethod
    async def _salon_phone(session: AsyncSession, branch: Branch | None, company: Company) -> str:
        if branch is not None and branch.phone:
            return branch.phone
        number = await session.scalar(
            select(PhoneNumber.number).where(PhoneNumber.company_id == company.id).limit(1)
        )
        return number or ""


async def _get(session: AsyncSession, model: type[Any], entity_id: Any) -> Any:
    return await session.get(model, entity_id) if entity_id is not None else None
