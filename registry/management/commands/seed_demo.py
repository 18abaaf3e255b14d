"""Demo data for `make run`: five mills on every production route, two verification bodies, the operator,
and declarations in every state the tour shows — several valid EPDs per shown category (so each EPD page
places itself in its category), a declaration waiting for review whose checks warn, a superseded version 1
and a revoked EPD. Loading is idempotent: what exists (by mill and product name) is kept, what is missing
is added, and the bulk export is written so that it can be downloaded at once."""

import random
import time
from dataclasses import dataclass
from datetime import date

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count
from django.test import override_settings
from tqdm import tqdm

from accounts.models import Organization, User
from declarations import editing, workflow
from declarations.models import PCR, Declaration
from declarations.samples import minimal_pdf, plausible_results
from registry import lifecycle, publishing
from registry.exports_bulk import write_export
from registry.models import Publication, RegistryEntry
from registry.public import EXPORT_PATH
from verification import review
from verification.models import Accreditation, StoredFinding

PASSWORD = "demo-pass-2026"

ORGANIZATIONS = [
    # name, name_zh, kind, country, city, address, website (openEPD names organisations by its domain; .example is reserved)
    ("Huadong Iron & Steel Co.", "华东钢铁股份有限公司", "producer", "CN", "Shanghai", "1 Steel Road, Baoshan District, Shanghai", "https://huadong-steel.example"),
    ("Jiangnan Rebar Mill", "江南钢筋有限公司", "producer", "CN", "Changzhou", "88 Binjiang Road, Changzhou, Jiangsu", "https://jiangnan-rebar.example"),
    ("Iberia Perfiles S.A.", "伊比利亚型钢股份公司", "producer", "ES", "Bilbao", "Polígono Industrial 12, 48950 Bilbao", "https://www.iberia-perfiles.example"),
    ("Sohar Direct Reduced Steel LLC", "苏哈尔直接还原钢铁有限公司", "producer", "OM", "Sohar", "Sohar Industrial Port, Sohar", "https://sohar-dri-steel.example"),
    ("Rhein-Ruhr Stahl GmbH", "莱茵-鲁尔钢铁有限公司", "producer", "DE", "Duisburg", "Hüttenstraße 5, 47166 Duisburg", "https://rhein-ruhr-stahl.example"),
    ("Veritas Certification GmbH", "维瑞塔斯认证有限公司", "verification_body", "DE", "Berlin", "Friedrichstraße 100, 10117 Berlin", "https://veritas-certification.example"),
    ("SinoCert LCA Services", "中认生命周期评价服务中心", "verification_body", "CN", "Beijing", "Haidian District, Beijing", "https://sinocert-lca.example"),
    ("Steel EPD Programme", "钢铁EPD项目运营方", "operator", "CH", "Geneva", "Rue du Rhône 1, 1204 Geneva", ""),
]

USERS = [
    # username, first, last, organization, extra
    ("mill", "Li", "Wei", "Huadong Iron & Steel Co.", {}),
    ("eafmill", "Zhang", "Min", "Jiangnan Rebar Mill", {}),
    ("sections", "Ana", "Etxeberria", "Iberia Perfiles S.A.", {}),
    ("drimill", "Salim", "Al-Harthy", "Sohar Direct Reduced Steel LLC", {}),
    ("mixedmill", "Jan", "Schröder", "Rhein-Ruhr Stahl GmbH", {}),
    ("verifier", "Vera", "Weber", "Veritas Certification GmbH", {}),
    ("verifier2", "Jonas", "Keller", "Veritas Certification GmbH", {}),
    ("sinocert", "Wang", "Fang", "SinoCert LCA Services", {}),
    ("operator", "Olga", "Berg", "Steel EPD Programme", {"is_staff": True, "is_superuser": True}),
]

PLANTS = {
    # name, country, city, plus code
    "baoshan": ("Baoshan works", "CN", "Shanghai", "8Q33CF4Q+QR"),
    "luojing": ("Luojing plate mill", "CN", "Shanghai", "8Q33F87X+7V"),
    "changzhou": ("Changzhou EAF plant", "CN", "Changzhou", "8P3XRX88+MM"),
    "bilbao": ("Bilbao sections mill", "ES", "Bilbao", "8CMV737F+3V"),
    "sohar": ("Sohar DRI-EAF plant", "OM", "Sohar", "7HPR9PCM+F6"),
    "duisburg": ("Duisburg works", "DE", "Duisburg", "9F38FPGQ+26"),
}


@dataclass(frozen=True)
class Demo:
    """One demo declaration and the state the loader takes it to (`target`).

    GWP A1-A3 (kg CO2 eq./t) sits in the route's band of reference/steel.md §4 unless a warning is the point."""

    name: str
    name_zh: str
    category: str
    route: str
    standards: list[str]
    grades: list[str]
    gwp: float
    plant: str
    owner: str
    target: str
    recycled_content: str | None = None  # overrides the sample's (route-typical) recycled content
    revoked_because: str = ""


# Targets: draft_incomplete (no results), draft, submitted (checks ran, no verifier yet), in_verification
# (assigned to `verifier`), changes_requested, published, published_twice (v2 supersedes v1), revoked.
# Order matters: the registration numbers follow it, and P16 compares the cold-rolled coil with the
# hot-rolled coil of the same mill published before it.
DECLARATIONS = [
    Demo(
        "Hot-rolled coil S355MC", "热轧卷板 S355MC", "flat.hrc", "bf_bof",
        ["EN 10149-2", "GB/T 3274"], ["S355MC", "Q355B"], 2230, "baoshan", "mill", "published"
    ),
    # Waiting for review with two warnings the verifier must acknowledge: P16 (cold-rolled below the mill's own
    # hot-rolled coil) and P11 (recycled content above the BF-BOF band).
    Demo(
        "Cold-rolled coil DC04", "冷轧卷板 DC04", "flat.crc", "bf_bof",
        ["EN 10130"], ["DC04"], 2160, "baoshan", "mill", "in_verification", recycled_content="43.5"
    ),
    Demo(
        "Hot-dip galvanized coil DX51D+Z275", "热镀锌卷 DX51D+Z275", "flat.coated.metallic", "bf_bof",
        ["EN 10346"], ["DX51D+Z"], 2560, "baoshan", "mill", "draft_incomplete"
    ),
    Demo(
        "Heavy plate S355J2+N", "中厚板 S355J2+N", "flat.plate", "bf_bof",
        ["EN 10025-3"], ["S355J2+N"], 2450, "luojing", "mill", "changes_requested"
    ),
    Demo(
        "Reinforcing bar HRB400E", "热轧带肋钢筋 HRB400E", "long.rebar", "scrap_eaf",
        ["GB/T 1499.2", "EN 10080"], ["HRB400E", "B500B"], 620, "changzhou", "eafmill", "published_twice",
    ),
    Demo("Wire rod SAE1008", "线材 SAE1008", "long.wirerod", "scrap_eaf", ["EN 16120"], ["SAE1008"], 690, "changzhou", "eafmill", "draft"),
    Demo(
        "Hot-rolled sections IPE/HEA S355", "热轧型钢 IPE/HEA S355", "long.sections", "scrap_eaf",
        ["EN 10365", "EN 10025-2"], ["S355JR", "S275JR"], 540, "bilbao", "sections", "published"
    ),
    Demo(
        "Hot-rolled sheet piles S430GP", "热轧钢板桩 S430GP", "long.sheetpile", "scrap_eaf",
        ["EN 10248"], ["S430GP"], 610, "bilbao", "sections", "submitted"
    ),
    Demo(
        "Reinforcing bar B500SD", "钢筋 B500SD", "long.rebar", "scrap_eaf",
        ["EN 10080", "UNE 36065"], ["B500SD"], 480, "bilbao", "sections", "published"
    ),
    Demo(
        "Reinforcing bar B500B (DRI-EAF)", "钢筋 B500B（直接还原-电炉）", "long.rebar", "dri_eaf",
        ["EN 10080", "BS 4449"], ["B500B"], 1580, "sohar", "drimill", "published"
    ),
    Demo(
        "Hot-rolled coil S275JR (DRI-EAF)", "热轧卷板 S275JR（直接还原-电炉）", "flat.hrc", "dri_eaf",
        ["EN 10025-2", "EN 10051"], ["S275JR"], 1490, "sohar", "drimill", "published"
    ),
    Demo(
        "Hot-rolled coil S235JR", "热轧卷板 S235JR", "flat.hrc", "mixed",
        ["EN 10025-2", "EN 10051"], ["S235JR", "S355JR"], 1720, "duisburg", "mixedmill", "published"
    ),
    Demo(
        "Structural sections HEB S355J2", "结构型钢 HEB S355J2", "long.sections", "mixed",
        ["EN 10365", "EN 10025-2"], ["S355J2"], 1130, "duisburg", "mixedmill", "published"
    ),
    Demo(
        "Hot-rolled H-beams Q355B", "热轧H型钢 Q355B", "long.sections", "bf_bof",
        ["GB/T 11263", "EN 10365"], ["Q355B"], 2150, "baoshan", "mill", "published"
    ),
    Demo(
        "Reinforcing bar HRB500E", "热轧带肋钢筋 HRB500E", "long.rebar", "scrap_eaf",
        ["GB/T 1499.2"], ["HRB500E"], 590, "changzhou", "eafmill", "revoked",
        revoked_because="The declared scrap input is not supported by the plant's purchase records.",
    ),
]

# The PCR of each demo category where it is not EN 17662 (IBU for German-style rebar, the International EPD
# System's PCR 2019:14 for the Spanish sections, as Spanish mills use).
DEMO_PCR = {"long.rebar": "ibu-reinforcing-steel", "long.sections": "ies-2019-14", "long.sheetpile": "ies-2019-14"}
ACKNOWLEDGED = "Checked against the plant's energy bills."


class Command(BaseCommand):
    help = "Load the demo mills, users and declarations; what is already loaded is kept, what is missing is added."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true")

    @override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")  # no demo mail on the console
    def handle(self, *args, quiet=False, **options):
        started = time.monotonic()
        organizations, users = _organizations_and_users()
        # Demo data loaded before ilcd.zip existed gets its ILCD ZIPs (a no-op otherwise).
        for pk in publishing.publications_without_ilcd_archive():
            publishing.add_ilcd_archive(Publication.objects.get(pk=pk))
        missing = [demo for demo in DECLARATIONS if not _loaded(demo, organizations)]
        practitioner = organizations["SinoCert LCA Services"]
        with tqdm(total=len(missing), unit="declarations", desc="Demo data", disable=True if quiet else None) as bar:
            for demo in missing:
                bar.set_postfix_str(demo.name[:32])
                _load(DECLARATIONS.index(demo), demo, users=users, practitioner=practitioner)
                bar.update()
        # The bulk export exists from the start (the nightly task rewrites it), so its documented download works.
        if missing or not default_storage.exists(EXPORT_PATH):
            write_export()
        if not quiet:
            if missing:
                counts = ", ".join(f"{status}: {n}" for status, n in sorted(_counts().items()))
                self.stdout.write(self.style.SUCCESS(f"Demo data loaded in {time.monotonic() - started:.0f} s ({counts})."))
            else:
                self.stdout.write("Demo data is already loaded.")
        self.stdout.write(
            f"Demo logins (password {PASSWORD}): mill, eafmill, sections, drimill, mixedmill (mills); "
            "verifier, verifier2 (Veritas); operator (programme operator, also /admin/)."
        )


def _organizations_and_users() -> tuple[dict[str, Organization], dict[str, User]]:
    with transaction.atomic():
        organizations = {}
        for name, zh, kind, country, city, address, website in ORGANIZATIONS:
            organizations[name], _ = Organization.objects.get_or_create(
                name=name, defaults={"name_zh": zh, "kind": kind, "country": country, "city": city, "address": address, "website": website}
            )
        users = {}
        for username, first, last, org, extra in USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create_user(
                    username,
                    email=f"{username}@demo.steel-epd.example",
                    password=PASSWORD,
                    first_name=first,
                    last_name=last,
                    organization=organizations[org],
                    **extra,
                )
            users[username] = user
        for username, number in (("verifier", "D-ZE-12345-01-00"), ("verifier2", "D-ZE-12345-02-00"), ("sinocert", "CNAS C1234-V")):
            Accreditation.objects.get_or_create(
                verifier=users[username],
                number=number,
                defaults={
                    "body": users[username].organization,
                    "accredited_by": "CNAS" if username == "sinocert" else "DAkkS",
                    "valid_from": date(2025, 1, 1),
                    "valid_until": date(2029, 12, 31),
                },
            )
    return organizations, users


def _loaded(demo: Demo, organizations: dict[str, Organization]) -> bool:
    owner = next(org for username, _, _, org, _ in USERS if username == demo.owner)
    return Declaration.objects.filter(epd__organization=organizations[owner], product_name=demo.name).exists()


def _load(index: int, demo: Demo, *, users: dict[str, User], practitioner: Organization) -> Declaration:
    rng = random.Random(index)
    user, verifier, operator = users[demo.owner], users["verifier"], users["operator"]
    sample = plausible_results(demo.route, demo.category, rng=rng, gwp_a1a3=demo.gwp, with_a4=index % 2 == 0)
    route_label = {"bf_bof": "BF-BOF", "scrap_eaf": "scrap EAF", "dri_eaf": "DRI-EAF", "mixed": "mixed BF-BOF and EAF"}[demo.route]
    fields = {
        "product_name": demo.name,
        "product_name_zh": demo.name_zh,
        "category": demo.category,
        "production_route": demo.route,
        "standards": demo.standards,
        "grades": demo.grades,
        "recycled_content": demo.recycled_content or sample.recycled_content,
        "description": f"{demo.name} for construction, produced by the {route_label} route.",
        "declared_unit": "1 t",
        "pcr": PCR.objects.get(code=DEMO_PCR.get(demo.category, "en17662")),
        "lca_software": "LCA for Experts 10.7",
        "background_database": "Sphera MLC 2024.1",
        "reference_year": 2025,
        # Both EF versions occur in real steel EPDs; every third demo EPD was characterised with EF 3.0.
        "characterisation_method": "EF 3.0" if index % 3 == 0 else "EF 3.1",
        "data_period_start": date(2025, 1, 1),
        "data_period_end": date(2025, 12, 31),
        # EN 15804 clause 7 (what submission requires): practitioner, allocation, cut-off, data quality.
        "lca_practitioner": practitioner.name,
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
    plant = dict(zip(("name", "country", "city", "olc"), PLANTS[demo.plant], strict=True))
    declaration = editing.create_declaration(user.organization, actor=user, plants=[plant], **fields)
    # SinoCert's consulting arm made these LCAs, so its verifiers are conflicted. A mill may not name a
    # verification body as practitioner (editing.practitioner_choices); the operator does, as in the admin.
    Declaration.objects.filter(pk=declaration.pk).update(lca_practitioner_organization=practitioner)
    declaration.refresh_from_db()
    if demo.target == "draft_incomplete":
        return declaration
    editing.replace_results(declaration, sample.cells(), sample.declared_modules, actor=user)
    report = minimal_pdf(f"LCA project report - {demo.name}")
    editing.attach_report(declaration, actor=user, name=f"LCA report {demo.name}.pdf", content=report)
    if demo.target == "draft":
        return declaration
    declaration, _ = workflow.submit(declaration, actor=user, comment="First submission.")
    declaration = _wait_for_checks(declaration)
    if demo.target == "submitted" or declaration.status != "in_verification":
        return declaration
    review.assign(declaration, verifier, by=operator)
    if demo.target == "in_verification":
        return declaration
    review.add_comment(
        declaration, author=verifier, indicator="MFR", module="C3", text="Please state the collection rate behind MFR in C3 and its source."
    )
    if demo.target == "changes_requested":
        review.request_changes(declaration, verifier=verifier, comment="Document the end-of-life scenario (C3).")
        return declaration
    declaration = _approve_and_publish(declaration, verifier)
    if demo.target == "published_twice":
        declaration = _second_version(declaration, user, verifier, operator)
    elif demo.target == "revoked":
        entry = RegistryEntry.objects.get(publication__declaration=declaration)
        lifecycle.revoke(entry, actor=operator, reason=demo.revoked_because)
    return declaration


def _approve_and_publish(declaration: Declaration, verifier: User) -> Declaration:
    review.update_checklist(declaration, verifier=verifier, items=dict.fromkeys(review.CHECKLIST, True))
    for finding in review.latest_check_run(declaration).findings.filter(severity=StoredFinding.Severity.WARNING):
        review.acknowledge(finding, verifier=verifier, comment=ACKNOWLEDGED)
    declaration = review.approve(declaration, verifier=verifier)
    # Publishing ran at commit in-process (embedded default) or is queued for a worker; either way, once.
    publishing.publish(declaration.pk)
    return declaration


def _second_version(published: Declaration, user: User, verifier: User, operator: User) -> Declaration:
    """Version 2 with a corrected scrap input: version 1 becomes superseded, linking to it."""
    published.refresh_from_db()
    draft = editing.start_new_version(published, actor=user)
    draft = editing.update_declaration(
        draft, actor=user, description=draft.description + " Version 2: scrap input corrected after the 2025 energy audit."
    )
    draft, _ = workflow.submit(draft, actor=user, comment="Corrected scrap input (version 2).")
    draft = _wait_for_checks(draft)
    review.assign(draft, verifier, by=operator)
    return _approve_and_publish(draft, verifier)


def _wait_for_checks(declaration: Declaration) -> Declaration:
    # With the embedded default the checks ran in-process at commit; with a worker they may take a moment.
    for _ in range(600):
        declaration.refresh_from_db()
        if declaration.status != "submitted":
            break
        time.sleep(0.1)
    return declaration


def _counts() -> dict[str, int]:
    return dict(Declaration.objects.values_list("status").annotate(n=Count("pk")))
