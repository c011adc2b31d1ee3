"""`Idempotency-Key` for POSTs: a retry replays the first response instead of acting twice.

The key is claimed in its own short transaction, so a concurrent duplicate sees the claim
and gets 409; the response is stored in the request's transaction, so it is kept exactly
when the booking is. A failed request releases its claim and may be retried.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON, Integer, String, UniqueConstraint, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, IdMixin, TenantMixin, TimestampMixin, UTCDateTime, utcnow
from app.errors import ConflictError, DomainError

KEY_TTL = timedelta(hours=24)
# A claim older than this without a response belongs to a request that died; take it over.
ABANDONED_AFTER = timedelta(minutes=2)


class IdempotencyKey(IdMixin, TimestampMixin, TenantMixin, Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("company_id", "key"),)

    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[Any | None] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class IdempotencyKeyReusedError(DomainError):
    status, type, title = 422, "idempotency-key-reused", "Idempotency key reused"


class IdempotencyInProgressError(ConflictError):
    type, title = "idempotency-in-progress", "Request with this key is still being processed"


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: Any


class IdempotencyGuard:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        session: AsyncSession,
        company_id: int,
        key: str | None,
        fingerprint: str,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.session = session
        self.company_id = company_id
        self.key = key
        self.fingerprint = fingerprint
        self.clock = clock

    @staticmethod
    def fingerprint_of(method: str, path: str, body: bytes) -> str:
        try:
            canonical = json.dumps(json.loads(body or b"null"), sort_keys=True).encode()
        except ValueError:
            canonical = body
        return hashlib.sha256(
            method.encode() + b" " + path.encode() + b"\n" + canonical
        ).hexdigest()

    async def run(
        self, action: Callable[[], Awaitable[BaseModel]], status_code: int
    ) -> BaseModel | StoredResponse:
        """The action's result, or the stored response of the first request with this key."""
        if self.key is None:
            return await action()
        stored = await self._claim()
        if stored is not None:
            return stored
        try:
            result = await action()
        except BaseException:
            # Release the write lock (SQLite) before the claim is removed in another session.
            await self.session.rollback()
            await self._release()
            raise
        await self.session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.company_id == self.company_id, IdempotencyKey.key == self.key)
            .values(status_code=status_code, response_body=result.model_dump(mode="json"))
        )
        return result

    async def _claim(self) -> StoredResponse | None:
        now = self.clock()
        async with self.sessionmaker() as session:
            existing = (
                await session.execute(
                    select(IdempotencyKey).where(
                        IdempotencyKey.company_id == self.company_id,
                        IdempotencyKey.key == self.key,
                    )
                )
            ).scalar_one_or_none()
            if existing is not None:
                if existing.expires_at <= now or (
                    existing.status_code is None
                    and self._claimed_at(existing) <= now - ABANDONED_AFTER
                ):
                    await session.delete(existing)
                    await session.flush()
                else:
                    return self._replay(existing)
            session.add(
                IdempotencyKey(
                    company_id=self.company_id,
                    key=self.key,
                    request_hash=self.fingerprint,
                    expires_at=now + KEY_TTL,
                )
            )
            try:
                await session.commit()
            except IntegrityError:
                raise IdempotencyInProgressError(
                    "A request with this Idempotency-Key is being processed; retry shortly."
                ) from None
        return None

    @staticmethod
    def _claimed_at(existing: IdempotencyKey) -> datetime:
        # Derived from expires_at, which was set with the same clock as `now` is read from.
        return existing.expires_at - KEY_TTL

    def _replay(self, existing: IdempotencyKey) -> StoredResponse:
        if existing.request_hash != self.fingerprint:
            raise IdempotencyKeyReusedError(
                "This Idempotency-Key was used with a different request body.",
            )
        if existing.status_code is None:
            raise IdempotencyInProgressError(
                "A request with this Idempotency-Key is being processed; retry shortly."
            )
        return StoredResponse(existing.status_code, existing.response_body)

    async def _release(self) -> None:
        async with self.sessionmaker() as session:
            await session.execute(
                delete(IdempotencyKey).where(
                    IdempotencyKey.company_id == self.company_id,
                    IdempotencyKey.key == self.key,
                    IdempotencyKey.status_code.is_(None),
                )
            )
            await session.commit()
