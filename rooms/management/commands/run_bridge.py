"""The worker's former name, kept so that existing deployments keep working."""

from rooms.management.commands.run_worker import Command as Worker


class Command(Worker):
    help = "Old name of run_worker (it also runs the escalation clock). Use run_worker."
