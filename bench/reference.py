"""The reference row: a minimal FastAPI app that validates the availability check's body.

Every ratio in the table is "this endpoint's req/s over this app's req/s, same run": what
FastAPI, pydantic and uvicorn need for the same request on this machine at this moment.

    uvicorn --factory bench.reference:create_app
"""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI
from pydantic import BaseModel


class CheckBody(BaseModel):
    branch_id: int
    service_id: int
    start: datetime


def create_app() -> FastAPI:
    app = FastAPI()

    @app.post("/check")
    async def check(body: CheckBody) -> CheckBody:
        return body

    @app.get("/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    return app
