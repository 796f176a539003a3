from __future__ import annotations

import asyncio
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rooms import jobs


class Command(BaseCommand):
    help = (
        "Run the background worker: the bridge's relay (outbox to sinks), the "
        "escalation clock, digests, file clean-up and retention (hourly), until stopped. "
        "Several may run at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Drain once and exit.")
        parser.add_argument("--interval", type=float, default=jobs.RELAY_SECONDS)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            self.stdout.write(str(jobs.tick()))
            return
        asyncio.run(jobs.run_forever(options["interval"]))
