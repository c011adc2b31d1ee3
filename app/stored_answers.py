"""Answers sent from a route's stored copy before FastAPI handles the request.

Some routes keep their answers as JSON under the company's generation (`app.invalidation`):
a cached availability check, a listing. Sending such a copy costs little; FastAPI's handling
around it (matching, dependency resolution, body parsing, the response machinery) cost about
twice the reference app's whole request. A route declares how its copy is found
(`answered_from_copies`), and `StoredAnswers`, in front of the routes, sends the copy
without that handling.

It changes no answer. The request is authenticated by the same `authenticate` (one rate-limit
count, the same errors) and the copy is read through the same `GenerationCache.lookup`, so
a revoked key, a stalled Redis and a booking since are honoured as on the route. Anything
else goes to the route untouched, with the tenant already resolved (never counted twice):
- no copy stored (or none to be trusted);
- a body or query the route's key function does not accept (the route answers its 422);
- a body sent as anything but JSON, or over MAX_KEYED_BODY_BYTES;
- a client gone before its body arrived (the route sees the same messages);
- an admin key (the route answers its 403);
- a method and path the router would send to an earlier route.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette._utils import get_route_path
from starlette.datastructures import Headers, QueryParams
from starlette.requests import Request
from starlette.routing import BaseRoute, Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth import AUTHENTICATED_TENANT, Tenant
from app.cache import Cache
from app.deps import READ_METHODS
from app.invalidation import GenerationCache

E = TypeVar("E", bound=Callable[..., Any])
Authenticate = Callable[[Request], Awaitable[Tenant]]
# A keyed body is a few hundred bytes; a bigger one goes to the route unread (nothing is
# held twice for a request that cannot have a copy).
MAX_KEYED_BODY_BYTES = 8 * 1024


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """Where a route keeps its answers, and the key of one request's answer.

    `key(body, query)` must give the key the route itself stores the answer under, or None
    for a request the route should judge (one it might refuse). It runs before
    authentication, so it must not look anything up.
    """

    key: Callable[[bytes, QueryParams], str | None]
    copies: Callable[[Cache, int], GenerationCache]


def query_key(model: type[BaseModel]) -> Callable[[bytes, QueryParams], str | None]:
    """The key of a listing stored under its validated query's JSON (`model_dump_json`).

    Only a plain query is keyed here: the model's own parameters, each given once and not
    empty, that the model accepts. Any other (a repeated or unknown parameter, a value it
    refuses) goes to the route, which reads it as FastAPI does."""
    names = frozenset(
        field.validation_alias if isinstance(field.validation_alias, str) else field.alias or name
        for name, field in model.model_fields.items()
    )

    def key(body: bytes, query: QueryParams) -> str | None:
        items = query.multi_items()
        params = dict(items)
        if len(params) != len(items) or not params.keys() <= names or "" in params.values():
            return None
        try:
            return model.model_validate(params).model_dump_json()
        except ValidationError:
            return None

    return key


def answered_from_copies(answer: StoredAnswer) -> Callable[[E], E]:
    """Marks an endpoint whose answers (status 200, JSON) may be sent from its copies."""

    def mark(endpoint: E) -> E:
        endpoint.stored_answer = answer  # type: ignore[attr-defined]
        return endpoint

    return mark


def _is_json(headers: Headers) -> bool:
    media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
    return media_type == "application/json"


class StoredAnswers:
    """ASGI layer in front of `router`'s routes: sends a marked route's stored answer.

    Only routes with a fixed path (no path parameters) are served here; the table of them
    is built again when routes are added.
    """

    def __init__(self, app: ASGIApp, router: Router, authenticate: Authenticate) -> None:
        self.app = app
        self.router = router
        self.authenticate = authenticate
        self._answers: dict[tuple[str, str], tuple[BaseRoute, StoredAnswer]] = {}
        self._indexed = -1

    def _build(self) -> None:
        routes = self.router.routes
        answers = {}
        for position, route in enumerate(routes):
            answer = getattr(getattr(route, "endpoint", None), "stored_answer", None)
            path = getattr(route, "path", "")
            if answer is None or "{" in path:
                continue
            for method in getattr(route, "methods", None) or ():
                # Only where the router would pick this route: no earlier one matches first.
                scope = {"type": "http", "path": path, "root_path": "", "method": method}
                if not any(r.matches(scope)[0] == Match.FULL for r in routes[:position]):
                    answers.setdefault((method, path), (route, answer))
        self._answers = answers
        self._indexed = len(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if len(self.router.routes) != self._indexed:
                self._build()
            found = self._answers.get((scope["method"], get_route_path(scope)))
            if found is not None:
                await self._answer(scope, receive, send, *found)
                return
        await self.app(scope, receive, send)

    async def _answer(
        self, scope: Scope, receive: Receive, send: Send, route: BaseRoute, answer: StoredAnswer
    ) -> None:
        body = b""
        if scope["method"] not in READ_METHODS:
            if not _is_json(Headers(scope=scope)):
                await self.app(scope, receive, send)
                return
            read, receive = await _read_small_body(receive)
            if read is None:  # too big to be a keyed request, or the client went away
                await self.app(scope, receive, send)
                return
            body = read
        key = answer.key(body, QueryParams(scope["query_string"]))
        if key is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = route  # as the route's own match would: metrics and logs name it
        tenant = await self.authenticate(Request(scope, receive))  # raises 401/429 as there
        scope[AUTHENTICATED_TENANT] = tenant
        if tenant.company_id is None:
            await self.app(scope, receive, send)
            return
        found = await answer.copies(scope["app"].state.cache, tenant.company_id).lookup(key)
        if found.raw is None:
            await self.app(scope, receive, send)
            return
        content = found.raw.encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-length", str(len(content)).encode("latin-1")),
                    (b"content-type", b"application/json"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": content})


async def _read_small_body(receive: Receive) -> tuple[bytes | None, Receive]:
    """The body if it is whole and at most MAX_KEYED_BODY_BYTES, else None; and the
    `receive` the route is to read from (everything read here, then the rest)."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":  # the client went away: the route says so
            return None, _replaying(messages, receive)
        size += len(message.get("body", b""))
        if size > MAX_KEYED_BODY_BYTES:
            return None, _replaying(messages, receive)
        if not message.get("more_body", False):
            body = b"".join(m.get("body", b"") for m in messages)
            return body, _replaying([{"type": "http.request", "body": body}], receive)


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    """`receive` for the route after messages were read here: those, then the rest."""
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay
