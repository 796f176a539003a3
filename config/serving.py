"""How Causeway starts Daphne: the flags every launcher passes.

Plain constants, importable without Django's settings (bench/ and tests/live.py
build Daphne command lines from them). Makefile, Procfile and README's
production example spell the same flags out; tests/config/test_serving.py
checks that they agree.
"""

from __future__ import annotations

# Daphne's own limit on one incoming WebSocket message (and frame) is 1 MiB;
# above it autobahn drops the TCP connection (the client sees 1006) before the
# consumer can answer. The consumer's limit (CAUSEWAY_FRAME_MAX_BYTES, 64 KiB)
# is what the protocol promises, so the transport must let through anything a
# person plausibly pastes (a long log, a few pages of text) for them to get the
# `too_large` error frame instead of a dropped socket. 4 MiB does, and caps
# what one socket can make a process hold for one frame (the bytes plus the
# decoded str, on the order of 10 MiB); only signed-in sockets get that far,
# since frames flow only after the handshake, and the frame rate limit
# bounds how often.
WS_MAX_MESSAGE_BYTES = 4 * 1024 * 1024

DAPHNE_ARGS = [
    "--websocket-max-message-size",
    str(WS_MAX_MESSAGE_BYTES),
    # A browser sends a message as one frame: the frame limit must match.
    "--websocket-max-frame-size",
    str(WS_MAX_MESSAGE_BYTES),
]
