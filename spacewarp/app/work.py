"""A session's heavy work, off the server's event loop: one job at a time, newest first.

Each change to a session becomes a job (``run`` makes the new trace and views in a pool
thread) and a finish (``done`` shows the outcome, back on the session's event loop). A
session runs one job at a time, so its changes never pile up in the pool; a change
arriving while one runs waits, and replaces a waiting change to the same control (a
stale value is never computed). When the session closes, waiting jobs are dropped and
a running job's outcome is thrown away, so its memory goes with it.

A served session's page drops an update that lands between its pull of the document and
its "ready" message (the first trace's views and weight grids went missing, at random).
Such a worker starts ``held``: what it hands to the page waits, in order, until
``release`` (the page's ready message).

Without a pool (notebooks, tests) a job runs at once, in the caller's thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

log = logging.getLogger(__name__)

Job = Callable[[], Any]  # the heavy part: runs in a pool thread
Done = Callable[[Any, BaseException | None], None]  # (result, error): on the event loop
Post = Callable[[Callable[[], None]], None]  # schedule on the session's event loop


class Worker:
    """One session's queue of jobs; ``pool`` None runs them synchronously."""

    def __init__(self, pool: Executor | None = None, post: Post | None = None,
                 held: bool = False) -> None:
        self._pool, self._post = pool, post
        self._waiting: dict[str, tuple[Job, Done]] = {}
        self._busy = False
        self._closed = False
        self._lock = threading.Lock()
        self._held: list[Callable[[], None]] | None = [] if held else None  # None: released

    @property
    def background(self) -> bool:
        """Whether jobs run off the caller's thread (a served session)."""
        return self._pool is not None and self._post is not None

    @property
    def idle(self) -> bool:
        return not self._busy and not self._waiting

    def submit(self, key: str, job: Job, done: Done) -> None:
        """Run ``job`` after the jobs before it, then ``done`` with its outcome."""
        if self._pool is None or self._post is None:
            done(*_outcome(job))
            return
        with self._lock:
            if self._closed:
                return
            self._waiting.pop(key, None)  # a newer value for the same control wins
            self._waiting[key] = (job, done)
        self._next()

    def post(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` on the session's event loop (from a job), unless closed."""
        if self._closed or self._post is None:
            return
        self._deliver(lambda: None if self._closed else callback())

    def release(self) -> None:
        """The page is ready: hand it what was held, in order; from now on at once."""
        with self._lock:  # (under the lock: nothing newer overtakes the held ones)
            held, self._held = self._held or [], None
            for callback in held:
                self._hand_over(callback)

    def _deliver(self, callback: Callable[[], None]) -> bool:
        """Hand ``callback`` to the event loop, or hold it; False if the session is gone."""
        with self._lock:
            if self._held is not None:
                self._held.append(callback)
                return True
            return self._hand_over(callback)

    def _hand_over(self, callback: Callable[[], None]) -> bool:
        try:
            assert self._post is not None
            self._post(callback)
            return True
        except Exception as err:  # the session's document is gone: nothing to show
            log.warning("an update could not be handed to its session: %s", err)
            return False

    def close(self) -> None:
        """Drop waiting jobs and held updates; a running job's outcome will be discarded."""
        with self._lock:
            self._closed = True
            self._waiting.clear()
            self._held = [] if self._held is not None else None

    def _next(self) -> None:
        with self._lock:
            if self._busy or self._closed or not self._waiting:
                return
            key = next(iter(self._waiting))
            job, done = self._waiting.pop(key)
            self._busy = True
        assert self._pool is not None
        self._pool.submit(self._run, job, done)

    def _run(self, job: Job, done: Done) -> None:  # in a pool thread
        result, error = _outcome(job)
        if self._closed:  # the page is gone: drop the result here, not on the loop
            return
        if not self._deliver(lambda: self._finish(done, result, error)):
            self._busy = False  # the session's document is gone: nothing more to run

    def _finish(self, done: Done, result: Any, error: BaseException | None) -> None:
        try:
            if not self._closed:
                done(result, error)
        finally:
            with self._lock:
                self._busy = False
            self._next()


def _outcome(job: Job) -> tuple[Any, BaseException | None]:
    try:
        return job(), None
    except Exception as err:  # shown by ``done``: a user's mistake or a bug
        return None, err
