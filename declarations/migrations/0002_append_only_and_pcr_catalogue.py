from django.db import migrations

from declarations.append_only import triggers

TRIGGER_FUNCTION = """
CREATE OR REPLACE FUNCTION epd_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def add_trigger_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":  # SQLite (make run): the models refuse changes
        schema_editor.execute(TRIGGER_FUNCTION, params=None)


# reference/steel.md §1: EN 15804+A2 core plus one complementary steel PCR.
PCRS = [
    ("en17662", "EN 17662:2021 steel and aluminium structural products (c-PCR to EN 15804+A2)", "CEN", "2021", True),
    ("ies-2019-14", "PCR 2019:14 Construction products", "International EPD System", "1.3.4", True),
    ("ibu-structural-steel", "PCR Part B: Requirements on the EPD for Structural Steels", "IBU", "1.6", True),
    ("ibu-reinforcing-steel", "PCR Part B: Requirements on the EPD for Reinforcing Steel", "IBU", "1.6", True),
    ("npcr-013", "NPCR 013 Steel as construction material", "EPD-Norge", "3.0", True),
    ("cisa-steel", "PCR for ordinary and special steel products (普通钢铁产品及特殊钢产品PCR)", "CISA steel EPD platform", "2022", True),
    ("ul-steel-part-b", "UL PCR Part B: Designated Steel Construction Products (ISO 21930, not EN 15804)", "UL Environment", "2.0", False),
]


def add_pcrs(apps, schema_editor):
    PCR = apps.get_model("declarations", "PCR")
    for code, name, programme, version, is_en15804 in PCRS:
        PCR.objects.update_or_create(
            code=code,
            defaults={"name": name, "programme": programme, "version": version, "is_en15804": is_en15804,
                      "core_standard": "EN 15804:2012+A2:2019" if is_en15804 else "ISO 21930:2017"},
        )


class Migration(migrations.Migration):
    dependencies = [("declarations", "0001_initial")]

    operations = [
        migrations.RunPython(add_trigger_function, migrations.RunPython.noop),
        triggers("declarations_auditentry", "declarations_revision"),
        migrations.RunPython(add_pcrs, migrations.RunPython.noop),
    ]
