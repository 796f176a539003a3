"""The one multiplexed WebSocket: the consumer, the process fanout, the handshake."""
