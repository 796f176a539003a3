"""The Matrix bridge: an application service that carries one internal room to a room on
the organization's own homeserver, and brings back what its engineers write there as
internal notes.

``registration`` (the file the admin installs, the puppets' ids), ``homeserver`` (the
calls Causeway makes, through the outbound rule), ``sink`` (the room's events out, as
puppets), ``inbound`` (the homeserver's transactions in), ``commands`` (``!share`` and
``!confirm``), ``actions`` (connecting a room, linking Matrix users to people).
"""
