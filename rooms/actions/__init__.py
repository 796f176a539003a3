"""Writes to rooms, one module per concept.

``do_*`` writes (in one transaction) and publishes on commit; ``check_*``
validates and authorizes, then calls ``do_*``. Import each from its module.
"""
