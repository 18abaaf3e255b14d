"""Synthetic but plausible published EPDs in bulk, for load tests and demos at scale.

    manage.py generate_registry --count 100000 [--seed 1] [--batch 5000]

Manufacturers (one per ~25 EPDs, so several thousand at 100,000), EPDs, published declarations, their
publications (a full document from declarations.samples, i.e. values from the reference ranges by route and
category) and registry entries, written with bulk inserts in batches behind a progress bar.
Each carries its openEPD document (built, not validated, as compact JSON: tests read that build strictly).
What they do not have: signed artefacts (no PDF is rendered) and transparency-log entries, so the change
feed and verify know nothing of them; search, detail, versions, categories and manufacturers do.
"""

import json
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from accounts.models import Organization, User
from declarations import catalogue
from declarations.models import EPD, Declaration
from declarations.samples import sample_document
from registry import exports, search
from registry.documents import REGISTRATION_PREFIX
from registry.models import Publication, RegistryEntry, RegistryStatus

COUNTRIES = (
    ["CN"] * 8 + ["IN"] * 3 + ["JP", "KR", "DE", "IT", "ES", "FR", "TR", "US", "BR", "VN", "SE", "PL", "GB", "NL", "BE", "AT", "FI", "MX"]
)
NAME_PARTS = (
    ["Northern", "Eastern", "Pacific", "Atlantic", "Golden", "Iron", "River", "Harbour", "Summit", "Union", "Delta", "Coastal",
     "Central", "Highland", "Valley", "Bay", "Lake", "Star", "Phoenix", "Dragon", "Falcon", "Granite", "Cedar", "Silver"],
    ["Steel", "Metals", "Iron & Steel", "Steelworks", "Rolling Mills", "Special Steel", "Long Products", "Flat Products"],
    ["Co.", "Ltd.", "Group", "S.A.", "GmbH", "Corp.", "AG", "S.p.A."],
)  # fmt: skip
ZH_PARTS = (
    ["华北", "华东", "华南", "长江", "黄河", "珠江", "金星", "新华", "中原", "东海"],
    ["钢铁", "特钢", "金属", "钢业"],
    ["有限公司", "集团", "股份有限公司"],
)
# category → (product name, Chinese name, grades, standards): what buyers search by (bench/bench_registry.py's mix).
PRODUCTS = {
    "long.rebar": [
        ("Reinforcing bar B500B", "钢筋 B500B", ["B500B"], ["EN 10080"]),
        ("Rebar HRB400E", "热轧带肋钢筋 HRB400E", ["HRB400E"], ["GB/T 1499.2"]),
        ("Reinforcing bar B500C", "螺纹钢 B500C", ["B500C"], ["EN 10080", "BS 4449"]),
    ],
    "long.wirerod": [
        ("Wire rod SAE1008", "线材 SAE1008", ["SAE1008"], ["EN 16120"]),
        ("Wire rod for drawing", "拉丝用盘条", ["C9D"], ["EN ISO 16120-2"]),
    ],
    "long.sections": [
        ("Hot-rolled sections IPE/HEA S355", "热轧H型钢 S355", ["S355JR"], ["EN 10025-2", "EN 10365"]),
        ("Wide-flange beams S355J2", "宽翼缘工字钢 S355J2", ["S355J2"], ["EN 10025-2"]),
    ],
    "long.merchant": [
        ("Merchant bars S275JR", "棒材 S275JR", ["S275JR"], ["EN 10025-2"]),
        ("Engineering bars C45", "圆钢 C45", ["C45"], ["EN ISO 683-1"]),
    ],
    "flat.hrc": [
        ("Hot-rolled coil S355MC", "热轧卷板 S355MC", ["S355MC"], ["EN 10149-2"]),
        ("Hot-rolled coil S235JR", "热轧卷 S235JR", ["S235JR", "Q235B"], ["EN 10025-2", "GB/T 700"]),
    ],
    "flat.crc": [
        ("Cold-rolled coil DC04", "冷轧卷板 DC04", ["DC04"], ["EN 10130"]),
        ("Cold-rolled sheet DC01", "冷轧板 DC01", ["DC01"], ["EN 10130"]),
    ],
    "flat.plate": [
        ("Heavy plate S355J2+N", "中厚板 S355J2+N", ["S355J2+N"], ["EN 10025-3"]),
        ("Quarto plate S460M", "中厚板 S460M", ["S460M"], ["EN 10025-4"]),
    ],
    "flat.coated.metallic": [
        ("Hot-dip galvanized coil DX51D+Z275", "热镀锌卷 DX51D+Z275", ["DX51D+Z"], ["EN 10346"]),
        ("ZM coated coil", "锌铝镁镀层卷", ["DX51D+ZM"], ["EN 10346"]),
    ],
    "tube.shs.hot": [("Hot-finished hollow sections S355J2H", "热成型方管 S355J2H", ["S355J2H"], ["EN 10210"])],
    "stainless.flat": [("Stainless cold-rolled sheet 1.4301", "不锈钢冷轧板 304", ["1.4301"], ["EN 10088-2"])],
}
# Share of each category in the generated registry (rebar and flat products dominate, as in real registries).
CATEGORY_WEIGHTS = {code: 1 for code in catalogue.CATEGORY_BY_CODE} | {
    "long.rebar": 14, "flat.hrc": 8, "long.sections": 6, "flat.crc": 5, "flat.plate": 5, "flat.coated.metallic": 5, "long.wirerod": 4,
}  # fmt: skip
ROUTE_BY_CATEGORY_GROUP = {"long": (["scrap_eaf", "bf_bof", "dri_eaf"], [6, 3, 1]), "flat": (["bf_bof", "scrap_eaf", "dri_eaf"], [7, 2, 1])}


def insert(model, rows: list) -> list:
    """bulk_create, by COPY on PostgreSQL: Django's bulk insert sends the rows as arrays that psycopg quotes
    character by character on the client, which took most of the time with the documents' JSON."""
    if connection.vendor != "postgresql" or not rows:
        return model.objects.bulk_create(rows)
    table, fields = model._meta.db_table, [f for f in model._meta.concrete_fields if not f.primary_key]
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(rows)])
        for row, (pk,) in zip(rows, cursor.fetchall(), strict=True):
            row.pk = pk
        columns = ", ".join(["id", *(connection.ops.quote_name(f.column) for f in fields)])
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row.pk, *(f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields)])
    return rows


class Command(BaseCommand):
    help = "Generate synthetic published EPDs (bulk inserts, progress bar)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--batch", type=int, default=5000)
        parser.add_argument("--per-manufacturer", type=int, default=25)

    def handle(self, *args, count, seed, batch, per_manufacturer, **options):
        if count < 1 or batch < 1:
            raise CommandError("--count and --batch must be positive")
        rng = random.Random(seed)
        author = self._author()
        makers = self._manufacturers(rng, max(1, count // per_manufacturer))
        categories = list(CATEGORY_WEIGHTS)
        weights = [CATEGORY_WEIGHTS[c] for c in categories]
        today = timezone.localdate()
        with tqdm(total=count, unit="EPDs", disable=None) as bar:
            done = 0
            while done < count:
                size = min(batch, count - done)
                with transaction.atomic():
                    self._batch(rng, size, makers, categories, weights, author, today)
                done += size
                bar.update(size)
        with connection.cursor() as cursor:  # fresh statistics, so the first searches get the right plans
            cursor.execute("ANALYZE")
        self.stdout.write(self.style.SUCCESS(f"{count} EPDs from {len(makers)} manufacturers generated."))

    def _author(self) -> User:
        operator, _ = Organization.objects.get_or_create(
            name="Synthetic registry generator", defaults={"kind": Organization.Kind.OPERATOR, "country": "CH"}
        )
        user, _ = User.objects.get_or_create(username="registry-generator", defaults={"organization": operator, "is_active": False})
        return user

    def _manufacturers(self, rng: random.Random, count: int) -> list[Organization]:
        makers = []
        offset = Organization.objects.count()  # names are unique: a second run adds new manufacturers
        for i in range(offset, offset + count):
            country = rng.choice(COUNTRIES)
            name = f"{rng.choice(NAME_PARTS[0])} {rng.choice(NAME_PARTS[1])} {rng.choice(NAME_PARTS[2])} #{i + 1}"
            zh = "".join(rng.choice(part) for part in ZH_PARTS) if country == "CN" else ""
            makers.append(Organization(name=name, name_zh=zh, kind=Organization.Kind.PRODUCER, country=country, city=""))
        return Organization.objects.bulk_create(makers, batch_size=2000)

    def _batch(self, rng, size, makers, categories, weights, author, today):
        rows = []
        for _ in range(size):
            category = rng.choices(categories, weights)[0]
            group = category.split(".")[0]
            routes, route_weights = ROUTE_BY_CATEGORY_GROUP.get(group, (["bf_bof", "scrap_eaf"], [1, 1]))
            route = "scrap_eaf" if catalogue.CATEGORY_BY_CODE[category].stainless else rng.choices(routes, route_weights)[0]
            issued = today - timedelta(days=rng.randrange(0, 6 * 365))
            rows.append((rng.choice(makers), category, route, issued, rng.randrange(10**9)))
        epds = EPD.objects.bulk_create([EPD(organization=maker) for maker, *_ in rows])
        for epd, (_maker, _c, _r, issued, _s) in zip(epds, rows, strict=True):
            epd.registration_number = f"{REGISTRATION_PREFIX}-{issued.year}-{epd.pk:06d}"
        EPD.objects.bulk_update(epds, ["registration_number"])

        documents, declarations = [], []
        for epd, (maker, category, route, issued, doc_seed) in zip(epds, rows, strict=True):
            document = self._document(epd, maker, category, route, issued, doc_seed, rng)
            documents.append(document)
            declarations.append(
                Declaration(
                    epd=epd,
                    version=1,
                    status="published",
                    revision=1,
                    product_name=document["product"]["name"],
                    product_name_zh=document["product"]["name_zh"],
                    category=category,
                    production_route=route,
                    recycled_content=Decimal(document["product"]["recycled_content_percent"]),
                    declared_unit="1 t",
                    declared_modules=document["lca"]["declared_modules"],
                    created_by=author,
                )
            )
        declarations = Declaration.objects.bulk_create(declarations)
        publications = insert(
            Publication,
            [
                Publication(
                    declaration=declaration,
                    registration_number=epd.registration_number,
                    version=1,
                    issued=date.fromisoformat(document["issued"]),
                    valid_until=date.fromisoformat(document["valid_until"]),
                    published_at=timezone.make_aware(datetime.combine(date.fromisoformat(document["issued"]), datetime.min.time())),
                    document=document,
                    openepd=json.dumps(exports.openepd_document(document, validate=False), ensure_ascii=False, separators=(",", ":")),
                )
                for declaration, epd, document in zip(declarations, epds, documents, strict=True)
            ],
        )
        entries = []
        for publication, (maker, category, route, *_rest) in zip(publications, rows, strict=True):
            document = publication.document
            gwp = Decimal(document["results"]["GWP-total"]["A1-A3"])
            status = RegistryStatus.VALID if publication.valid_until >= today else RegistryStatus.EXPIRED
            roll = rng.random()
            if status == RegistryStatus.VALID and roll < 0.01:
                status = RegistryStatus.SUSPENDED
            elif roll < 0.015:
                status = RegistryStatus.REVOKED
            entries.append(
                RegistryEntry(
                    publication=publication,
                    registration_number=publication.registration_number,
                    version=1,
                    openepd_id=exports.openxpd_id(document),
                    is_latest=True,
                    status=status,
                    status_changed_at=publication.published_at,
                    manufacturer=maker,
                    manufacturer_name=maker.name,
                    product_name=document["product"]["name"],
                    product_name_zh=document["product"]["name_zh"],
                    category=category,
                    production_route=route,
                    country=maker.country,
                    pcr_code=document["lca"]["pcr"]["code"],
                    declared_unit="1 t",
                    gwp_a1a3=gwp,
                    gwp_a1a3_per_tonne=gwp,
                    recycled_content=Decimal(document["product"]["recycled_content_percent"]),
                    issued=publication.issued,
                    valid_until=publication.valid_until,
                    published_at=publication.published_at,
                    search_text=search.document_text(document),
                )
            )
        insert(RegistryEntry, entries)

    def _document(self, epd, maker, category, route, issued, seed, rng) -> dict:
        document = sample_document(route, category, seed=seed, registration_number=epd.registration_number)
        fallback = (catalogue.CATEGORY_BY_CODE[category].name, catalogue.CATEGORY_BY_CODE[category].name_zh, [], [])
        name, name_zh, grades, standards = rng.choice(PRODUCTS.get(category, [fallback]))
        valid_until = (
            issued.replace(year=issued.year + 5) - timedelta(days=1)
            if not (issued.month == 2 and issued.day == 29)
            else issued + timedelta(days=1825)
        )
        document.update(
            issued=issued.isoformat(),
            valid_until=valid_until.isoformat(),
            manufacturer={"name": maker.name, "name_zh": maker.name_zh, "country": maker.country, "city": "", "address": "", "website": ""},
            plants=[{"name": f"{maker.name.split(' #')[0]} works", "country": maker.country, "city": ""}],
        )
        document["product"].update(name=name, name_zh=name_zh, standards=standards, grades=grades)
        return document
