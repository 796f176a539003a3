"""The background worker: its command, under both of its names."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command


def test_the_worker_runs_once_under_its_name_and_its_old_one(db):
    for name in ("run_worker", "run_bridge"):
        out = StringIO()
        call_command(name, "--once", stdout=out)
        assert "'relayed': 0" in out.getvalue() and "'escalations_notified': []" in out.getvalue()
