import threading

import pytest
from django.db import connection

from accounts.models import Organization, User
from declarations import workflow
from declarations.errors import TransitionForbidden, TransitionNotAllowed
from declarations.models import AuditEntry
from verification import checks, review
from verification.models import CheckRun, StoredFinding

pytestmark = pytest.mark.django_db


def test_checks_pass_move_to_in_verification_and_store_findings(make_declaration, mill_alice):
    declaration, _ = workflow.submit(make_declaration(), actor=mill_alice)
    run = checks.run_checks(declaration)
    declaration.refresh_from_db()
    assert declaration.status == "in_verification"
    assert run.state == "done" and run.passed
    assert run.revision.number == 1
    # Running again (a redelivered task) changes nothing.
    assert checks.run_checks(declaration) is None
    assert CheckRun.objects.count() == 1


def test_checks_with_errors_send_back_to_draft(make_declaration, mill_alice):
    declaration = make_declaration()
    declaration, _ = workflow.submit(declaration, actor=mill_alice)
    # The route changes meanwhile in the database (e.g. an operator fixed a typo); the checks see the row as it is.
    type(declaration).objects.filter(pk=declaration.pk).update(declared_unit="1 m2")
    declaration.refresh_from_db()
    run = checks.run_checks(declaration)
    declaration.refresh_from_db()
    assert declaration.status == "draft"
    assert not run.passed
    assert run.findings.filter(severity="error", rule="P1").exists()
    last = AuditEntry.objects.filter(declaration=declaration).last()
    assert (last.from_status, last.to_status, last.actor) == ("submitted", "draft", None)


def test_warnings_are_stored_in_both_languages(make_declaration, mill_alice):
    declaration = make_declaration(production_route="bf_bof", sample_route="scrap_eaf")  # P2 and P11 warn
    declaration, _ = workflow.submit(declaration, actor=mill_alice)
    run = checks.run_checks(declaration)
    warnings = run.findings.filter(severity="warning")
    assert {"P2", "P11"} <= set(warnings.values_list("rule", flat=True))
    p11 = warnings.get(rule="P11")
    assert "BF-BOF" in p11.message
    assert p11.message_zh and p11.message_zh != p11.message


def test_assigning_a_verifier_of_the_mill_is_refused(make_declaration, mill_alice, mill_a, operator_olga, accredited):
    declaration, _ = workflow.submit(make_declaration(), actor=mill_alice)
    insider = User.objects.create_user("insider", organization=mill_a)
    with pytest.raises(review.ConflictOfInterest):
        review.assign(declaration, insider, by=operator_olga)


def test_assigning_the_lca_practitioners_verifier_is_refused(make_declaration, mill_alice, operator_olga, accredited):
    consultancy = Organization.objects.create(name="GreenLCA Verification", kind="verification_body", country="CN")
    consultant = User.objects.create_user("consultant", organization=consultancy)
    accredited(consultant)
    declaration = make_declaration()
    # The operator names the practitioner (admin): a mill may not name a verification body (tests/security/test_practitioner.py).
    type(declaration).objects.filter(pk=declaration.pk).update(lca_practitioner_organization=consultancy)
    declaration, _ = workflow.submit(declaration, actor=mill_alice)
    with pytest.raises(review.ConflictOfInterest) as refused:
        review.assign(declaration, consultant, by=operator_olga)
    assert "LCA practitioner" in refused.value.message
    assert refused.value.findings[0].check == "P23"


def test_unaccredited_verifier_cannot_be_assigned(make_declaration, mill_alice, verifier_vera, operator_olga):
    declaration, _ = workflow.submit(make_declaration(), actor=mill_alice)
    with pytest.raises(review.ConflictOfInterest, match="no valid accreditation"):
        review.assign(declaration, verifier_vera, by=operator_olga)


def test_approval_needs_checklist_and_acknowledged_warnings(in_verification, verifier_vera):
    declaration = in_verification(production_route="bf_bof", sample_route="scrap_eaf")
    with pytest.raises(review.ReviewIncomplete) as incomplete:
        review.approve(declaration, verifier=verifier_vera)
    checks_named = {f.check for f in incomplete.value.findings}
    assert {"checklist", "acknowledge"} <= checks_named
    review.update_checklist(declaration, verifier=verifier_vera, items={key: True for key in review.CHECKLIST})
    for finding in StoredFinding.objects.filter(severity="warning"):
        review.acknowledge(finding, verifier=verifier_vera, comment="Plant data confirmed by energy bills.")
    declaration = review.approve(declaration, verifier=verifier_vera)
    assert declaration.status == "approved"
    statement = declaration.verification_statement
    assert statement.body_name == "Veritas Certification GmbH" and statement.accreditation_number.startswith("D-ZE-")


def test_producer_and_operator_cannot_approve(in_verification, mill_alice, operator_olga):
    declaration = in_verification()
    for user in (mill_alice, operator_olga):
        with pytest.raises(TransitionForbidden):
            review.approve(declaration, verifier=user)


def test_changes_requested_then_resubmitted_keeps_revisions(in_verification, verifier_vera, mill_alice):
    from declarations import editing

    declaration = in_verification()
    review.add_comment(declaration, author=verifier_vera, text="Explain the C3 scenario.", indicator="MFR", module="C3")
    declaration = review.request_changes(declaration, verifier=verifier_vera, comment="See comments.")
    assert declaration.status == "changes_requested"
    declaration = editing.update_declaration(declaration, actor=mill_alice, description="C3: 95 % collected and sorted.")
    declaration, _ = workflow.submit(declaration, actor=mill_alice)
    assert declaration.revision == 2
    checks.run_checks(declaration)
    declaration.refresh_from_db()
    assert declaration.status == "in_verification"
    first, second = declaration.revisions.order_by("number")
    diff = review.revision_diff(first, second)
    assert diff["fields"] == [{"field": "product.description", "before": "", "after": "C3: 95 % collected and sorted."}]
    assert CheckRun.objects.filter(revision__declaration=declaration).count() == 2


@pytest.mark.parametrize(
    ("status_from", "to"),
    [
        ("draft", "approved"),
        ("draft", "in_verification"),
        ("submitted", "approved"),
        ("in_verification", "published"),
        ("changes_requested", "approved"),
    ],
)
def test_moves_outside_the_table_are_refused(make_declaration, mill_alice, status_from, to):
    declaration = make_declaration()
    type(declaration).objects.filter(pk=declaration.pk).update(status=status_from)
    declaration.refresh_from_db()
    with pytest.raises(TransitionNotAllowed):
        workflow.transition(declaration, to, actor=mill_alice)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_approvals_exactly_one_wins(in_verification, verifier_vera):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    declaration = in_verification()
    review.update_checklist(declaration, verifier=verifier_vera, items={key: True for key in review.CHECKLIST})
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def approve():
        from django.db import connections

        barrier.wait()
        try:
            review.approve(declaration, verifier=verifier_vera)
            outcomes.append("approved")
        except (TransitionNotAllowed, Exception) as exc:
            outcomes.append(type(exc).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 2 and outcomes.count("approved") == 1, outcomes
    assert AuditEntry.objects.filter(declaration=declaration, to_status="approved").count() == 1
