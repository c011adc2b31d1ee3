"""API key format and hashing, the request's Tenant, and HMAC signature checks for webhooks."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from starlette.requests import Request

KEY_PREFIX = "bk_"
# Where a request's tenant is kept once resolved (app.stored_answers resolves it before the
# route does): resolved once, counted once against the rate limit.
AUTHENTICATED_TENANT = "app.tenant"


@dataclass(frozen=True, slots=True)
class Tenant:
    """Who is calling: a company (through its key) or an admin key."""

    company_id: int | None
    key_id: int | None
    is_admin: bool = False
    rate_limit_per_minute: int | None = None


def generate_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(raw_key: str) -> str:
    # Keys carry 256 bits of entropy, so a fast hash is enough; no salt or KDF is needed.
    return hashlib.sha256(raw_key.encode()).hexdigest()


def display_prefix(raw_key: str) -> str:
    return raw_key[:12]


class UnsupportedSchemeError(ValueError):
    """An Authorization header with a scheme other than Bearer (e.g. `Token`, `Basic`)."""


def extract_api_key(request: Request) -> str | None:
    """The key from `Authorization: Bearer <key>` or `X-API-Key`; None when neither is sent.

    Raises UnsupportedSchemeError for another scheme, so the answer can say what to send
    instead of claiming that no key was sent."""
    api_key = request.headers.get("x-api-key", "").strip()
    authorization = request.headers.get("authorization", "").strip()
    if authorization:
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return credentials.strip()
        if not api_key:
            raise UnsupportedSchemeError(scheme)
    return api_key or None


def constant_time_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def hmac_sha256_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
