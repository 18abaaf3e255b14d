"""Indexes for search at 100,000+ EPDs: trigram index for `q` (PostgreSQL), and the category percentile."""

from django.db import migrations, models

TRIGRAM = "CREATE EXTENSION IF NOT EXISTS pg_trgm; CREATE INDEX IF NOT EXISTS registry_search_text_trgm ON registry_registryentry USING gin (search_text gin_trgm_ops);"


def add_trigram(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":  # SQLite (make run, a few hundred EPDs) scans
        schema_editor.execute(TRIGRAM)


def drop_trigram(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS registry_search_text_trgm;")


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_publications")]

    operations = [
        migrations.AddIndex(
            model_name="registryentry",
            index=models.Index(fields=["category", "status", "is_latest", "gwp_a1a3_per_tonne"], name="registry_category_percentile"),
        ),
        migrations.RunPython(add_trigram, drop_trigram),
    ]
