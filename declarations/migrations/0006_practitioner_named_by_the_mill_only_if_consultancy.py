from django.db import migrations
from django.db.models import F

# Until now a mill could name any organisation as its LCA practitioner, and that choice decides which
# verifiers count as conflicted (P23). Every such value was the mill's (the admin was read-only), so on
# declarations still on their way to a verifier's decision a value the mill may no longer give is cleared;
# the practitioner's name stays in the free-text field, and the operator can name the organisation again.
UNDECIDED = ["draft", "submitted", "in_verification", "changes_requested"]


def clear_mill_named_practitioners(apps, schema_editor):
    Declaration = apps.get_model("declarations", "Declaration")
    doubtful = (
        Declaration.objects.filter(status__in=UNDECIDED, lca_practitioner_organization__isnull=False)
        .exclude(lca_practitioner_organization__kind="lca_consultancy")
        .exclude(lca_practitioner_organization=F("epd__organization"))
    )
    for declaration in doubtful.select_related("lca_practitioner_organization"):
        name = declaration.lca_practitioner or declaration.lca_practitioner_organization.name
        Declaration.objects.filter(pk=declaration.pk).update(lca_practitioner=name[:200], lca_practitioner_organization=None)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_organization_kind_lca_consultancy"),
        ("declarations", "0005_imported_metadata_and_method"),
    ]

    operations = [migrations.RunPython(clear_mill_named_practitioners, migrations.RunPython.noop)]
