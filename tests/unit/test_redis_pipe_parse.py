"""Reading Redis replies however the network splits them (app.redis_pipe)."""

import asyncio

import pytest
from redis.exceptions import ResponseError

from app.redis_pipe import _Protocol, encode_command, parse_reply

# The script's answer (count, generations, one missing), an error, then a plain status.
REPLIES = b"*3\r\n:7\r\n$2\r\n42\r\n$-1\r\n-NOSCRIPT No matching script\r\n+OK\r\n"


def test_a_command_is_an_array_of_bulk_strings():
    assert encode_command("EVALSHA", "ab", 1, "k") == (
        b"*4\r\n$7\r\nEVALSHA\r\n$2\r\nab\r\n$1\r\n1\r\n$1\r\nk\r\n"
    )


def test_replies_are_read_in_order():
    first, position = parse_reply(REPLIES)
    assert first == [7, "42", None]
    error, position = parse_reply(REPLIES, position)
    assert isinstance(error, ResponseError) and str(error).startswith("NOSCRIPT")
    assert parse_reply(REPLIES, position) == ("OK", len(REPLIES))


@pytest.mark.parametrize("cut", range(1, len(REPLIES)))
async def test_every_split_of_the_stream_gives_each_caller_its_own_reply(cut):
    protocol = _Protocol()
    loop = asyncio.get_running_loop()
    callers = [loop.create_future() for _ in range(3)]
    protocol.waiting.extend(callers)
    protocol.data_received(REPLIES[:cut])
    protocol.data_received(REPLIES[cut:])
    answers = [caller.result() for caller in callers]
    assert answers[0] == [7, "42", None]
    assert isinstance(answers[1], ResponseError)
    assert answers[2] == "OK"
    assert not protocol.buffer


async def test_a_caller_that_gave_up_is_skipped_not_answered_with_the_next_reply():
    protocol = _Protocol()
    loop = asyncio.get_running_loop()
    gave_up, waiting = loop.create_future(), loop.create_future()
    protocol.waiting.extend([gave_up, waiting])
    gave_up.cancel()
    protocol.data_received(b":1\r\n:2\r\n")
    assert waiting.result() == 2
