"""Customers of a company, identified by their phone number."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.exc import IntegrityError

from app.e164 import normalise_phone
from app.repository import TenantScoped
from app.schemas import Page
from app.tenancy.errors import DuplicateError, InUseError
from app.tenancy.models import Customer


class CustomerService(TenantScoped):
    async def create(self, data: dict[str, Any], default_region: str) -> Customer:
        data["phone"] = normalise_phone(data["phone"], default_region, field="body.phone")
        customer = Customer(company_id=self.company_id, **data)
        self.session.add(customer)
        await self._flush_unique_phone(customer.phone)
        return customer

    async def get(self, customer_id: int) -> Customer:
        return await self.get_or_404(Customer, customer_id)

    async def find_or_create(
        self, *, name: str, phone: str | None, email: str | None = None
    ) -> Customer:
        """A returning customer (matched by E.164 phone, else by email) or a new one."""
        existing = await self._find(phone, email)
        if existing is not None:
            return existing
        customer = Customer(company_id=self.company_id, name=name[:200], phone=phone, email=email)
        try:
            async with self.session.begin_nested():
                self.session.add(customer)
        except IntegrityError:
            # The same caller booking twice at once: the other request created them.
            existing = await self._find(phone, email)
            assert existing is not None
            return existing
        return customer

    async def upsert_by_phone(self, *, name: str, phone: str, email: str | None = None) -> int:
        """The id of the customer with this E.164 phone, created (with `name` and `email`)
        when new; an existing customer is left as it is. One statement, safe against a
        concurrent booking creating the same customer."""
        values = {
            "company_id": self.company_id,
            "name": name[:200],
            "phone": phone,
            "email": email,
        }
        if self.session.get_bind().dialect.name in ("mysql", "mariadb"):
            stmt = (
                mysql.insert(Customer)
                .values(**values)
                # LAST_INSERT_ID(id) makes the existing row's id the statement's insert id.
                .on_duplicate_key_update(id=func.last_insert_id(Customer.id))
            )
            return int((await self.session.execute(stmt)).lastrowid)  # type: ignore[attr-defined]
        insert = sqlite.insert(Customer).values(**values)
        stmt = insert.on_conflict_do_update(
            index_elements=[Customer.company_id, Customer.phone],
            set_={"phone": insert.excluded.phone},
        ).returning(Customer.id)
        return int((await self.session.execute(stmt)).scalar_one())

    async def _find(self, phone: str | None, email: str | None) -> Customer | None:
        for column, value in ((Customer.phone, phone), (Customer.email, email)):
            if value:
                found = await self.session.execute(self.scoped(Customer).where(column == value))
                if (customer := found.scalars().first()) is not None:
                    return customer
        return None

    async def list(
        self,
        limit: int,
        offset: int,
        default_region: str,
        *,
        phone: str | None = None,
        q: str | None = None,
    ) -> Page[Any]:
        """Customers by id; `phone` matches the normalised number, `q` part of the name."""
        stmt = self.scoped(Customer).order_by(Customer.id)
        if phone:
            stmt = stmt.where(
                Customer.phone == normalise_phone(phone, default_region, field="query.phone")
            )
        if q:
            stmt = stmt.where(Customer.name.icontains(q, autoescape=True))
        return await self.paginate(stmt, limit, offset)

    async def update(
        self, customer_id: int, changes: dict[str, Any], default_region: str
    ) -> Customer:
        customer = await self.get(customer_id)
        if "phone" in changes:
            changes["phone"] = normalise_phone(changes["phone"], default_region, field="body.phone")
        for field, value in changes.items():
            setattr(customer, field, value)
        await self._flush_unique_phone(customer.phone)
        return customer

    async def delete(self, customer_id: int) -> None:
        """Delete a customer without appointments or history; otherwise InUseError (409).
        The foreign keys decide, so a booking made meanwhile is caught too."""
        customer = await self.get(customer_id)
        await self.session.delete(customer)
        try:
            async with self.session.begin_nested():
                await self.session.flush()
        except IntegrityError as exc:
            raise InUseError(
                f"Customer {customer_id} has appointments and cannot be deleted."
            ) from exc

    async def _flush_unique_phone(self, phone: str) -> None:
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise DuplicateError(f"A customer with phone {phone} already exists.") from exc
