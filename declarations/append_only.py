"""Migration helpers: PostgreSQL triggers that refuse UPDATE and DELETE on append-only tables.

The models refuse changes too (ImmutableRowMixin); the trigger also stops raw SQL, the admin's bulk
actions and anything else that bypasses the model. SQLite (the embedded default) relies on the model.
The trigger function epd_refuse_change() is created by declarations migration 0002.
"""

from django.db import migrations


def triggers(*tables: str) -> migrations.RunPython:
    def add(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table in tables:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION epd_refuse_change();"
            )

    def drop(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table in tables:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")

    return migrations.RunPython(add, drop)
