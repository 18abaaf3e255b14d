"""Demo data for `make run`: three mills, a verification body, the operator, and declarations in every state."""

import random
from datetime import date

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test import override_settings

from accounts.models import Organization, User
from declarations import editing, workflow
from declarations.models import PCR, Declaration
from declarations.samples import minimal_pdf, plausible_results
from registry import publishing
from registry.models import Publication
from verification import review
from verification.models import Accreditation, StoredFinding

PASSWORD = "demo-pass-2026"

ORGANIZATIONS = [
    # name, name_zh, kind, country, city, address, website (openEPD names organisations by its domain; .example is reserved)
    ("Huadong Iron & Steel Co.", "华东钢铁股份有限公司", "producer", "CN", "Shanghai", "1 Steel Road, Baoshan District, Shanghai", "https://huadong-steel.example"),
    ("Jiangnan Rebar Mill", "江南钢筋有限公司", "producer", "CN", "Changzhou", "88 Binjiang Road, Changzhou, Jiangsu", "https://jiangnan-rebar.example"),
    ("Iberia Perfiles S.A.", "", "producer", "ES", "Bilbao", "Polígono Industrial 12, 48950 Bilbao", "https://www.iberia-perfiles.example"),
    ("Veritas Certification GmbH", "", "verification_body", "DE", "Berlin", "Friedrichstraße 100, 10117 Berlin", "https://veritas-certification.example"),
    ("SinoCert LCA Services", "中认生命周期评价服务中心", "verification_body", "CN", "Beijing", "Haidian District, Beijing", "https://sinocert-lca.example"),
    ("Steel EPD Programme", "钢铁EPD项目运营方", "operator", "CH", "Geneva", "Rue du Rhône 1, 1204 Geneva", ""),
]

USERS = [
    # username, first, last, organization, extra
    ("mill", "Li", "Wei", "Huadong Iron & Steel Co.", {}),
    ("eafmill", "Zhang", "Min", "Jiangnan Rebar Mill", {}),
    ("sections", "Ana", "Etxeberria", "Iberia Perfiles S.A.", {}),
    ("verifier", "Vera", "Weber", "Veritas Certification GmbH", {}),
    ("verifier2", "Jonas", "Keller", "Veritas Certification GmbH", {}),
    ("sinocert", "Wang", "Fang", "SinoCert LCA Services", {}),
    ("operator", "Olga", "Berg", "Steel EPD Programme", {"is_staff": True, "is_superuser": True}),
]

# product, product_zh, category, route, standards, grades, A1-A3 GWP, plant (name, country, city, plus code), owner, target state
DECLARATIONS = [
    (
        "Hot-rolled coil S355MC",
        "热轧卷板 S355MC",
        "flat.hrc",
        "bf_bof",
        ["EN 10149-2", "GB/T 3274"],
        ["S355MC", "Q355B"],
        2230,
        ("Baoshan works", "CN", "Shanghai", "8Q33CF4Q+QR"),
        "mill",
        "approved",
    ),
    (
        "Cold-rolled coil DC04",
        "冷轧卷板 DC04",
        "flat.crc",
        "bf_bof",
        ["EN 10130"],
        ["DC04"],
        2380,
        ("Baoshan works", "CN", "Shanghai", "8Q33CF4Q+QR"),
        "mill",
        "in_verification",
    ),
    (
        "Hot-dip galvanized coil DX51D+Z275",
        "热镀锌卷 DX51D+Z275",
        "flat.coated.metallic",
        "bf_bof",
        ["EN 10346"],
        ["DX51D+Z"],
        2560,
        ("Baoshan works", "CN", "Shanghai", "8Q33CF4Q+QR"),
        "mill",
        "draft_incomplete",
    ),
    (
        "Heavy plate S355J2+N",
        "中厚板 S355J2+N",
        "flat.plate",
        "bf_bof",
        ["EN 10025-3"],
        ["S355J2+N"],
        2450,
        ("Luojing plate mill", "CN", "Shanghai", "8Q33F87X+7V"),
        "mill",
        "changes_requested",
    ),
    (
        "Reinforcing bar HRB400E",
        "热轧带肋钢筋 HRB400E",
        "long.rebar",
        "scrap_eaf",
        ["GB/T 1499.2", "EN 10080"],
        ["HRB400E", "B500B"],
        620,
        ("Changzhou EAF plant", "CN", "Changzhou", "8P3XRX88+MM"),
        "eafmill",
        "published_twice",
    ),
    (
        "Wire rod SAE1008",
        "线材 SAE1008",
        "long.wirerod",
        "scrap_eaf",
        ["EN 16120"],
        ["SAE1008"],
        690,
        ("Changzhou EAF plant", "CN", "Changzhou", "8P3XRX88+MM"),
        "eafmill",
        "draft",
    ),
    (
        "Hot-rolled sections IPE/HEA S355",
        "",
        "long.sections",
        "scrap_eaf",
        ["EN 10365", "EN 10025-2"],
        ["S355JR", "S275JR"],
        540,
        ("Bilbao sections mill", "ES", "Bilbao", "8CMV737F+3V"),
        "sections",
        "approved",
    ),
    (
        "Hot-rolled sheet piles S430GP",
        "",
        "long.sheetpile",
        "scrap_eaf",
        ["EN 10248"],
        ["S430GP"],
        610,
        ("Bilbao sections mill", "ES", "Bilbao", "8CMV737F+3V"),
        "sections",
        "submitted_unassigned",
    ),
]

# The PCR of each demo category where it is not EN 17662 (IBU for German-style rebar, the International EPD
# System's PCR 2019:14 for the Spanish sections, as Spanish mills use).
DEMO_PCR = {"long.rebar": "ibu-reinforcing-steel", "long.sections": "ies-2019-14", "long.sheetpile": "ies-2019-14"}


class Command(BaseCommand):
    help = "Load demo organizations, users and declarations (skipped when already loaded)."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true")

    @override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")  # no demo mail on the console
    def handle(self, *args, quiet=False, **options):
        if Organization.objects.filter(name="Steel EPD Programme").exists():
            # Demo data loaded before ilcd.zip existed gets its ILCD ZIPs (a no-op otherwise).
            for pk in publishing.publications_without_ilcd_archive():
                publishing.add_ilcd_archive(Publication.objects.get(pk=pk))
            if not quiet:
                self.stdout.write("Demo data is already loaded.")
            self._print_logins()
            return
        with transaction.atomic():
            organizations = {
                name: Organization.objects.create(
                    name=name, name_zh=zh, kind=kind, country=country, city=city, address=address, website=website
                )
                for name, zh, kind, country, city, address, website in ORGANIZATIONS
            }
            users = {}
            for username, first, last, org, extra in USERS:
                users[username] = User.objects.create_user(
                    username,
                    email=f"{username}@demo.steel-epd.example",
                    password=PASSWORD,
                    first_name=first,
                    last_name=last,
                    organization=organizations[org],
                    **extra,
                )
            for username, number in (("verifier", "D-ZE-12345-01-00"), ("verifier2", "D-ZE-12345-02-00"), ("sinocert", "CNAS C1234-V")):
                Accreditation.objects.create(
                    verifier=users[username],
                    body=users[username].organization,
                    number=number,
                    accredited_by="CNAS" if username == "sinocert" else "DAkkS",
                    valid_from=date(2025, 1, 1),
                    valid_until=date(2029, 12, 31),
                )
        for index, row in enumerate(DECLARATIONS):
            self._declaration(index, *row, users=users, practitioner=organizations["SinoCert LCA Services"])
        if not quiet:
            counts = ", ".join(f"{status}: {n}" for status, n in sorted(_counts().items()))
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded ({counts})."))
        self._print_logins()

    def _print_logins(self):
        self.stdout.write(
            f"Demo logins (password {PASSWORD}): mill, eafmill, sections (mills); verifier, verifier2 "
            "(Veritas); operator (programme operator, also /admin/)."
        )

    def _declaration(self, index, name, name_zh, category, route, standards, grades, gwp, plant, owner, target, *, users, practitioner):
        rng = random.Random(index)
        user = users[owner]
        sample = plausible_results(route, category, rng=rng, gwp_a1a3=gwp, with_a4=index % 2 == 0)
        fields = {
            "product_name": name,
            "product_name_zh": name_zh,
            "category": category,
            "production_route": route,
            "standards": standards,
            "grades": grades,
            "recycled_content": sample.recycled_content,
            "description": f"{name} for construction, produced by the {route.replace('_', '-').upper()} route.",
            "declared_unit": "1 t",
            "pcr": PCR.objects.get(code=DEMO_PCR.get(category, "en17662")),
            "lca_software": "LCA for Experts 10.7",
            "background_database": "Sphera MLC 2024.1",
            "reference_year": 2025,
            # Both EF versions occur in real steel EPDs; every third demo EPD was characterised with EF 3.0.
            "characterisation_method": "EF 3.0" if index % 3 == 0 else "EF 3.1",
            "data_period_start": date(2025, 1, 1),
            "data_period_end": date(2025, 12, 31),
            "lca_practitioner": practitioner.name,
            "lca_practitioner_organization": practitioner,
            "allocation": "Co-products by system expansion (EN 15804+A2, worldsteel methodology).",
            "cut_off": "1 % of mass and energy per unit process, 5 % per module.",
            "data_quality": "Plant data for 2025; background data Sphera MLC 2024.1.",
            "scenarios": {
                "A4": {"description": "Truck, 300 km to site", "distance_km": 300},
                "C1": "Demolition with hydraulic shears",
                "C2": {"description": "Truck, 100 km to the scrap yard", "distance_km": 100},
                "C3": "Sorting and shredding for recycling",
                "C4": "Landfill of the unrecovered share",
                "D": "Net scrap credited with the worldsteel value of scrap",
            },
        }
        declaration = editing.create_declaration(
            user.organization, actor=user, plants=[dict(zip(("name", "country", "city", "olc"), plant, strict=True))], **fields
        )
        if target == "draft_incomplete":
            return declaration
        editing.replace_results(declaration, sample.cells(), sample.declared_modules, actor=user)
        editing.attach_report(declaration, actor=user, name=f"LCA report {name}.pdf", content=minimal_pdf(f"LCA project report - {name}"))
        if target == "draft":
            return declaration
        declaration, _ = workflow.submit(declaration, actor=user, comment="First submission.")
        declaration = _wait_for_checks(declaration)
        if target == "submitted_unassigned" or declaration.status != "in_verification":
            return declaration
        verifier, operator = users["verifier"], users["operator"]
        review.assign(declaration, verifier, by=operator)
        if target == "in_verification":
            return declaration
        review.add_comment(
            declaration,
            author=verifier,
            indicator="MFR",
            module="C3",
            text="Please state the collection rate behind MFR in C3 and its source.",
        )
        if target == "changes_requested":
            review.request_changes(declaration, verifier=verifier, comment="Document the end-of-life scenario (C3).")
            return declaration
        review.update_checklist(declaration, verifier=verifier, items=dict.fromkeys(review.CHECKLIST, True))
        run = review.latest_check_run(declaration)
        for finding in run.findings.filter(severity=StoredFinding.Severity.WARNING):
            review.acknowledge(finding, verifier=verifier, comment="Checked against the plant's energy bills.")
        declaration = review.approve(declaration, verifier=verifier)
        # Publishing ran at commit in-process (embedded default) or is queued for a worker; either way, once.
        publishing.publish(declaration.pk)
        if target == "published_twice":
            declaration = self._second_version(declaration, user, verifier, operator)
        return declaration

    def _second_version(self, published, user, verifier, operator):
        """Version 2 with a corrected scrap input: version 1 becomes superseded, linking to it."""
        published.refresh_from_db()
        draft = editing.start_new_version(published, actor=user)
        draft = editing.update_declaration(
            draft, actor=user, description=draft.description + " Version 2: scrap input corrected after the 2025 energy audit."
        )
        draft, _ = workflow.submit(draft, actor=user, comment="Corrected scrap input (version 2).")
        draft = _wait_for_checks(draft)
        review.assign(draft, verifier, by=operator)
        review.update_checklist(draft, verifier=verifier, items=dict.fromkeys(review.CHECKLIST, True))
        for finding in review.latest_check_run(draft).findings.filter(severity=StoredFinding.Severity.WARNING):
            review.acknowledge(finding, verifier=verifier, comment="Checked against the plant's energy bills.")
        draft = review.approve(draft, verifier=verifier)
        publishing.publish(draft.pk)
        return draft


def _wait_for_checks(declaration: Declaration) -> Declaration:
    # With the embedded default the checks ran in-process at commit; with a worker they may take a moment.
    import time

    for _ in range(100):
        declaration.refresh_from_db()
        if declaration.status != "submitted":
            break
        time.sleep(0.1)
    return declaration


def _counts() -> dict[str, int]:
    from django.db.models import Count

    return dict(Declaration.objects.values_list("status").annotate(n=Count("pk")))
