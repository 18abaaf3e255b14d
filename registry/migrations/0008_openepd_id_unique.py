from django.db import migrations, models


class Migration(migrations.Migration):
    # Apart from 0006: on PostgreSQL a table whose rows were just updated cannot be altered in the same transaction.
    dependencies = [("registry", "0007_openepd_ids")]

    operations = [
        migrations.AlterField(
            model_name="registryentry",
            name="openepd_id",
            field=models.CharField(help_text="the version's openEPD id (registry/openxpd.py)", max_length=8, unique=True),
        ),
    ]
