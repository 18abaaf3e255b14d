from django.db import migrations


def copy_sent_notifications(apps, schema_editor):
    """Each Notification row said a transition's e-mails were sent: it becomes a sent outbox row."""
    Notification = apps.get_model("verification", "Notification")
    OutboxMessage = apps.get_model("declarations", "OutboxMessage")
    OutboxMessage.objects.bulk_create(
        OutboxMessage(
            kind="transition",
            audit_entry_id=n.audit_entry_id,
            created_at=n.sent_at,
            attempts=1,
            recipients=n.recipients,
            delivered=n.recipients,
            sent_at=n.sent_at,
        )
        for n in Notification.objects.all().iterator()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("verification", "0002_statement_body_website"),
        ("declarations", "0007_outbox_message"),
    ]

    operations = [
        migrations.RunPython(copy_sent_notifications, migrations.RunPython.noop),
        migrations.DeleteModel(name="Notification"),
    ]
