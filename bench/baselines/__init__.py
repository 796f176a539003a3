"""The servers Causeway is measured against (docs/performance.md)."""

# What bench.loadgen.subscribe sends, and the least answer it accepts: the
# baselines answer a reconnect storm's resume with it, reading nothing.
SUBSCRIBE = '{"type": "subscribe"'
SUBSCRIBED = '{"type": "subscribed", "head_seq": 0}'
