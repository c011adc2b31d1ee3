"""Response models of the voice endpoints and the calls admin API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AliasChoices, Field

from app.schemas import AwareDatetime, Line, Pagination, ReadSchema

Outcome = Literal["booked", "rescheduled", "cancelled", "callback", "information", "failed"]


class VoiceAnswer(ReadSchema):
    success: bool = Field(description="True only when what was asked was done (committed).")
    message: str = Field(
        description="What the agent says: the company's language, at most two short "
        "sentences, times as people say them, no ids or timestamps."
    )
    data: dict[str, Any] = Field(
        description="The machine-readable truth: ids, ISO times with the branch's offset, "
        "alternatives, `needs` (what to ask for), `callback_offered`."
    )


class ToolResult(ReadSchema):
    toolCallId: str = Field(description="The id of the tool call answered.")  # noqa: N815
    result: str = Field(description="The answer (success, message, data) as one line of JSON.")


class VapiToolResults(ReadSchema):
    results: list[ToolResult] = Field(description="One result per tool call, in order.")


class InboundVariables(ReadSchema):
    dynamic_variables: dict[str, str] = Field(
        description="company_name, branch_name, services, opening_hours_today, current_date, "
        "current_time, timezone, language, caller_known, customer_name: all strings."
    )
    metadata: dict[str, int] = Field(
        description="company_id and branch_id: sent back on every function call of the call."
    )


class InboundAnswer(ReadSchema):
    call_inbound: InboundVariables = Field(description="Retell's inbound answer.")


class CallFilters(Pagination):
    date_from: AwareDatetime | None = Field(None, description="Calls registered at or after.")
    date_to: AwareDatetime | None = Field(None, description="Calls registered before.")
    outcome: Outcome | None = Field(None, description="Only calls with this outcome.")
    from_number: Line | None = Field(
        None, max_length=32, description="Only calls from this number (E.164 as stored)."
    )


class CallRead(ReadSchema):
    id: int = Field(description="The call's id here.")
    call_id: str = Field(
        validation_alias=AliasChoices("retell_call_id", "call_id"),
        description="The voice platform's call id.",
    )
    provider: str = Field(description="retell or vapi.")
    branch_id: int | None = Field(description="The branch the dialled number reaches.")
    agent_id: str | None = Field(description="The platform's agent (or assistant) id.")
    from_number: str | None = Field(description="The caller, E.164 when it was shown.")
    to_number: str | None = Field(description="The number dialled.")
    direction: str | None = Field(description="inbound or outbound.")
    status: str = Field(description="registered, ongoing, ended, error, ...")
    started_at: datetime | None = Field(description="When the call began (UTC).")
    ended_at: datetime | None = Field(description="When it ended (UTC).")
    duration_ms: int | None = Field(description="How long it lasted.")
    disconnection_reason: str | None = Field(description="Why it ended, as the platform says.")
    summary: str | None = Field(description="The platform's summary, after analysis.")
    sentiment: str | None = Field(description="The caller's sentiment, after analysis.")
    call_successful: bool | None = Field(description="The platform's verdict, after analysis.")
    customer_id: int | None = Field(description="The customer the call concerned.")
    outcome: Outcome | None = Field(
        description="The best thing it achieved: booked, rescheduled, cancelled, callback, "
        "information (only looked things up) or failed."
    )
    created_at: datetime = Field(description="When the call was first seen (UTC).")


class InvocationRead(ReadSchema):
    sequence: int = Field(description="Its place in the call, from 1.")
    function: str = Field(description="The function the agent called.")
    args: dict[str, Any] = Field(description="The arguments it sent.")
    success: bool = Field(description="What it was answered: success ...")
    message: str = Field(description="... the sentence spoken ...")
    data: dict[str, Any] = Field(description="... and the data.")
    latency_ms: int = Field(description="How long the caller waited for it.")
    created_at: datetime = Field(description="When it was called (UTC).")


class CallDetail(CallRead):
    appointment_ids: list[int] = Field(description="The appointments the call touched.")
    invocations: list[InvocationRead] = Field(description="Every function call, in order.")
