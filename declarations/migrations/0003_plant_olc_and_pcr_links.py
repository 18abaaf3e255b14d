from django.db import migrations, models

import declarations.models

# The programmes' own identifiers of the catalogue's PCRs (reference/steel.md §1), and a link where it is
# known for certain; the operator completes the rest in the admin.
PCR_LINKS = {
    "en17662": ("EN 17662:2021", ""),
    "ies-2019-14": ("PCR 2019:14", "https://www.environdec.com/PCR/Detail/?Pcr=14759"),
    "npcr-013": ("NPCR 013", ""),
}


def add_pcr_links(apps, schema_editor):
    PCR = apps.get_model("declarations", "PCR")
    for code, (registration_id, url) in PCR_LINKS.items():
        PCR.objects.filter(code=code, registration_id="").update(registration_id=registration_id, url=url)


class Migration(migrations.Migration):
    dependencies = [("declarations", "0002_append_only_and_pcr_catalogue")]

    operations = [
        migrations.AddField(
            model_name="plant",
            name="olc",
            field=models.CharField(
                blank=True,
                default="",
                help_text="The site's Open Location Code, e.g. 8Q33CF4Q+QR: openEPD identifies plants by it.",
                max_length=20,
                verbose_name="location (plus code)",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="pcr",
            name="registration_id",
            field=models.CharField(
                blank=True,
                default="",
                help_text="The programme's identifier of the PCR, e.g. PCR 2019:14.",
                max_length=40,
                verbose_name="registration id",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="pcr",
            name="url",
            field=models.URLField(
                blank=True, default="", help_text="Where the PCR document or its registration page is published.", verbose_name="link"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="pcr",
            name="openepd_id",
            field=models.CharField(
                blank=True,
                default="",
                help_text="The PCR's open xPD UUID where one is registered (EC3 lists PCRs under such ids, e.g. EC3E432H).",
                max_length=12,
                validators=[declarations.models.validate_openxpd_id],
                verbose_name="openEPD id",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(add_pcr_links, migrations.RunPython.noop),
    ]
