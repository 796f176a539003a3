"""Permission-scoped reads, one module per concept (``access`` is the door to all of them)."""
