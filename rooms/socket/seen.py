"""When people were last here: noted as their sockets close, written in batches.

The e-mail digest waits until someone has been away a while
(``User.last_seen_at``). Writing it at every close would put one database
call on each of the thousands of disconnects of a reconnect storm; instead
each process collects the people whose sockets closed and writes them in one
``UPDATE`` every ``FLUSH_SECONDS``. A process that dies loses at most that
much of it, which the digest's half-hour scale does not notice.
"""

from __future__ import annotations

import asyncio
import logging

from hub.actions import do_note_seen
from hub.threads import db

logger = logging.getLogger("causeway.seen")
FLUSH_SECONDS = 5.0


class LastSeen:
    _by_loop: dict[asyncio.AbstractEventLoop, LastSeen] = {}

    def __init__(self) -> None:
        self.pending: set[int] = set()
        self.flushing: asyncio.Task[None] | None = None

    @classmethod
    def get(cls) -> LastSeen:
        loop = asyncio.get_running_loop()
        found = cls._by_loop.get(loop)
        if found is None:
            found = cls._by_loop[loop] = cls()
        return found

    def note(self, user_id: int) -> None:
        """``user_id``'s socket closed now; written within ``FLUSH_SECONDS``."""
        self.pending.add(user_id)
        if self.flushing is None or self.flushing.done():
            self.flushing = asyncio.create_task(self._flush_later(), name="last-seen")

    async def _flush_later(self) -> None:
        await asyncio.sleep(FLUSH_SECONDS)
        await self.flush()

    async def flush(self) -> None:
        people, self.pending = self.pending, set()
        if not people:
            return
        try:
            await db(do_note_seen)(people)
        except Exception:
            # Noted again at their next close; the digest only waits longer.
            logger.warning("could not note %s people as seen", len(people), exc_info=True)

    @classmethod
    async def flush_all(cls) -> None:
        """Write what this loop has noted now (tests; a process that stops)."""
        found = cls._by_loop.get(asyncio.get_running_loop())
        if found is not None:
            if found.flushing is not None:
                found.flushing.cancel()
            await found.flush()

    @classmethod
    def shutdown_all(cls) -> None:
        """Forget this loop's notes unwritten (tests: the loop is about to close)."""
        found = cls._by_loop.pop(asyncio.get_running_loop(), None)
        if found is not None and found.flushing is not None:
            found.flushing.cancel()
