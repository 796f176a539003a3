"""The JSON API over HTTP (docs/protocol.md, "HTTP JSON endpoints"). Thin views."""
