"""Full-text search of messages (``rooms.search``): each database's own index.

PostgreSQL: a GIN index on the messages' English text search vector, the
very expression ``rooms.search.engine.PostgresEngine`` matches (else the
planner cannot use it).

SQLite: an FTS5 table whose content is ``rooms_message`` itself (nothing is
stored twice), kept current by three triggers. Rebuilding ``rooms_message``
on SQLite (what Django's schema editor does for most ALTERs) drops the
triggers: a later migration that alters the table must run
``SQLITE_TRIGGERS`` again (tests/rooms/test_search.py would fail without).
"""

from django.db import migrations

PG_CREATE = (
    "CREATE INDEX IF NOT EXISTS rooms_message_body_fts ON rooms_message "
    "USING gin (to_tsvector('english'::regconfig, COALESCE(body, '')))"
)
PG_DROP = "DROP INDEX IF EXISTS rooms_message_body_fts"

SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS rooms_message_fts USING fts5("
    "body, content='rooms_message', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')"
)
SQLITE_TRIGGERS = [
    "CREATE TRIGGER IF NOT EXISTS rooms_message_fts_insert AFTER INSERT ON rooms_message BEGIN "
    "INSERT INTO rooms_message_fts(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER IF NOT EXISTS rooms_message_fts_delete AFTER DELETE ON rooms_message BEGIN "
    "INSERT INTO rooms_message_fts(rooms_message_fts, rowid, body) "
    "VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER IF NOT EXISTS rooms_message_fts_update AFTER UPDATE OF body ON rooms_message "
    "BEGIN INSERT INTO rooms_message_fts(rooms_message_fts, rowid, body) "
    "VALUES ('delete', old.id, old.body); "
    "INSERT INTO rooms_message_fts(rowid, body) VALUES (new.id, new.body); END",
]
SQLITE_FILL = "INSERT INTO rooms_message_fts(rooms_message_fts) VALUES ('rebuild')"
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS rooms_message_fts_insert",
    "DROP TRIGGER IF EXISTS rooms_message_fts_delete",
    "DROP TRIGGER IF EXISTS rooms_message_fts_update",
    "DROP TABLE IF EXISTS rooms_message_fts",
]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_CREATE)
    elif vendor == "sqlite":
        for sql in [SQLITE_TABLE, *SQLITE_TRIGGERS, SQLITE_FILL]:
            schema_editor.execute(sql)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DROP)
    elif vendor == "sqlite":
        for sql in SQLITE_DROP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("rooms", "0007_files")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
