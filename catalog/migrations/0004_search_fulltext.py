"""Full-text structures of the database search backend, per database vendor.

PostgreSQL: a generated, weighted ``tsvector`` column (A name, B tags and concepts, C columns,
D description/owner/domain) over the pre-analysed text columns, with a GIN index. The ``simple``
configuration only splits: folding and French/English stemming are done in Python
(catalog/search/analysis.py), the same for both vendors.

SQLite: an FTS5 external-content table over the same four columns, kept in step by triggers.
"""

from django.db import migrations

PG_FORWARD = [
    """
    ALTER TABLE catalog_searchdocument ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', coalesce(text_name, '')), 'A') ||
        setweight(to_tsvector('simple', coalesce(text_concepts, '')), 'B') ||
        setweight(to_tsvector('simple', coalesce(text_columns, '')), 'C') ||
        setweight(to_tsvector('simple', coalesce(text_body, '')), 'D')
    ) STORED
    """,
    "CREATE INDEX catalog_searchdocument_vector ON catalog_searchdocument USING GIN (search_vector)",
    "CREATE INDEX catalog_searchdocument_name_prefix ON catalog_searchdocument (name_folded varchar_pattern_ops)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS catalog_searchdocument_name_prefix",
    "DROP INDEX IF EXISTS catalog_searchdocument_vector",
    "ALTER TABLE catalog_searchdocument DROP COLUMN IF EXISTS search_vector",
]

SQLITE_FORWARD = [
    """
    CREATE VIRTUAL TABLE catalog_searchdocument_fts USING fts5(
        text_name, text_concepts, text_columns, text_body,
        content='catalog_searchdocument', content_rowid='dataset_id',
        tokenize='unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER catalog_searchdocument_ai AFTER INSERT ON catalog_searchdocument BEGIN
        INSERT INTO catalog_searchdocument_fts(rowid, text_name, text_concepts, text_columns, text_body)
        VALUES (new.dataset_id, new.text_name, new.text_concepts, new.text_columns, new.text_body);
    END
    """,
    """
    CREATE TRIGGER catalog_searchdocument_ad AFTER DELETE ON catalog_searchdocument BEGIN
        INSERT INTO catalog_searchdocument_fts(catalog_searchdocument_fts, rowid, text_name, text_concepts,
            text_columns, text_body)
        VALUES ('delete', old.dataset_id, old.text_name, old.text_concepts, old.text_columns, old.text_body);
    END
    """,
    """
    CREATE TRIGGER catalog_searchdocument_au AFTER UPDATE ON catalog_searchdocument BEGIN
        INSERT INTO catalog_searchdocument_fts(catalog_searchdocument_fts, rowid, text_name, text_concepts,
            text_columns, text_body)
        VALUES ('delete', old.dataset_id, old.text_name, old.text_concepts, old.text_columns, old.text_body);
        INSERT INTO catalog_searchdocument_fts(rowid, text_name, text_concepts, text_columns, text_body)
        VALUES (new.dataset_id, new.text_name, new.text_concepts, new.text_columns, new.text_body);
    END
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS catalog_searchdocument_au",
    "DROP TRIGGER IF EXISTS catalog_searchdocument_ad",
    "DROP TRIGGER IF EXISTS catalog_searchdocument_ai",
    "DROP TABLE IF EXISTS catalog_searchdocument_fts",
]


def _run(statements_by_vendor):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_search_index")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        )
    ]
