"""Schemathesis over the whole API, as described by its OpenAPI schema (/api/schema/).

Every operation of the schema, every check Schemathesis has (server errors, status codes, content types,
headers and bodies against the schema, positive and negative data, missing headers, unsupported
methods, ignored authentication, use after free, resource availability, response time, and object-level
authorization between the two mills), in all its phases (examples, coverage, fuzzing, stateful), with a
fixed seed and a bounded number of examples. The application runs in-process through WSGI on the test
database, with a couple of declarations per mill, one under review and one published.

Identities come from a Web Fuzzing Commons document (the Python equivalent of `[auth.wfc]`): mill_alice
first, then (Schemathesis inserts it) anonymous, verifier_vera, operator_olga and mill_bob. Each operation
starts as mill_alice and moves on to the next identity when refused with 401/403, so review decisions end
up tested as the assigned verifier and operator-only operations as the operator. mill_alice and mill_bob
are *peers*: whatever mill_alice reads of her own (a declaration, its results, its audit trail…) is
requested again as mill_bob, and the check fails if he gets it (when mill_bob's own list does not show
it: an object a peer can list is shared by design). Checked by hand: with a declaration endpoint that
filtered its list by organization but not its detail, the check fails with "`mill_bob` received the
`Declaration` that `mill_alice` owns".

A check is switched off only for the operations listed in DISABLED_CHECKS, each with its reason.
"""

import json
import logging
import os
import time
from collections import defaultdict
from collections.abc import Mapping
from contextlib import contextmanager

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connections
from schemathesis.engine import events, from_schema

from accounts.models import ApiToken

# Fixed; SCHEMATHESIS_SEED=… explores with another one.
SEED = int(os.environ.get("SCHEMATHESIS_SEED", "20261124"))
# Per operation and phase; with the coverage phase's own cases and the stateful phase this is about
# 4,000 requests, well under a minute on SQLite and PostgreSQL.
MAX_EXAMPLES = 25
# Generous: the point is to catch an endpoint that hangs or does something quadratic, not CI jitter.
MAX_RESPONSE_SECONDS = 10.0

PEERS = ["mill_alice", "mill_bob"]

# Domain rules the schema cannot express: the request is schema-valid and still (rightly) a 400.
DOMAIN_RULES = "positive_data_acceptance"
# Checks switched off for one operation: {operation: {check: why}}.
DISABLED_CHECKS: dict[str, dict[str, str]] = {
    # ---- the producer API: references and content checked against the database and EN 15804+A2
    "POST /api/v1/declarations/": {
        DOMAIN_RULES: "pcr and lca_practitioner_organization name a catalogue row and an organization that must exist; "
        "scenarios must be keyed by EN 15804 modules"
    },
    "PUT /api/v1/declarations/{id}/": {DOMAIN_RULES: "as POST /declarations/ (existing PCR code and organization name)"},
    "PATCH /api/v1/declarations/{id}/": {DOMAIN_RULES: "as POST /declarations/ (existing PCR code and organization name)"},
    "PUT /api/v1/declarations/{id}/results/": {
        DOMAIN_RULES: "the matrix is validated against EN 15804+A2 (mandatory indicators per declared module, units, "
        "plausibility); a JSON schema of any shape cannot say which cells are required"
    },
    "POST /api/v1/declarations/{id}/results/import/": {
        DOMAIN_RULES: "the file must be one of the recognised formats (XLSX/CSV template, openEPD, ILCD); any binary "
        "is schema-valid"
    },
    "POST /api/v1/declarations/{id}/report/": {DOMAIN_RULES: "the file must be a PDF; any binary is schema-valid"},
    "POST /api/v1/declarations/{id}/submit/": {
        DOMAIN_RULES: "submission refuses an incomplete declaration with every blocking finding: that is its job"
    },
    # ---- operators: references by id and username
    "POST /api/v1/assignments/": {DOMAIN_RULES: "declaration id and verifier username must exist"},
    "POST /api/v1/accreditations/": {DOMAIN_RULES: "the verifier username must exist"},
    "PATCH /api/v1/accreditations/{id}/": {DOMAIN_RULES: "the verifier username must exist"},
    "POST /api/v1/epds/{registration_number}/status/": {
        DOMAIN_RULES: "a reason is required to suspend or revoke, not to reinstate (said in the field's description)"
    },
    # ---- verify takes any file and says whether it is authentic: a verdict, not a 400, for junk
    "POST /api/v1/verify/": {
        "negative_data_rejection": "any upload gets a verdict (authentic: false, with the reasons); only a missing "
        "document is a 400",
        DOMAIN_RULES: "an empty upload counts as no file (DRF's FileField); a binary schema cannot say 'not empty'",
    },
    # ---- the openEPD read API: the filter is a query language
    "GET /api/openepd/v2/epds/search": {
        DOMAIN_RULES: "omf is an Open Material Filter (registry/omf.py); a string schema cannot say which strings parse"
    },
    # ---- the transparency log: bounds that depend on the log's current size
    "GET /api/v1/log/entries": {DOMAIN_RULES: "start and end must lie within the current tree size (RFC 9162 get-entries)"},
    "GET /api/v1/log/proof/consistency": {DOMAIN_RULES: "first <= second <= the current tree size"},
    "GET /api/v1/log/proof/inclusion": {
        DOMAIN_RULES: "exactly one of leaf_index and hash (OpenAPI 3.0 cannot say 'one of two parameters'), and "
        "leaf_index < tree_size <= the current tree size"
    },
}


@pytest.fixture
def identities(db, mill_alice, mill_bob, verifier_vera, operator_olga, make_declaration, in_verification, published):
    """A couple of drafts per mill, one of mill_alice's under review by verifier_vera, one published;
    an API token each."""
    make_declaration(mill_alice, seed=1)
    make_declaration(mill_alice, seed=2, product_name="Wire rod SAE 1008", category="long.wirerod")
    in_verification(product_name="Hot-rolled coil S235JR", category="flat.hrc")
    published(product_name="Reinforcing steel B500C")
    make_declaration(mill_bob, seed=3, product_name="Sections S355")
    make_declaration(mill_bob, seed=4, product_name="Merchant bars")
    # In this order: see the module's docstring (mill_bob last, as he is there for the peer probes).
    return {user.username: ApiToken.issue(user, "schemathesis")[1] for user in (mill_alice, verifier_vera, operator_olga, mill_bob)}


@contextmanager
def served_on_test_connection():
    """A WSGI application that answers on this test's database connection.

    Schemathesis sends its requests from worker threads; Django gives every thread its own connection,
    which would not see the test's (uncommitted) data. Each request is pointed at this thread's connection
    instead, and Django's end-of-request cleanup, which would close it, is held off (as the test client does).
    """
    connection = connections["default"]
    django_app = WSGIHandler()

    def application(environ, start_response):
        connections["default"] = connection
        return django_app(environ, start_response)

    connection.inc_thread_sharing()
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        connection.dec_thread_sharing()


@pytest.fixture(autouse=True)
def _wsgi_transport_sends_what_it_reports(monkeypatch):
    """Two gaps of Schemathesis 4.32.5's in-process (WSGI) transport, closed for this test.

    - A check that sends a probe of its own (ignored_auth, object_level_authorization) passes it options only
      a network session knows (max_redirects, verify…), which werkzeug refuses: they are dropped.
    - A form-urlencoded body goes to werkzeug as a mapping, which silently drops repeated and nested fields,
      while the failure report (and its curl) shows them: the body is encoded as on the network instead, so
      the server gets what the report says it got.
    """
    from requests.models import RequestEncodingMixin
    from schemathesis.transport.wsgi import WSGI_TRANSPORT, WSGITransport

    send = WSGITransport.send

    def send_without_socket_options(self, case, *, session=None, **kwargs):
        if session is None:
            for name in ("max_redirects", "verify", "cert", "proxies"):
                kwargs.pop(name, None)
        return send(self, case, session=session, **kwargs)

    monkeypatch.setattr(WSGITransport, "send", send_without_socket_options)

    form = "application/x-www-form-urlencoded"
    serialize_form = WSGI_TRANSPORT._serializers[form]

    def serialize_form_as_on_the_network(ctx, value):
        if isinstance(value, Mapping):
            return {"data": RequestEncodingMixin._encode_params(value).encode()}
        return serialize_form(ctx, value)

    monkeypatch.setitem(WSGI_TRANSPORT._serializers, form, serialize_form_as_on_the_network)


@pytest.fixture(autouse=True)
def _quiet_request_log():
    """Thousands of 4xx are expected; Django's request log would print each."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


def configuration(wfc_path) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "workers": 1,
            "continue-on-failure": True,
            "cache": {"enabled": False},
            # DRF refuses NUL in every text field (PostgreSQL text cannot hold one); the schema cannot say so.
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none", "allow-x00": False},
            # All checks are on by default but max_response_time, which needs a limit.
            "checks": {"max_response_time": MAX_RESPONSE_SECONDS},
            "auth": {"wfc": {"path": str(wfc_path), "peers": PEERS}},
            "operations": [
                {"include-name": operation, "checks": {check: {"enabled": False} for check in checks}}
                for operation, checks in DISABLED_CHECKS.items()
            ],
        }
    )


def test_the_whole_api_under_schemathesis(identities, tmp_path):
    wfc = tmp_path / "identities.json"
    entries = [{"name": name, "fixedHeaders": [{"name": "Authorization", "value": f"Token {key}"}]} for name, key in identities.items()]
    wfc.write_text(json.dumps({"auth": entries}))

    with served_on_test_connection() as application:
        schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, config=configuration(wfc))
        operations = {operation.ok().label for operation in schema.get_all_operations()}
        gone = set(DISABLED_CHECKS) - operations
        assert not gone, f"DISABLED_CHECKS names operations the API no longer has: {gone}"
        report = Report()
        started = time.monotonic()
        for event in from_schema(schema).execute():
            report.add(event)
        elapsed = time.monotonic() - started

    print(f"\nSchemathesis: {len(operations)} operations, {report.cases} cases in {elapsed:.0f} s (seed {SEED})")
    assert not report.errors, "\n\n".join(report.errors)
    assert not report.failures, report.describe_failures()
    # Everything ran: each operation in the unit phases, and the stateful phase.
    assert report.tested_operations == operations
    assert report.stateful_ran


class Report:
    """What the engine's events say: cases, failures (one example per operation and check), errors."""

    def __init__(self):
        self.cases = 0
        self.failures: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.errors: list[str] = []
        self.tested_operations: set[str] = set()
        self.stateful_ran = False

    def add(self, event) -> None:
        if isinstance(event, events.ScenarioFinished):
            self.cases += len(event.recorder.cases)
            if event.phase.value == "stateful":
                self.stateful_ran = self.stateful_ran or bool(event.recorder.cases)
            else:
                self.tested_operations.add(event.recorder.label)
            self._failures(event.recorder)
        elif isinstance(event, events.NonFatalError):
            self.errors.append(f"{event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            self.errors.append(f"fatal: {event.exception!r}")

    def _failures(self, recorder) -> None:
        for case_id, checks in recorder.checks.items():
            for check in checks:
                if check.failure_info is None:
                    continue
                failure = check.failure_info.failure
                operation = failure.operation or recorder.label
                interaction = recorder.interactions.get(failure.case_id or case_id) or recorder.interactions.get(case_id)
                response = interaction.response if interaction is not None else None
                answer = f"{response.status_code} {response.content[:600]!r}" if response is not None else "(no response)"
                self.failures[(operation, check.name)].append(
                    f"{failure.title}\n{failure.message[:1200]}\n{check.failure_info.code_sample[:1500]}\n-> {answer}"
                )

    def describe_failures(self) -> str:
        lines = [f"{len(self.failures)} operation × check failed:"]
        for (operation, check), examples in sorted(self.failures.items()):
            lines.append(f"\n=== {operation}: {check} ({len(examples)}×)\n{examples[0]}")
        return "\n".join(lines)
