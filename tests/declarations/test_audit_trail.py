"""The audit trail and revision snapshots are append-only: the model refuses, and on PostgreSQL a trigger too."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from declarations import workflow
from declarations.models import AuditEntry, Revision


@pytest.fixture
def submitted(make_declaration, mill_alice):
    declaration, _ = workflow.submit(make_declaration(), actor=mill_alice, comment="first")
    return declaration


@pytest.mark.parametrize("model", [AuditEntry, Revision])
def test_the_model_refuses_update_and_delete(submitted, model):
    row = model.objects.filter(declaration=submitted).first()
    with pytest.raises(ValidationError, match="append-only"):
        row.save()
    with pytest.raises(ValidationError, match="append-only"):
        row.delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's; SQLite relies on the model")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE declarations_auditentry SET comment = 'rewritten' WHERE declaration_id = %s",
        "DELETE FROM declarations_auditentry WHERE declaration_id = %s",
        "UPDATE declarations_revision SET snapshot = '{}' WHERE declaration_id = %s",
        "DELETE FROM declarations_revision WHERE declaration_id = %s",
    ],
)
def test_postgresql_refuses_raw_changes(submitted, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [submitted.pk])
    assert AuditEntry.objects.get(declaration=submitted).comment == "first"
