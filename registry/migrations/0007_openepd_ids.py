"""openEPD ids for every published version (registry/openxpd.py), and the openEPD document as signed."""

from django.db import migrations, models

from registry import openxpd


def fill_openepd_ids(apps, schema_editor):
    RegistryEntry = apps.get_model("registry", "RegistryEntry")
    batch = []
    for entry in RegistryEntry.objects.only("pk", "registration_number", "version").iterator(chunk_size=5000):
        entry.openepd_id = openxpd.openxpd_id(entry.registration_number, entry.version)
        batch.append(entry)
        if len(batch) == 5000:
            RegistryEntry.objects.bulk_update(batch, ["openepd_id"])
            batch = []
    RegistryEntry.objects.bulk_update(batch, ["openepd_id"])


class Migration(migrations.Migration):
    dependencies = [("registry", "0006_ilcd_zip_and_dataset_index")]

    operations = [
        migrations.AddField(
            model_name="publication",
            name="openepd",
            field=models.TextField(
                blank=True,
                default="",
                help_text="the openEPD document as signed: openepd.json's bytes (RFC 8785 JSON); empty before openEPD ids",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="registryentry",
            name="openepd_id",
            field=models.CharField(max_length=8, null=True),
        ),
        migrations.RunPython(fill_openepd_ids, migrations.RunPython.noop),
    ]
