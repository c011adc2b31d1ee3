"""A body that is not JSON at all is a 400 saying where it breaks, and changes nothing."""

import json

from tests.conftest import table_count
from tests.salon import booking, local

JSON = {"content-type": "application/json"}


async def test_broken_json_says_line_and_column(company_client, salon, db):
    text = '{"branch_id": 1,\n "start": }'
    response = await company_client.post("/api/v1/appointments", content=text, headers=JSON)

    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["detail"].startswith("invalid JSON at line 2, column 11:"), problem["detail"]
    assert problem["errors"][0]["field"] == "body"
    assert await table_count(db, "appointments") == 0


async def test_a_body_that_is_not_utf8_is_400_saying_so(company_client, salon, db):
    # A client that sends Latin-1: "Jürgen" arrives as the single byte 0xFC.
    customer = {"name": "Jürgen", "phone": "+4915112345678"}
    text = json.dumps({**booking(salon, local(1, 10)), "customer": customer}, ensure_ascii=False)
    body = text.encode("latin-1")
    response = await company_client.post("/api/v1/appointments", content=body, headers=JSON)

    assert response.status_code == 400, response.text
    assert "UTF-8" in response.json()["detail"]
    assert await table_count(db, "appointments") == 0
