"""The cast: mill_alice and mill_bob work for different mills, verifier_vera for a verification body,
operator_olga for the programme operator. Builders make declarations without factories."""

import os
import random

import pytest
from rest_framework.test import APIClient

from accounts.models import Organization, User
from declarations import editing
from declarations.models import PCR, Declaration
from declarations.samples import minimal_pdf, plausible_results


def pytest_collection_modifyitems(config, items):
    # Transactional tests (real workers, live servers) end with a flush of every table, which would also
    # remove what migrations load (the PCR catalogue, the log's head row) for the tests after them:
    # serialized rollback puts it back.
    for item in items:
        marker = item.get_closest_marker("django_db")
        transactional = (marker is not None and marker.kwargs.get("transaction")) or "live_server" in item.fixturenames
        if transactional and "django_db_serialized_rollback" not in item.fixturenames:
            item.fixturenames.append("django_db_serialized_rollback")
    # With DATABASE_URL (PostgreSQL) and REDIS_URL set, as in CI, nothing is skipped.
    if os.environ.get("REDIS_URL") and os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL) for a real Celery worker; CI sets both")
    for item in items:
        if "worker" in item.keywords:
            item.add_marker(skip)


make_pdf = minimal_pdf


@pytest.fixture
def mill_a(db):
    return Organization.objects.create(
        name="Huadong Iron & Steel Co.", name_zh="华东钢铁股份有限公司", kind="producer", country="CN", city="Shanghai"
    )


@pytest.fixture
def mill_b(db):
    return Organization.objects.create(name="Nordic Sections AB", kind="producer", country="SE", city="Luleå")


@pytest.fixture
def verification_body(db):
    return Organization.objects.create(name="Veritas Certification GmbH", kind="verification_body", country="DE", city="Berlin")


@pytest.fixture
def operator_org(db):
    return Organization.objects.create(name="Steel EPD Programme", kind="operator", country="CH", city="Geneva")


def _user(username: str, organization: Organization, **extra) -> User:
    return User.objects.create_user(
        username=username,
        password="correct horse battery staple",
        email=f"{username}@example.com",
        first_name=username.split("_")[-1].title(),
        organization=organization,
        **extra,
    )


@pytest.fixture
def mill_alice(mill_a):
    return _user("mill_alice", mill_a)


@pytest.fixture
def mill_bob(mill_b):
    return _user("mill_bob", mill_b)


@pytest.fixture
def verifier_vera(verification_body):
    return _user("verifier_vera", verification_body)


@pytest.fixture
def operator_olga(operator_org):
    return _user("operator_olga", operator_org, is_staff=True)


@pytest.fixture
def client_for():
    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_login(user)
        return client

    return make


def complete_fields(**overrides) -> dict:
    fields = {
        "product_name": "Reinforcing steel B500B",
        "category": "long.rebar",
        "production_route": "scrap_eaf",
        "standards": ["EN 10080"],
        "grades": ["B500B"],
        "declared_unit": "1 t",
        # get_or_create: transactional tests flush the table the data migration filled.
        "pcr": PCR.objects.get_or_create(code="en17662", defaults={"name": "EN 17662:2021", "programme": "CEN"})[0],
        "lca_software": "LCA for Experts 10.7",
        "background_database": "Sphera MLC 2024.1",
        "reference_year": 2025,
        "characterisation_method": "EF 3.1",
        "scenarios": {"C2": {"description": "Truck to the scrap yard", "distance_km": 100}},
        # EN 15804+A2 clause 7: required at submission (declarations.validation.check_submission_fields).
        "allocation": "Co-products (BF gas, slag) by system expansion per EN 15804+A2 and the worldsteel methodology.",
        "cut_off": "1 % of mass and energy per unit process, 5 % per module.",
        "data_quality": "Plant data for 2025, one-year average; background data Sphera MLC 2024.1.",
        "lca_practitioner": "GreenLCA Consulting Ltd.",
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def make_declaration(mill_alice):
    """A draft with complete, plausible data; `results=False` leaves the matrix empty."""

    def make(
        owner=None, *, results=True, report=True, seed=1, sample_route=None, gwp_a1a3=None, plants=None, **overrides
    ) -> Declaration:
        """`sample_route` makes numbers typical of another route than the one declared; `gwp_a1a3` fixes
        GWP-total A1-A3 (kg CO2 eq. per tonne) and the indicators that follow it."""
        owner = owner or mill_alice
        fields = complete_fields(**overrides)
        sample = plausible_results(
            sample_route or fields["production_route"], fields["category"], rng=random.Random(seed), gwp_a1a3=gwp_a1a3
        )
        if results and "recycled_content" not in overrides:
            fields["recycled_content"] = sample.recycled_content
        declaration = editing.create_declaration(
            owner.organization,
            actor=owner,
            plants=plants if plants is not None else [{"name": "Plant 1", "country": owner.organization.country, "city": "X"}],
            **fields,
        )
        if results:
            editing.replace_results(declaration, sample.cells(), sample.declared_modules, actor=owner)
        if report:
            editing.attach_report(declaration, actor=owner, name="report.pdf", content=make_pdf())
        declaration.refresh_from_db()
        return declaration

    return make


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def accredited(operator_olga):
    """Accredit a verifier: accredited(verifier_vera)."""
    from verification.models import Accreditation

    def make(verifier):
        return Accreditation.objects.create(
            verifier=verifier, body=verifier.organization, number=f"D-ZE-{verifier.pk:05d}-01", accredited_by="DAkkS"
        )

    return make


@pytest.fixture
def in_verification(make_declaration, mill_alice, verifier_vera, operator_olga, accredited):
    """A declaration submitted by mill_alice (or `owner`), checked, and assigned to verifier_vera."""
    from declarations import workflow
    from verification import checks, review

    def make(owner=None, **overrides):
        owner = owner or mill_alice
        declaration = make_declaration(owner, **overrides)
        declaration, _ = workflow.submit(declaration, actor=owner)
        checks.run_checks(declaration)
        declaration.refresh_from_db()
        assert declaration.status == "in_verification", declaration.status
        if not verifier_vera.accreditations.exists():
            accredited(verifier_vera)
        review.assign(declaration, verifier_vera, by=operator_olga)
        return declaration

    return make


@pytest.fixture(scope="session")
def _session_keys(tmp_path_factory):
    return tmp_path_factory.mktemp("signing-keys")


@pytest.fixture(autouse=True)
def _english_to_start_with():
    """Django's LocaleMiddleware activates a request's language in the thread and leaves it there, so a
    test-client request in 简体中文 would make the next test's gettext Chinese (a browser test then looked
    for a Chinese label on an English page)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _unthrottled(settings):
    """The registry's rate limits would trip over a test suite's requests; the throttling test sets its own.
    The caches (throttle history, category statistics and values keyed by the log's size) start empty for every test."""
    from django.core.cache import cache

    from registry.queries import forget_category_values

    settings.REGISTRY_THROTTLE_RATES = {"registry_anon": "1000000/minute", "registry_token": "1000000/minute"}
    cache.clear()
    forget_category_values()


@pytest.fixture(autouse=True)
def _signing_keys_in_tmp(settings, _session_keys):
    """One platform key for the session, never the developer's var/keys (tests may rotate their own)."""
    settings.SIGNING_KEY_DIR = _session_keys


@pytest.fixture
def approved(in_verification, verifier_vera):
    """A declaration approved by verifier_vera, not yet published (no task ran: tests hold the commit)."""
    from verification import review
    from verification.models import StoredFinding

    def make(**overrides):
        declaration = in_verification(**overrides)
        review.update_checklist(declaration, verifier=verifier_vera, items={key: True for key in review.CHECKLIST})
        for finding in StoredFinding.objects.filter(check_run__revision__declaration=declaration, severity="warning"):
            review.acknowledge(finding, verifier=verifier_vera, comment="Confirmed against the plant's energy bills.")
        return review.approve(declaration, verifier=verifier_vera)

    return make


@pytest.fixture
def published(approved):
    """A declaration approved and published (publishing.publish run in-process)."""
    from registry import publishing

    def make(**overrides):
        declaration = approved(**overrides)
        return publishing.publish(declaration.pk)

    return make


@pytest.fixture
def review_and_publish(mill_alice, verifier_vera, operator_olga, accredited):
    """review_and_publish(draft): mill_alice's draft submitted, checked, reviewed by verifier_vera, published."""
    from declarations import workflow
    from registry import publishing
    from verification import checks, review
    from verification.models import StoredFinding

    def make(draft):
        if not verifier_vera.accreditations.exists():
            accredited(verifier_vera)
        draft, _ = workflow.submit(draft, actor=mill_alice)
        checks.run_checks(draft)  # nothing to do if an in-process task ran them at commit already
        draft.refresh_from_db()
        assert draft.status == "in_verification", draft.audit_entries.last().comment
        review.assign(draft, verifier_vera, by=operator_olga)
        review.update_checklist(draft, verifier=verifier_vera, items=dict.fromkeys(review.CHECKLIST, True))
        for finding in StoredFinding.objects.filter(check_run__revision__declaration=draft, severity="warning"):
            review.acknowledge(finding, verifier=verifier_vera, comment="ok")
        review.approve(draft, verifier=verifier_vera)
        return publishing.publish(draft.pk)

    return make


@pytest.fixture
def republish(mill_alice, review_and_publish):
    """republish(publication): the next version of mill_alice's published EPD, reviewed and published."""
    from declarations import editing

    def make(publication):
        return review_and_publish(editing.start_new_version(publication.declaration, actor=mill_alice))

    return make


@pytest.fixture
def in_process_tasks():
    """Tasks run in-process, as on `make run`'s embedded default (the demo loader publishes through them)."""
    from celery import current_app

    before = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    yield
    current_app.conf.task_always_eager = before


@pytest.fixture
def redis_broker():
    """A private Redis for one test, used as the broker by this process and the workers it starts."""
    from tests.workers import PrivateRedis, use_broker

    redis = PrivateRedis().start()
    with use_broker(redis.url):
        yield redis
    redis.stop()


@pytest.fixture
def celery_processes(redis_broker):
    """celery_processes("worker") or ("beat"), with settings as keyword arguments (EMAIL_BACKEND=…): started on
    the test's broker and database, stopped after."""
    from tests.workers import CeleryProcess

    started = []

    def start(kind: str = "worker", **env):
        process = CeleryProcess(kind, redis_broker.url, **env).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def fontconfig_without_cjk(tmp_path, monkeypatch):
    """This process (and what it starts) sees fontconfig with DejaVu only, as on a machine without fonts-noto-cjk."""
    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f"<dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>{tmp_path / 'fontconfig-cache'}</cachedir></fontconfig>"
    )
    monkeypatch.setenv("FONTCONFIG_FILE", str(config))
    return config
