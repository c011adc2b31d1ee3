"""`python -m app.cli worker`: the long-running process behind the API.

It sends due notifications every WORKER_DISPATCH_SECONDS, escalates overdue callbacks every
minute and, with Cal.com configured, reconciles Cal.com's bookings every 15 minutes. The
database is the coordinator, so several workers may run at once (that is how it scales
out): each row is claimed by one. SIGTERM or SIGINT finishes the step under way and stops.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from app.ops.jobs import dispatch_notifications, escalation_task, reconcile_calcom
from app.ops.runtime import Runtime

logger = logging.getLogger("app.worker")

ESCALATION_SECONDS = 60.0
RECONCILE_SECONDS = 15 * 60.0
# Reconcile reads the bookings changed in this window (it overlaps the last run's).
RECONCILE_WINDOW = timedelta(hours=2)


@dataclass
class Task:
    name: str
    every: float
    run: Callable[[], Awaitable[object]]
    due: float = field(default=0.0)


class Worker:
    def __init__(self, runtime: Runtime, tasks: list[Task]) -> None:
        self.runtime = runtime
        self.tasks = tasks
        self.stopping = asyncio.Event()

    def stop(self) -> None:
        if not self.stopping.is_set():
            logger.info("worker.stopping")
        self.stopping.set()

    async def serve(self) -> None:
        logger.info("worker.started", extra={"tasks": [task.name for task in self.tasks]})
        while not self.stopping.is_set():
            now = time.monotonic()
            for task in self.tasks:
                if self.stopping.is_set():
                    break
                if now >= task.due:
                    await self._step(task)
                    task.due = time.monotonic() + task.every
            soonest = min(task.due for task in self.tasks) - time.monotonic()
            try:
                async with asyncio.timeout(max(0.0, soonest)):
                    await self.stopping.wait()
            except TimeoutError:
                pass
        logger.info("worker.stopped")

    async def _step(self, task: Task) -> None:
        started = time.monotonic()
        try:
            result = await task.run()
        except Exception:  # one failing step must not stop the others; it runs again
            logger.exception("worker.step_failed", extra={"task": task.name})
            return
        logger.info(
            "worker.step",
            extra={
                "task": task.name,
                "result": getattr(result, "line", result),
                "seconds": round(time.monotonic() - started, 3),
            },
        )


def standard_tasks(runtime: Runtime) -> list[Task]:
    quiet: Callable[[str], None] = lambda line: None  # noqa: E731  (the worker logs results)
    tasks = [
        Task(
            "dispatch-notifications",
            runtime.settings.worker_dispatch_seconds,
            lambda: dispatch_notifications(runtime, out=quiet),
        ),
        Task("escalate-callbacks", ESCALATION_SECONDS, escalation_task(runtime)),
    ]
    if runtime.calcom is not None:

        async def reconcile() -> int:
            since = runtime.clock() - RECONCILE_WINDOW
            return await reconcile_calcom(runtime, since, clock=runtime.clock, out=quiet)

        tasks.append(Task("reconcile-calcom", RECONCILE_SECONDS, reconcile))
    return tasks


async def run_worker(runtime: Runtime, tasks: list[Task]) -> None:
    worker = Worker(runtime, tasks)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, worker.stop)
    try:
        await worker.serve()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
