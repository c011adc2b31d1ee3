"""The README's example conversation, replayed: each function's message and success are
what the service really says (on Retell; Vapi answers the same)."""

from __future__ import annotations

import json
import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
ROW = re.compile(r"^\| `(\w+)` \| `(\{.*\})` \| (.*) \((true|false)\) \|$")


def examples() -> list[tuple[str, dict, str, bool]]:
    text = README.read_text(encoding="utf-8")
    block = text.split("<!-- voice-examples -->")[1].split("<!-- /voice-examples -->")[0]
    rows = []
    for line in block.strip().splitlines()[2:]:
        match = ROW.match(line)
        assert match, f"README voice example row not understood: {line}"
        name, args, message, success = match.groups()
        rows.append((name, json.loads(args), message, success == "true"))
    return rows


async def test_the_readme_conversation_is_what_the_agent_hears(retell_agent):
    rows = examples()
    assert len(rows) >= 8
    for name, args, message, success in rows:
        reply = await retell_agent(name, **args)
        assert (reply.message, reply.success) == (message, success), name
