"""Connectors: an internal room's events delivered outside the hub (outgoing webhooks,
the Matrix bridge). The models are ``rooms.models.connectors``; the delivery is the
relay (``relay``), the receivers are sinks (``sinks``), every address the server
calls for an admin passes ``outbound``."""
