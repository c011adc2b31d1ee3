"""The voice agent's requests, handled: which salon, which caller, the function called, the
answer recorded, and a retried change answered the same way as the first time.

A verified request is always answered (HTTP 200 with a sentence to speak): a refusal is
`success: false`, and even an unexpected failure becomes a spoken apology with a callback
offer (and a logged error), never a status the agent cannot read aloud.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.cache import Cache
from app.callbacks.service import CallbackListener, CallbackService
from app.config import Settings
from app.db import run_after_commit
from app.scheduling.availability import AvailabilityService
from app.scheduling.ports import CalendarPort, ChangeListener
from app.scheduling.service import SchedulingService
from app.spoken import speak_time
from app.tenancy.models import Customer
from app.voice.calls import IN_PROGRESS, CallLog, Line, e164_or_none, idempotency_key
from app.voice.envelopes import CallFacts, FunctionCall
from app.voice.functions import MUTATING, Answer, VoiceFunctions, voice_actor
from app.voice.models import Call, CallInvocation
from app.voice.texts import say

logger = logging.getLogger("app.voice")
CLAIMED = "voice.claimed_invocation"
# How long a retried change waits for its first attempt (a Cal.com write may take 5 s).
RETRY_WAIT_SECONDS = 6.0
RETRY_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class _InProgress:
    invocation_id: int


def _replayed(invocation: CallInvocation) -> Answer:
    return Answer(True, invocation.message, {**invocation.data, "replayed": True})


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


class VoiceService:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        cache: Cache,
        settings: Settings,
        *,
        clock: Callable[[], datetime],
        calendar: CalendarPort | None = None,
        appointment_listeners: Sequence[ChangeListener] = (),
        callback_listeners: Sequence[CallbackListener] = (),
    ) -> None:
        self.sessionmaker = sessionmaker
        self.cache = cache
        self.settings = settings
        self.clock = clock
        self.calendar = calendar
        self.appointment_listeners = appointment_listeners
        self.callback_listeners = callback_listeners

    async def function(self, request: FunctionCall) -> Answer:
        started = time.monotonic()
        for _ in range(2):
            outcome = await self._attempt(request, started)
            if not isinstance(outcome, _InProgress):
                return outcome
            # The same change, asked for again while its first attempt is still running
            # (Retell retries a slow function): wait for that answer instead of racing it.
            finished = await self._wait_for(outcome.invocation_id)
            if finished is not None:
                return await self._replay(request, finished, started)
        return Answer(False, say(await self._language(request.call), "busy"), {IN_PROGRESS: True})

    async def _attempt(self, request: FunctionCall, started: float) -> Answer | _InProgress:
        async with self.sessionmaker() as session:
            try:
                answer = await self._function(session, request, started)
                if session.in_transaction():
                    await session.commit()
                await run_after_commit(session)
                return answer
            except Exception:
                logger.exception("voice.function_failed", extra={"function": request.name})
                await session.rollback()
                answer = Answer(
                    False,
                    say(await self._language(request.call), "failed"),
                    {"callback_offered": True},
                )
                await self._log_failure(request, answer, session.info.get(CLAIMED), started)
                return answer

    async def _function(
        self, session: AsyncSession, request: FunctionCall, started: float
    ) -> Answer | _InProgress:
        log = CallLog(session, self.settings.default_phone_region)
        line = await log.line_for(request.call)
        if line is None:
            return Answer(False, say("de", "unknown_line"), {"callback_offered": False})
        call = await log.ensure(line, request.call)
        claimed = None
        if call is not None and request.name in MUTATING:
            key = idempotency_key(request.name, request.args)
            claimed, mine = await log.claim(call, request.name, request.args, key)
            if not mine:
                if claimed.data.get(IN_PROGRESS):
                    return _InProgress(claimed.id)
                answer = _replayed(claimed)  # a retry of a change already made
                await log.record(call, request.name, request.args, answer.body(), _ms(started))
                return answer
            session.info[CLAIMED] = claimed.id
        caller = e164_or_none(request.call.from_number, line.region(self.default_region))
        answer = await self._functions(session, line, caller, request, call).call(
            request.name, request.args
        )
        if request.name in MUTATING and not answer.success:
            await self._undo(session, request, answer, claimed.id if claimed else None, started)
        elif call is not None and claimed is not None:
            await log.finish(call, claimed, answer.body(), _ms(started))
        elif call is not None:
            await log.record(call, request.name, request.args, answer.body(), _ms(started))
        return answer

    async def _undo(
        self,
        session: AsyncSession,
        request: FunctionCall,
        answer: Answer,
        claimed_id: int | None,
        started: float,
    ) -> None:
        """A refused change leaves nothing behind: what the services wrote before refusing
        (a cancellation flushed before Cal.com said no, a new customer) is rolled back; only
        the call and the refusal are logged. (A calendar hold is committed, and released,
        by scheduling itself.)"""
        await session.rollback()
        log = CallLog(session, self.default_region)
        line = await log.line_for(request.call)
        call = await log.ensure(line, request.call) if line is not None else None
        if call is None:
            return
        claimed = await session.get(CallInvocation, claimed_id) if claimed_id else None
        if claimed is not None:  # committed with a calendar hold: let go of its key
            await log.finish(call, claimed, answer.body(), _ms(started))
        else:
            await log.record(call, request.name, request.args, answer.body(), _ms(started))

    async def _wait_for(self, invocation_id: int) -> CallInvocation | None:
        """The in-progress change's answer once it has one; None when it failed (its key
        released: this request may try) or is still running after RETRY_WAIT_SECONDS."""
        deadline = time.monotonic() + RETRY_WAIT_SECONDS
        while time.monotonic() < deadline:
            await asyncio.sleep(RETRY_POLL_SECONDS)
            # A fresh short transaction each time: on SQLite, holding one would keep the
            # write lock from the attempt being waited for.
            async with self.sessionmaker() as session:
                invocation = await session.get(CallInvocation, invocation_id)
            if invocation is None or invocation.idempotency_key is None:
                return None
            if not invocation.data.get(IN_PROGRESS):
                return invocation
        return None

    async def _replay(
        self, request: FunctionCall, finished: CallInvocation, started: float
    ) -> Answer:
        answer = _replayed(finished)
        async with self.sessionmaker() as session:
            call = await session.get(Call, finished.call_id)
            if call is not None:
                log = CallLog(session, self.default_region)
                await log.record(call, request.name, request.args, answer.body(), _ms(started))
                await session.commit()
        return answer

    async def _log_failure(
        self, request: FunctionCall, answer: Answer, claimed_id: int | None, started: float
    ) -> None:
        """An attempt that failed unexpectedly is still logged for the call's history; a
        claim its calendar hold committed early lets go of the key, so a retry may try."""
        try:
            async with self.sessionmaker() as session:
                await self._undo(session, request, answer, claimed_id, started)
                await session.commit()
        except Exception:
            logger.exception("voice.failure_not_logged", extra={"function": request.name})

    @property
    def default_region(self) -> str:
        return self.settings.default_phone_region

    def _functions(
        self,
        session: AsyncSession,
        line: Line,
        caller: str | None,
        request: FunctionCall,
        call: Any,
    ) -> VoiceFunctions:
        company_id, flags = line.company.id, self.settings.features
        scheduling = SchedulingService(
            session,
            company_id,
            self.cache,
            flags,
            default_region=self.default_region,
            clock=self.clock,
            actor=voice_actor(request.call.call_id),
            calendar=self.calendar,
            listeners=self.appointment_listeners,
        )
        return VoiceFunctions(
            session,
            line,
            caller,
            scheduling,
            AvailabilityService(session, company_id, self.cache, flags, self.clock, self.calendar),
            CallbackService(
                session,
                company_id,
                clock=self.clock,
                default_region=self.default_region,
                listeners=self.callback_listeners,
            ),
            clock=self.clock,
            skip_alternatives=flags.skip_alternatives_for_voice,
            call_id=call.id if call is not None else None,
        )

    async def _language(self, facts: CallFacts) -> str:
        try:
            async with self.sessionmaker() as session:
                line = await CallLog(session, self.default_region).line_for(facts)
                return line.language if line else "de"
        except Exception:
            return "de"

    async def inbound(self, facts: CallFacts) -> dict[str, Any] | None:
        """Retell's `call_inbound`: who the caller reached, for the agent's prompt."""
        async with self.sessionmaker() as session:
            log = CallLog(session, self.default_region)
            line = await log.line_for(CallFacts(provider="retell", to_number=facts.to_number))
            if line is None:
                return None
            functions = self._functions(session, line, None, FunctionCall("", {}, facts), None)
            services = await functions.offered_services()
            hours = await functions.opening_hours()
            caller = e164_or_none(facts.from_number, line.region(self.default_region))
            customer = None
            if caller is not None:
                customer = await session.scalar(
                    select(Customer.name).where(
                        Customer.company_id == line.company.id, Customer.phone == caller
                    )
                )
            lang, now = line.language, self.clock().astimezone(line.tz)
            today = hours.get(now.weekday(), [])
            variables = {
                "company_name": line.company.name,
                "branch_name": line.branch.name,
                "services": ", ".join(service.name for service in services),
                "opening_hours_today": ", ".join(
                    f"{speak_time(start, lang)} - {speak_time(end, lang)}" for start, end in today
                )
                or ("geschlossen" if lang == "de" else "closed"),
                "current_date": now.date().isoformat(),
                "current_time": now.strftime("%H:%M"),
                "timezone": str(line.tz),
                "language": lang,
                "caller_known": "true" if customer else "false",
                "customer_name": customer or "",
            }
            metadata = {"company_id": line.company.id, "branch_id": line.branch.id}
        return {"call_inbound": {"dynamic_variables": variables, "metadata": metadata}}
