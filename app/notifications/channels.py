"""Sending one message on one channel: e-mail over SMTP (aiosmtplib), SMS, WhatsApp and
push through the provider's HTTP API (`POST {channel, to, body}` with a Bearer token)."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol

import aiosmtplib
import httpx

from app.config import Settings

SMTP_TIMEOUT_SECONDS = 10.0
PROVIDER_TIMEOUT_SECONDS = 10.0


class DeliveryError(Exception):
    """The channel did not take the message. `permanent`: retrying cannot help (the
    channel is not configured, the provider refused the request itself)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Sender(Protocol):
    async def send(self, channel: str, recipient: str, subject: str, body: str) -> None: ...


class Channels:
    """The configured senders, by channel."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self.settings = settings
        self.http = http

    async def send(self, channel: str, recipient: str, subject: str, body: str) -> None:
        if channel == "email":
            await self._email(recipient, subject, body)
        else:
            await self._provider(channel, recipient, body)

    async def _email(self, recipient: str, subject: str, body: str) -> None:
        settings = self.settings
        if not settings.smtp_host:
            raise DeliveryError("e-mail is not configured (SMTP_HOST is unset)", permanent=True)
        message = EmailMessage()
        message["From"] = settings.smtp_from
        message["To"] = recipient
        message["Subject"] = subject
        message.set_content(body)
        try:
            await aiosmtplib.send(
                message,
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username,
                password=settings.smtp_password,
                start_tls=settings.smtp_starttls,
                timeout=SMTP_TIMEOUT_SECONDS,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"the mail server refused {recipient}", permanent=True) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP: {exc}"[:300]) from exc

    async def _provider(self, channel: str, recipient: str, body: str) -> None:
        settings = self.settings
        if not settings.sms_provider_url:
            raise DeliveryError(
                f"{channel} is not configured (SMS_PROVIDER_URL is unset)", permanent=True
            )
        headers = {}
        if settings.sms_provider_token:
            headers["Authorization"] = f"Bearer {settings.sms_provider_token}"
        try:
            response = await self.http.post(
                settings.sms_provider_url,
                json={"channel": channel, "to": recipient, "body": body},
                headers=headers,
                timeout=PROVIDER_TIMEOUT_SECONDS,
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"provider: {type(exc).__name__}: {exc}"[:300]) from exc
        if response.status_code >= 400:
            # A 4xx other than 429 is a refusal of this request; it will not change.
            permanent = 400 <= response.status_code < 500 and response.status_code != 429
            raise DeliveryError(
                f"provider answered {response.status_code}: {response.text[:200]}",
                permanent=permanent,
            )
