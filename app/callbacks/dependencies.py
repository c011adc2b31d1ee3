"""Service providers for the callbacks router.

The listeners told about a new request (the notification outbox) are wired by the app at
startup (`app.state.callback_listeners`); callbacks never imports what implements them.
"""

from typing import Annotated

from fastapi import Depends, Request

from app.callbacks.service import CallbackService
from app.deps import SessionDep, SettingsDep
from app.tenancy.auth import CompanyIdDep


async def _callback_service(
    request: Request, session: SessionDep, company_id: CompanyIdDep, settings: SettingsDep
) -> CallbackService:
    return CallbackService(
        session,
        company_id,
        clock=request.app.state.now,
        default_region=settings.default_phone_region,
        listeners=request.app.state.callback_listeners,
    )


CallbackServiceDep = Annotated[CallbackService, Depends(_callback_service)]
