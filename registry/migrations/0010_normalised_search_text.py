"""`search_text` becomes the normalised token text of registry.search (every word of `q` in any order, English
and Chinese, category synonyms): rewritten here for the entries published before, from their signed documents."""

from django.db import migrations, models

BATCH = 2000


def rewrite_search_text(apps, schema_editor):
    from registry.search import document_text

    entry_model = apps.get_model("registry", "RegistryEntry")
    rows = entry_model.objects.order_by("pk").values_list("pk", "publication__document")
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last)[:BATCH])
        if not batch:
            return
        entry_model.objects.bulk_update(
            [entry_model(pk=pk, search_text=document_text(document)) for pk, document in batch], ["search_text"]
        )
        last = batch[-1][0]


class Migration(migrations.Migration):
    dependencies = [("registry", "0009_logstate_checkpoint")]

    operations = [
        migrations.AlterField(
            model_name="registryentry",
            name="search_text",
            field=models.TextField(help_text="normalised search tokens for `q`, written by registry.search.document_text()"),
        ),
        migrations.RunPython(rewrite_search_text, migrations.RunPython.noop, elidable=True),
    ]
