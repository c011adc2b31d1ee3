"""The declarations integrators paste into Retell and Vapi match what the service handles:
every function exists, and every parameter declared is one the function reads."""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
from types import SimpleNamespace

import pytest

from app.voice import functions as voice_functions
from app.voice.definitions import FUNCTIONS, retell_tools, vapi_tools
from app.voice.functions import VoiceFunctions

SOURCE = inspect.getsource(voice_functions)
READ = re.compile(r"""args(?:\.get\(|\[)\s*"(\w+)"|"(\w+)" in args""")
ARGS_READ = {a or b for a, b in READ.findall(SOURCE)}


def test_every_handled_function_is_declared_and_no_other():
    line = SimpleNamespace(language="de")
    handled = set(VoiceFunctions(None, line, None, None, None, None, clock=None).handlers)
    assert {f["name"] for f in FUNCTIONS} == handled
    assert len(handled) == 8


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f["name"])
def test_every_declared_parameter_is_read(function):
    declared = set(function["parameters"]["properties"])
    assert declared <= ARGS_READ, declared - ARGS_READ
    assert set(function["parameters"].get("required", [])) <= declared


def test_retell_and_vapi_shapes():
    retell = retell_tools("https://booking.example.com/")
    assert {t["url"] for t in retell} == {"https://booking.example.com/voice/retell/functions"}
    assert all(t["type"] == "custom" and t["method"] == "POST" for t in retell)
    vapi = vapi_tools("https://booking.example.com")
    assert {t["server"]["url"] for t in vapi} == {"https://booking.example.com/voice/vapi/tools"}
    assert [t["function"]["name"] for t in vapi] == [f["name"] for f in FUNCTIONS]


def test_the_cli_prints_them_as_json(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "voice-tools", "vapi", "--base-url", "https://b.example"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == vapi_tools("https://b.example")
