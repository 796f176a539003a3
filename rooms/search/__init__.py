"""Full-text search of messages: what a person typed, as each database's engine reads it.

PostgreSQL: its full-text search (``to_tsvector`` with a GIN index, English
stemming, ranked by cover density). SQLite, the embedded default: an FTS5
table over the messages (Porter stemming, ranked by BM25), kept current by
triggers. Both read the same parsed ``Terms``, so a query means the same on
either. Who may see which message is not decided here
(``rooms.selectors.search``).
"""
