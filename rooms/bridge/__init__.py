"""The bridge: a side follows a shared thread live in one of its internal rooms.

Writes that change a followed thread put an ``OutboxEntry`` in their own
transaction (``outbox``, through the event log's thread hook). The relay
(``relay``) hands each entry to its sinks (``sinks``: today the room mirror),
in order per thread, each (event, mirror) pair at most once. ``mirrors``
creates, stops and shares back.

Only this direction exists: shared thread -> internal room. What a side says
under its mirror stays in its internal room unless someone shares it back
explicitly (``mirrors.check_share_back``).
"""
