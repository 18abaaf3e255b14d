from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("verification", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="verificationstatement",
            name="body_website",
            field=models.URLField(
                blank=True,
                default="",
                help_text="The verification body's website when it approved: openEPD names organisations by web domain.",
            ),
            preserve_default=False,
        ),
    ]
