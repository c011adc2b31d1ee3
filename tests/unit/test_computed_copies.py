"""ComputedCopies.get_or_compute: one computation per key however many ask at once, and a
failed or cancelled one never leaves its waiters without an answer."""

import asyncio

import pytest

from app.cache import ComputedCopies


class SlowRead:
    def __init__(self, value: object = "rows", fail: bool = False) -> None:
        self.calls = 0
        self.value = value
        self.fail = fail
        self.release = asyncio.Event()

    async def __call__(self) -> object:
        self.calls += 1
        await self.release.wait()
        if self.fail:
            raise RuntimeError("database went away")
        return self.value


async def test_concurrent_callers_of_one_key_share_one_computation():
    copies = ComputedCopies()
    read = SlowRead()
    callers = [asyncio.create_task(copies.get_or_compute(("k",), read)) for _ in range(10)]
    await asyncio.sleep(0)
    read.release.set()
    assert await asyncio.gather(*callers) == ["rows"] * 10
    assert read.calls == 1
    assert await copies.get_or_compute(("k",), read) == "rows"  # kept
    assert read.calls == 1


async def test_other_keys_are_computed_apart():
    copies = ComputedCopies()
    first, second = SlowRead("a"), SlowRead("b")
    tasks = [
        asyncio.create_task(copies.get_or_compute(("a",), first)),
        asyncio.create_task(copies.get_or_compute(("b",), second)),
    ]
    await asyncio.sleep(0)
    first.release.set()
    second.release.set()
    assert await asyncio.gather(*tasks) == ["a", "b"]


@pytest.mark.parametrize("ending", ["fails", "cancelled"])
async def test_when_the_computation_ends_without_a_value_a_waiter_computes_it(ending):
    """The first computation fails, or its request is cancelled (the client hung up): the
    waiter computes the value itself, once, and keeps it for the next caller."""
    copies = ComputedCopies()
    first_read = SlowRead(fail=True)
    first = asyncio.create_task(copies.get_or_compute(("k",), first_read))
    await asyncio.sleep(0)
    own = SlowRead("own")
    own.release.set()
    waiter = asyncio.create_task(copies.get_or_compute(("k",), own))
    await asyncio.sleep(0)
    if ending == "fails":
        first_read.release.set()
    else:
        first.cancel()
    assert await waiter == "own"
    assert own.calls == 1
    with pytest.raises(RuntimeError if ending == "fails" else asyncio.CancelledError):
        await first
    assert await copies.get_or_compute(("k",), SlowRead()) == "own"  # kept by the waiter


async def test_a_cancelled_waiter_does_not_cancel_the_computation():
    copies = ComputedCopies()
    read = SlowRead()
    first = asyncio.create_task(copies.get_or_compute(("k",), read))
    await asyncio.sleep(0)
    waiter = asyncio.create_task(copies.get_or_compute(("k",), read))
    await asyncio.sleep(0)
    waiter.cancel()
    await asyncio.sleep(0)
    read.release.set()
    assert await first == "rows"
