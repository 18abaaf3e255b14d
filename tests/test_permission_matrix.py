"""Who may do what: every API endpoint × every kind of user × whose object, with the status each gets.

Identities (API tokens, real authentication):
    anon    no credentials
    alice   mill_alice, producer A (Huadong), owns every declaration below
    bob     mill_bob, producer B (Nordic Sections)
    vera    verifier_vera, assigned to A's declarations under review (and kept on the one she approved)
    victor  verifier_victor, accredited, of another verification body, assigned to nothing
    olga    operator_olga, the programme operator

Objects:
    draft       A's draft (complete: it could be submitted)
    review      A's declaration in verification, assigned to vera: checklist ticked, warnings acknowledged
    published   A's published EPD (version 1, signed, in the log)
    accred      vera's accreditation
    -           the endpoint names no object
(and B's draft, which only the lists at the end look for).

Principles the table follows:
    - nobody sees another mill's declarations: 404, not 403 (the answer for an id that does not exist);
    - a verifier sees only what is assigned to them: 404 for the rest, the declarations API included
      (verifiers read declarations through /reviews/);
    - writes to declarations are the mill's (403 for verifiers and operators, whatever the id: that says
      nothing about the object), and only while it is a draft (409 afterwards);
    - review decisions are the assigned verifier's: the mill cannot approve its own, nor can the operator (403);
    - a review's checklist and acknowledgements are part of the decision, so they close with it (409 once the
      declaration has left verification);
    - operator-only endpoints (accreditations, assignments, epds/<number>/status/) refuse everybody else
      (401 without credentials, 403 with);
    - the public registry, the PCR catalogue, keys, log and verify are open to anyone, with or without a token.

Every endpoint of the OpenAPI schema must have its rows: a new endpoint without one fails
test_every_api_endpoint_is_in_the_matrix. Each cell is one real request, in a savepoint rolled back after
it, so cells do not see each other's changes.
"""

import csv
import io
import random
from dataclasses import dataclass

import pytest
from asn1crypto import tsp
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient
from rest_framework.views import APIView

from accounts.models import ApiToken, Organization
from declarations import spreadsheet
from declarations.samples import plausible_results
from registry.models import ArtefactName
from tests.conftest import _user

IDENTITIES = ("anon", "alice", "bob", "vera", "victor", "olga")

# method  path                                              object      anon alice bob  vera victor olga
MATRIX = """
# ---- the producer API (declarations/api.py)
GET     /api/v1/declarations/                               -           401  200   200  200  200    200
POST    /api/v1/declarations/                               -           401  201   201  403  403    403
GET     /api/v1/declarations/{id}/                          draft       401  200   404  404  404    200
GET     /api/v1/declarations/{id}/                          review      401  200   404  404  404    200
GET     /api/v1/declarations/{id}/                          published   401  200   404  404  404    200
PUT     /api/v1/declarations/{id}/                          draft       401  200   404  403  403    403
PUT     /api/v1/declarations/{id}/                          review      401  409   404  403  403    403
PUT     /api/v1/declarations/{id}/                          published   401  409   404  403  403    403
PATCH   /api/v1/declarations/{id}/                          draft       401  200   404  403  403    403
PATCH   /api/v1/declarations/{id}/                          review      401  409   404  403  403    403
PATCH   /api/v1/declarations/{id}/                          published   401  409   404  403  403    403
GET     /api/v1/declarations/{id}/audit/                    draft       401  200   404  404  404    200
GET     /api/v1/declarations/{id}/audit/                    review      401  200   404  404  404    200
GET     /api/v1/declarations/{id}/audit/                    published   401  200   404  404  404    200
GET     /api/v1/declarations/{id}/findings/                 draft       401  200   404  404  404    200
GET     /api/v1/declarations/{id}/findings/                 review      401  200   404  404  404    200
GET     /api/v1/declarations/{id}/findings/                 published   401  200   404  404  404    200
GET     /api/v1/declarations/{id}/results/                  draft       401  200   404  404  404    200
GET     /api/v1/declarations/{id}/results/                  review      401  200   404  404  404    200
GET     /api/v1/declarations/{id}/results/                  published   401  200   404  404  404    200
PUT     /api/v1/declarations/{id}/results/                  draft       401  200   404  403  403    403
PUT     /api/v1/declarations/{id}/results/                  review      401  409   404  403  403    403
PUT     /api/v1/declarations/{id}/results/                  published   401  409   404  403  403    403
POST    /api/v1/declarations/{id}/results/import/           draft       401  200   404  403  403    403
POST    /api/v1/declarations/{id}/results/import/           review      401  409   404  403  403    403
POST    /api/v1/declarations/{id}/results/import/           published   401  409   404  403  403    403
GET     /api/v1/declarations/{id}/report/                   draft       401  200   404  404  404    200
GET     /api/v1/declarations/{id}/report/                   review      401  200   404  404  404    200
GET     /api/v1/declarations/{id}/report/                   published   401  200   404  404  404    200
POST    /api/v1/declarations/{id}/report/                   draft       401  200   404  403  403    403
POST    /api/v1/declarations/{id}/report/                   review      401  409   404  403  403    403
POST    /api/v1/declarations/{id}/report/                   published   401  409   404  403  403    403
POST    /api/v1/declarations/{id}/submit/                   draft       401  200   404  403  403    403
POST    /api/v1/declarations/{id}/submit/                   review      401  409   404  403  403    403
POST    /api/v1/declarations/{id}/submit/                   published   401  409   404  403  403    403
POST    /api/v1/declarations/{id}/withdraw/                 draft       401  200   404  403  403    403
POST    /api/v1/declarations/{id}/withdraw/                 review      401  409   404  403  403    403
POST    /api/v1/declarations/{id}/withdraw/                 published   401  409   404  403  403    403
POST    /api/v1/declarations/{id}/new-version/              draft       401  409   404  403  403    403
POST    /api/v1/declarations/{id}/new-version/              review      401  409   404  403  403    403
POST    /api/v1/declarations/{id}/new-version/              published   401  201   404  403  403    403
GET     /api/v1/pcrs/                                       -           200  200   200  200  200    200
GET     /api/v1/pcrs/{code}/                                -           200  200   200  200  200    200
GET     /api/v1/catalogue/                                  -           200  200   200  200  200    200
GET     /api/v1/templates/results.{fmt}                     -           200  200   200  200  200    200

# ---- reviews (verification/api.py): the assigned verifier decides; the mill and the operator follow
GET     /api/v1/reviews/                                    -           401  200   200  200  200    200
GET     /api/v1/reviews/{id}/                               draft       401  200   404  404  404    200
GET     /api/v1/reviews/{id}/                               review      401  200   404  200  404    200
GET     /api/v1/reviews/{id}/                               published   401  200   404  200  404    200
GET     /api/v1/reviews/{id}/revisions/                     draft       401  200   404  404  404    200
GET     /api/v1/reviews/{id}/revisions/                     review      401  200   404  200  404    200
GET     /api/v1/reviews/{id}/revisions/                     published   401  200   404  200  404    200
GET     /api/v1/reviews/{id}/diff/                          draft       401  200   404  404  404    200
GET     /api/v1/reviews/{id}/diff/                          review      401  200   404  200  404    200
GET     /api/v1/reviews/{id}/diff/                          published   401  200   404  200  404    200
POST    /api/v1/reviews/{id}/comments/                      draft       401  201   404  404  404    201
POST    /api/v1/reviews/{id}/comments/                      review      401  201   404  201  404    201
POST    /api/v1/reviews/{id}/comments/                      published   401  201   404  201  404    201
POST    /api/v1/reviews/{id}/acknowledge/                   draft       401  404   404  404  404    404
POST    /api/v1/reviews/{id}/acknowledge/                   review      401  403   404  200  404    403
POST    /api/v1/reviews/{id}/acknowledge/                   published   401  403   404  409  404    403
POST    /api/v1/reviews/{id}/checklist/                     draft       401  403   404  404  404    403
POST    /api/v1/reviews/{id}/checklist/                     review      401  403   404  200  404    403
POST    /api/v1/reviews/{id}/checklist/                     published   401  403   404  409  404    403
POST    /api/v1/reviews/{id}/request-changes/               draft       401  403   404  404  404    403
POST    /api/v1/reviews/{id}/request-changes/               review      401  403   404  200  404    403
POST    /api/v1/reviews/{id}/request-changes/               published   401  403   404  409  404    403
POST    /api/v1/reviews/{id}/approve/                       draft       401  403   404  404  404    403
POST    /api/v1/reviews/{id}/approve/                       review      401  403   404  200  404    403
POST    /api/v1/reviews/{id}/approve/                       published   401  403   404  409  404    403
POST    /api/v1/reviews/{id}/reject/                        draft       401  403   404  404  404    403
POST    /api/v1/reviews/{id}/reject/                        review      401  403   404  200  404    403
POST    /api/v1/reviews/{id}/reject/                        published   401  403   404  409  404    403

# ---- the operator's (verification/api.py, registry/api.py)
GET     /api/v1/assignments/                                -           401  403   403  403  403    200
POST    /api/v1/assignments/                                -           401  403   403  403  403    201
GET     /api/v1/accreditations/                             -           401  403   403  403  403    200
POST    /api/v1/accreditations/                             -           401  403   403  403  403    201
GET     /api/v1/accreditations/{id}/                        accred      401  403   403  403  403    200
PATCH   /api/v1/accreditations/{id}/                        accred      401  403   403  403  403    200
POST    /api/v1/epds/{registration_number}/status/          published   401  403   403  403  403    200

# ---- trust: keys, the transparency log, verify (registry/log_api.py, registry/api.py)
GET     /api/v1/keys/                                       -           200  200   200  200  200    200
GET     /api/v1/keys/root.pem                               -           200  200   200  200  200    200
GET     /api/v1/keys/root.crl                               -           200  200   200  200  200    200
POST    /api/v1/tsa                                         -           200  200   200  200  200    200
GET     /api/v1/timestamps/{digest}.tst                     published   200  200   200  200  200    200
GET     /api/v1/log/tree-head                               -           200  200   200  200  200    200
GET     /api/v1/log/checkpoint                              -           200  200   200  200  200    200
GET     /api/v1/log/checkpoint-key                          -           200  200   200  200  200    200
GET     /api/v1/log/entries                                 -           200  200   200  200  200    200
GET     /api/v1/log/proof/inclusion                         -           200  200   200  200  200    200
GET     /api/v1/log/proof/consistency                       -           200  200   200  200  200    200
POST    /api/v1/verify/                                     -           200  200   200  200  200    200

# ---- the public registry (registry/public.py)
GET     /api/v1/epds/                                       -           200  200   200  200  200    200
GET     /api/v1/epds/facets/                                -           200  200   200  200  200    200
GET     /api/v1/epds/{registration_number}/                 published   200  200   200  200  200    200
GET     /api/v1/epds/{registration_number}/versions/        published   200  200   200  200  200    200
GET     /api/v1/epds/{registration_number}/{name}           published   200  200   200  200  200    200
GET     /api/v1/categories/                                 -           200  200   200  200  200    200
GET     /api/v1/manufacturers/                              -           200  200   200  200  200    200
GET     /api/v1/changes/                                    -           200  200   200  200  200    200
GET     /api/v1/changes.atom                                -           200  200   200  200  200    200
GET     /api/v1/exports/epds.jsonl.gz                       -           200  200   200  200  200    200

# ---- the openEPD read API (registry/openepd_api.py)
GET     /api/openepd/epds/{openxpd_id}                      published   200  200   200  200  200    200
GET     /api/openepd/v2/epds/search                         -           200  200   200  200  200    200
"""


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    object: str
    expected: dict[str, int]

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.path}"


def parse(table: str) -> list[Row]:
    rows = []
    for line in table.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        method, path, obj, *statuses = line.split()
        assert len(statuses) == len(IDENTITIES), line
        rows.append(Row(method, path, obj, dict(zip(IDENTITIES, map(int, statuses), strict=True))))
    return rows


ROWS = parse(MATRIX)


# ---------------------------------------------------------------- every endpoint has its rows


def schema_operations() -> set[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {f"{method.upper()} {path}" for path, operations in schema["paths"].items() for method in operations}


def api_url_patterns(resolver=None, prefix: str = ""):
    """(route, view) of every URL pattern under /api/, walked from the root URLconf."""
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from api_url_patterns(pattern, route)
        elif isinstance(pattern, URLPattern) and route.lstrip("^").startswith("api/"):
            yield route, pattern.callback


def test_every_api_endpoint_is_in_the_matrix():
    in_matrix = {row.endpoint for row in ROWS}
    in_schema = schema_operations()
    assert in_schema - in_matrix == set(), "endpoints without rows in MATRIX: add them"
    assert in_matrix - in_schema == set(), "rows for endpoints the API no longer has"
    # The schema lists DRF views; anything else under /api/ would escape this matrix.
    for route, view in api_url_patterns():
        if route.startswith("api/schema/") or route.startswith("api/docs/"):
            continue
        assert issubclass(getattr(view, "cls", object), APIView), f"{route} is not a DRF view: it has no place in the schema or here"
    # Each object-bound endpoint is tried on each kind of object it takes.
    for endpoint in in_matrix:
        objects = {row.object for row in ROWS if row.endpoint == endpoint}
        if "{id}" in endpoint and endpoint.split()[1].startswith(("/api/v1/declarations/", "/api/v1/reviews/")):
            assert objects == {"draft", "review", "published"}, (endpoint, objects)


# ---------------------------------------------------------------- the world


@dataclass
class World:
    tokens: dict[str, str]
    draft: object
    bobs: object  # mill_bob's draft
    review: object
    published: object  # a Publication
    accreditation: object
    finding: dict[str, int]  # a warning of each object's latest check run


@pytest.fixture
def verifier_victor(db, accredited):
    body = Organization.objects.create(name="Nordic Verification AB", kind="verification_body", country="SE", city="Stockholm")
    victor = _user("verifier_victor", body)
    accredited(victor)
    return victor


@pytest.fixture
def world(db, mill_alice, mill_bob, verifier_vera, verifier_victor, operator_olga, make_declaration, in_verification, published, settings):
    from verification import review
    from verification.models import StoredFinding

    draft = make_declaration(product_name="Wire rod SAE 1008", category="long.wirerod")
    bobs = make_declaration(mill_bob, product_name="Sections S355", category="long.sections")
    # Numbers typical of the blast furnace for a scrap EAF declaration: the automated checks warn.
    reviewing = in_verification(product_name="Hot-rolled coil S235JR", category="flat.hrc", sample_route="bf_bof")
    review.update_checklist(reviewing, verifier=verifier_vera, items=dict.fromkeys(review.CHECKLIST, True))
    warnings = StoredFinding.objects.filter(check_run__revision__declaration=reviewing, severity="warning")
    assert warnings.exists(), "the review needs a warning to acknowledge"
    for warning in warnings:
        review.acknowledge(warning, verifier=verifier_vera, comment="Checked against the plant's energy bills.")
    publication = published(sample_route="bf_bof")
    call_command("export_registry", stdout=io.StringIO(), stderr=io.StringIO())

    def warning_of(declaration) -> int:
        warnings = StoredFinding.objects.filter(check_run__revision__declaration=declaration, severity="warning")
        return warnings.values_list("pk", flat=True)[0]

    users = {"alice": mill_alice, "bob": mill_bob, "vera": verifier_vera, "victor": verifier_victor, "olga": operator_olga}
    return World(
        tokens={name: ApiToken.issue(user, "permission matrix")[1] for name, user in users.items()},
        draft=draft,
        bobs=bobs,
        review=reviewing,
        published=publication,
        accreditation=verifier_vera.accreditations.get(),
        finding={"review": warning_of(reviewing), "published": warning_of(publication.declaration)},
    )


def results_body(seed: int = 9) -> dict:
    sample = plausible_results("scrap_eaf", "long.rebar", rng=random.Random(seed))
    matrix: dict[str, dict[str, str]] = {}
    for cell in sample.cells():
        matrix.setdefault(cell.indicator, {})[cell.module] = str(cell.value)
    return {"declared_modules": sample.declared_modules, "results": matrix}


def results_csv(seed: int = 9) -> bytes:
    """The platform's CSV template, filled in."""
    body = results_body(seed)
    rows = list(csv.reader(io.StringIO(spreadsheet.build_template("csv").decode("utf-8-sig"))))
    header = next(index for index, row in enumerate(rows) if row and row[0] == "Code")
    for row in rows[header + 1 :]:
        for column, module in enumerate(rows[header]):
            if row and row[0] in body["results"] and module in body["results"][row[0]]:
                row[column] = body["results"][row[0]][module]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


DECLARATION = {"product_name": "Reinforcing steel B500B", "category": "long.rebar", "production_route": "scrap_eaf"}


def request_for(row: Row, world: World) -> tuple[str, dict | None, str | None]:
    """The URL, body and format of this row's request: a request that succeeds for whoever may make it."""
    declaration = {"draft": world.draft, "review": world.review, "published": getattr(world.published, "declaration", None)}
    path = row.path
    if "{id}" in path:
        pk = world.accreditation.pk if row.object == "accred" else declaration[row.object].pk
        path = path.replace("{id}", str(pk))
    number = world.published.registration_number
    path = path.replace("{registration_number}", number).replace("{name}", ArtefactName.PDF)
    if "{digest}" in path:
        jws = world.published.artefacts.get(name=ArtefactName.JSON_SIGNATURE)
        path = path.replace("{digest}", jws.sha256)
    path = path.replace("{code}", "en17662").replace("{fmt}", "csv").replace("{openxpd_id}", world.published.entry.openepd_id)
    query = {
        "/api/v1/log/proof/inclusion": "?leaf_index=0",
        "/api/v1/log/proof/consistency": "?first=1",
        "/api/v1/log/entries": "?start=0",
        "/api/openepd/v2/epds/search": '?omf=search("Steel")',
    }.get(row.path, "")
    url = path + query
    tail = row.path.rsplit("}", 1)[-1] if "}" in row.path else row.path
    body: dict | None = None
    fmt: str | None = "json"
    match row.method, tail:
        case "POST", "/api/v1/declarations/":
            body = DECLARATION
        case "PUT", "/":
            body = DECLARATION
        case "PATCH", "/" if row.object == "accred":
            body = {"scope": "EN 15804+A2 steel and aluminium"}
        case "PATCH", "/":
            body = {"recycled_content": "97.5"}
        case "PUT", "/results/":
            body = results_body()
        case "POST", "/results/import/":
            body, fmt = {"file": SimpleUploadedFile("results.csv", results_csv(), content_type="text/csv")}, "multipart"
        case "POST", "/report/":
            body, fmt = {"file": SimpleUploadedFile("report.pdf", world.draft.report.open("rb").read())}, "multipart"
        case "POST", "/submit/" | "/withdraw/":
            body = {"comment": "As agreed."}
        case "POST", "/comments/":
            body = {"text": "Which weighbridge data were used for A2?"}
        case "POST", "/acknowledge/":
            body = {"finding": world.finding.get(row.object, 0), "comment": "Confirmed against the plant's energy bills."}
        case "POST", "/checklist/":
            body = {"items": {"presentation": True}}
        case "POST", "/request-changes/" | "/reject/":
            body = {"comment": "Document the C2 transport distance."}
        case "POST", "/approve/":
            body = {}
        case "POST", "/api/v1/assignments/":
            body = {"declaration": world.review.pk, "verifier": "verifier_victor"}
        case "POST", "/api/v1/accreditations/":
            body = {"verifier": "verifier_victor", "number": "SE-VB-2026-17", "accredited_by": "SWEDAC"}
        case "POST", "/status/":
            body = {"status": "suspended", "reason": "Complaint under review."}
        case "POST", "/api/v1/verify/":
            document = world.published.artefacts.get(name=ArtefactName.PDF).file.open("rb").read()
            body, fmt = {"document": SimpleUploadedFile("epd.pdf", document)}, "multipart"
        case "POST", "/api/v1/tsa":
            imprint = {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": bytes(32)}
            body, fmt = tsp.TimeStampReq({"version": 1, "message_imprint": imprint}).dump(), "timestamp-query"
        case "POST", "/new-version/":
            body = None
        case ("GET", _):
            body, fmt = None, None
        case _:
            raise AssertionError(f"no request written for {row.endpoint}")
    return url, body, fmt


def send(row: Row, identity: str, world: World) -> int:
    client = APIClient()
    if identity != "anon":
        client.credentials(HTTP_AUTHORIZATION=f"Token {world.tokens[identity]}")
    url, body, fmt = request_for(row, world)
    kwargs = {"content_type": "application/timestamp-query"} if fmt == "timestamp-query" else {"format": fmt} if fmt else {}
    return getattr(client, row.method.lower())(url, body, **kwargs).status_code


class Rollback(Exception):
    pass


def test_permission_matrix(world):
    """Every cell of MATRIX, each in a savepoint rolled back afterwards."""
    wrong = []
    for row in ROWS:
        for identity in IDENTITIES:
            try:
                with transaction.atomic():
                    got = send(row, identity, world)
                    raise Rollback
            except Rollback:
                pass
            if got != row.expected[identity]:
                wrong.append(f"{row.method:6} {row.path:50} {row.object:10} {identity:7} expected {row.expected[identity]}, got {got}")
    cells = len(ROWS) * len(IDENTITIES)
    assert not wrong, f"{len(wrong)} of {cells} cells differ:\n" + "\n".join(wrong)


# ---------------------------------------------------------------- what the lists show

# The declarations each identity finds in a list that answers 200 to everybody signed in.
LISTS = {
    # (the reviews queue leaves out drafts never submitted)
    "/api/v1/declarations/": {
        "alice": "draft review published",
        "bob": "bobs",
        "vera": "",
        "victor": "",
        "olga": "draft bobs review published",
    },
    "/api/v1/reviews/": {"alice": "review published", "bob": "", "vera": "review published", "victor": "", "olga": "review published"},
}


@pytest.mark.parametrize("path", LISTS)
def test_lists_show_only_what_each_may_see(world, path):
    ids = {name: getattr(world, name).pk for name in ("draft", "bobs", "review")} | {"published": world.published.declaration_id}
    for identity, visible in LISTS[path].items():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {world.tokens[identity]}")
        response = client.get(path)
        assert response.status_code == 200
        listed = {item["id"] for item in response.json()["results"]}
        assert listed == {ids[name] for name in visible.split()}, identity
