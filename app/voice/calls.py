"""Calls: which company and branch a call is for, the call's row through its lifecycle
(Retell's webhooks), and the log of every function the agent called."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.e164 import normalise_phone
from app.errors import DomainError
from app.repository import TenantScoped
from app.schemas import Page
from app.tenancy.company_settings import CompanySettings
from app.tenancy.models import Branch, Company, PhoneNumber
from app.tenancy.zones import zone_of
from app.voice.envelopes import CallFacts
from app.voice.models import Call, CallInvocation

# What a call achieved, best first: the outcome is the best of its functions' successes.
OUTCOMES = ("booked", "rescheduled", "cancelled", "callback", "information", "failed")
# The data of a claimed change whose answer is not known yet.
IN_PROGRESS = "in_progress"
OUTCOME_OF = {
    "book_appointment": "booked",
    "reschedule_appointment": "rescheduled",
    "cancel_appointment": "cancelled",
    "request_callback": "callback",
}


@dataclass(frozen=True)
class Line:
    """The salon a call reached: company and branch, with what answers are spoken in."""

    company: Company
    branch: Branch

    @property
    def language(self) -> str:
        return self.company.language if self.company.language in ("de", "en") else "de"

    @property
    def tz(self):  # noqa: ANN201 (a ZoneInfo)
        return zone_of(self.branch, self.company)

    def region(self, default: str) -> str:
        return CompanySettings.from_stored(self.company.settings).region(default)


def e164_or_none(raw: str | None, region: str) -> str | None:
    if not raw:
        return None
    try:
        return normalise_phone(raw, region)
    except DomainError:
        return None  # "anonymous", "unknown", a withheld number


def idempotency_key(name: str, args: dict[str, Any]) -> str:
    normalised = json.dumps(
        {key: str(value).strip().lower() for key, value in args.items() if value not in (None, "")},
        sort_keys=True,
    )
    return hashlib.sha256(f"{name}\n{normalised}".encode()).hexdigest()


class CallLog:
    def __init__(self, session: AsyncSession, default_region: str = "DE") -> None:
        self.session = session
        self.default_region = default_region

    async def line_for(self, facts: CallFacts) -> Line | None:
        """The dialled number's company and branch, else the ids the inbound answer put in
        the call's metadata; None when neither is known (or the company is inactive)."""
        dialled = e164_or_none(facts.to_number, self.default_region)
        if dialled is not None:
            row = (
                await self.session.execute(
                    select(PhoneNumber, Company)
                    .join(Company, Company.id == PhoneNumber.company_id)
                    .where(PhoneNumber.number == dialled, Company.is_active.is_(True))
                )
            ).first()
            if row is not None:
                number, company = row
                branch = await self._branch(company.id, number.branch_id)
                return Line(company, branch) if branch is not None else None
        company_id, branch_id = facts.metadata.get("company_id"), facts.metadata.get("branch_id")
        if str(company_id or "").isdigit() and len(str(company_id)) < 10:
            company = await self.session.get(Company, int(company_id))
            if company is not None and company.is_active:
                wanted = (
                    int(branch_id)
                    if str(branch_id or "").isdigit() and len(str(branch_id)) < 10
                    else None
                )
                branch = await self._branch(company.id, wanted)
                return Line(company, branch) if branch is not None else None
        return None

    async def _branch(self, company_id: int, branch_id: int | None) -> Branch | None:
        stmt = select(Branch).where(Branch.company_id == company_id, Branch.is_active.is_(True))
        if branch_id is not None:
            found = await self.session.scalar(stmt.where(Branch.id == branch_id))
            if found is not None:
                return found
        return await self.session.scalar(stmt.order_by(Branch.id).limit(1))

    async def ensure(self, line: Line, facts: CallFacts) -> Call | None:
        """The call's row, created on its first function call when no webhook made it."""
        if facts.call_id is None:
            return None
        call = await self._by_call_id(facts.call_id)
        if call is not None:
            return call if call.company_id == line.company.id else None
        region = line.region(self.default_region)
        call = Call(
            company_id=line.company.id,
            branch_id=line.branch.id,
            retell_call_id=facts.call_id,
            provider=facts.provider,
            agent_id=facts.agent_id,
            from_number=e164_or_none(facts.from_number, region) or facts.from_number,
            to_number=e164_or_none(facts.to_number, region) or facts.to_number,
            direction=facts.direction or "inbound",
            status="ongoing",
        )
        try:
            async with self.session.begin_nested():
                self.session.add(call)
        except IntegrityError:  # the call_started webhook made it meanwhile
            return await self._by_call_id(facts.call_id)
        return call

    async def _by_call_id(self, call_id: str) -> Call | None:
        return await self.session.scalar(select(Call).where(Call.retell_call_id == call_id))

    async def claim(
        self, call: Call, name: str, args: dict[str, Any], key: str
    ) -> tuple[CallInvocation, bool]:
        """Claim a change for this call before making it: (the invocation, True) when this
        request is the first to ask for it; (the earlier one, False) when a retry finds it.

        The claim is the invocation's row with its idempotency key, unique per call: a
        concurrent retry waits for this transaction (the call's row lock; SQLite's write
        lock) and then finds it, answered or (after a calendar hold committed it early)
        still in progress."""
        # One call's changes are made one at a time: the call's row is the lock. (Without
        # it two retries deadlock on MariaDB: each holds the shared lock its invocation's
        # foreign key takes on the call, and the first then updates the call.)
        await self.session.execute(select(Call.id).where(Call.id == call.id).with_for_update())
        for _ in range(3):
            invocation = CallInvocation(
                company_id=call.company_id,
                call_id=call.id,
                sequence=await self._next_sequence(call),
                function=name,
                args=args,
                success=False,
                message="",
                data={IN_PROGRESS: True},
                latency_ms=0,
                idempotency_key=key,
            )
            try:
                async with self.session.begin_nested():
                    self.session.add(invocation)
            except IntegrityError:
                earlier = await self.session.scalar(
                    select(CallInvocation)
                    .where(CallInvocation.call_id == call.id, CallInvocation.idempotency_key == key)
                    .execution_options(populate_existing=True)
                )
                if earlier is not None:
                    return earlier, False
                continue  # the earlier attempt failed and let go of the key meanwhile
            return invocation, True
        raise RuntimeError("could not claim a change that keeps being released")

    async def finish(
        self, call: Call, invocation: CallInvocation, answer: dict[str, Any], latency_ms: int
    ) -> None:
        """The claimed change's answer. Only a success keeps the key (and is replayed to a
        retry): a refusal may well succeed when asked again."""
        invocation.success = answer["success"]
        invocation.message = answer["message"]
        invocation.data = answer.get("data") or {}
        invocation.latency_ms = latency_ms
        if not answer["success"]:
            invocation.idempotency_key = None
        self._outcome(call, invocation.function, answer)
        await self.session.flush()

    async def record(
        self, call: Call, name: str, args: dict[str, Any], answer: dict[str, Any], latency_ms: int
    ) -> None:
        """A function that changed nothing (or a replayed answer), logged in order."""
        self.session.add(
            CallInvocation(
                company_id=call.company_id,
                call_id=call.id,
                sequence=await self._next_sequence(call),
                function=name,
                args=args,
                success=answer["success"],
                message=answer["message"],
                data=answer.get("data") or {},
                latency_ms=latency_ms,
            )
        )
        self._outcome(call, name, answer)
        await self.session.flush()

    async def _next_sequence(self, call: Call) -> int:
        latest = await self.session.scalar(
            select(func.coalesce(func.max(CallInvocation.sequence), 0)).where(
                CallInvocation.call_id == call.id
            )
        )
        return int(latest or 0) + 1

    @staticmethod
    def _outcome(call: Call, name: str, answer: dict[str, Any]) -> None:
        outcome = OUTCOME_OF.get(name, "information") if answer["success"] else "failed"
        if _better(outcome, call.outcome):
            call.outcome = outcome
        data = answer.get("data") or {}
        if answer["success"] and data.get("appointment_id"):
            call.appointment_id = data["appointment_id"]
        if data.get("customer_id"):
            call.customer_id = data["customer_id"]

    async def apply_event(self, event: str, call_body: dict[str, Any], line: Line) -> Call | None:
        """call_started, call_ended, call_analyzed: the call's lifecycle on its row."""
        call_id = str(call_body.get("call_id") or "")[:128]
        if not call_id:
            return None
        facts = CallFacts(
            provider="retell",
            call_id=call_id,
            to_number=call_body.get("to_number"),
            from_number=call_body.get("from_number"),
            agent_id=call_body.get("agent_id"),
            direction=call_body.get("direction"),
        )
        call = await self.ensure(line, facts)
        if call is None:
            return None
        if event == "call_started":
            call.status = "ongoing"
            call.started_at = _ms(call_body.get("start_timestamp")) or call.started_at
        elif event in ("call_ended", "call_analyzed"):
            call.status = str(call_body.get("call_status") or "ended")[:32]
            call.started_at = _ms(call_body.get("start_timestamp")) or call.started_at
            call.ended_at = _ms(call_body.get("end_timestamp")) or call.ended_at
            duration = call_body.get("duration_ms")
            if isinstance(duration, int) and 0 <= duration < 2**31:
                call.duration_ms = duration
            elif call.started_at and call.ended_at:
                call.duration_ms = int((call.ended_at - call.started_at).total_seconds() * 1000)
            reason = call_body.get("disconnection_reason")
            if reason:
                call.disconnection_reason = str(reason)[:64]
        analysis = call_body.get("call_analysis")
        if event == "call_analyzed" and isinstance(analysis, dict):
            call.summary = _short(analysis.get("call_summary"), 5000)
            call.sentiment = _short(analysis.get("user_sentiment"), 32)
            successful = analysis.get("call_successful")
            call.call_successful = successful if isinstance(successful, bool) else None
        await self.session.flush()
        return call


class CallHistory(TenantScoped):
    """The admin view: a company's calls, and one call with everything it did."""

    async def list(
        self,
        limit: int,
        offset: int,
        *,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        outcome: str | None = None,
        from_number: str | None = None,
    ) -> Page[Any]:
        stmt = self.scoped(Call)
        if date_from is not None:
            stmt = stmt.where(Call.created_at >= date_from)
        if date_to is not None:
            stmt = stmt.where(Call.created_at < date_to)
        if outcome is not None:
            stmt = stmt.where(Call.outcome == outcome)
        if from_number is not None:
            stmt = stmt.where(Call.from_number == from_number)
        stmt = stmt.order_by(Call.created_at.desc(), Call.id.desc())
        return await self.paginate(stmt, limit, offset)

    async def get(self, call_id: int) -> tuple[Call, list[CallInvocation]]:
        call = await self.get_or_404(Call, call_id)
        invocations = (
            await self.session.execute(
                select(CallInvocation)
                .where(CallInvocation.call_id == call.id)
                .order_by(CallInvocation.sequence, CallInvocation.id)
            )
        ).scalars()
        return call, list(invocations)


def _better(outcome: str, current: str | None) -> bool:
    return current is None or OUTCOMES.index(outcome) < OUTCOMES.index(current)


def _ms(value: Any) -> datetime | None:
    if isinstance(value, int | float) and 0 < value < 4102444800000:  # before 2100
        return datetime.fromtimestamp(value / 1000, UTC)
    return None


def _short(value: Any, limit: int) -> str | None:
    return str(value)[:limit] if value not in (None, "") else None
