"""Service providers for the notification routers."""

from typing import Annotated

from fastapi import Depends

from app.deps import CacheDep, SessionDep
from app.notifications.config_service import NotificationSettings
from app.notifications.deliveries import DeliveryLog
from app.tenancy.auth import CompanyIdDep


async def _settings(
    session: SessionDep, company_id: CompanyIdDep, cache: CacheDep
) -> NotificationSettings:
    return NotificationSettings(session, company_id, cache)


async def _deliveries(session: SessionDep, company_id: CompanyIdDep) -> DeliveryLog:
    return DeliveryLog(session, company_id)


NotificationSettingsDep = Annotated[NotificationSettings, Depends(_settings)]
DeliveryLogDep = Annotated[DeliveryLog, Depends(_deliveries)]
