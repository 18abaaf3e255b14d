"""Synthetic but plausible published EPDs in bulk, for load tests and demos at scale.

    manage.py generate_registry --count 100000 [--seed 1] [--batch 5000]

Manufacturers (one per ~25 EPDs, so several thousand at 100,000), EPDs, published declarations, their
publications (a full document from declarations.samples, i.e. values from the reference ranges by route and
category) and registry entries, written with bulk inserts in batches behind a progress bar.
Each carries its openEPD document (built, not validated, as compact JSON: tests read that build strictly).

    manage.py generate_registry --count 100000 --copies 9     # 1,000,000: the 100,000 and nine copies

--copies (PostgreSQL) then copies every generated EPD that many times in SQL, each copy under its own EPD,
registration number and openEPD id (in the row, the document, the openEPD document and the search text, which
is checked against search.document_text for a sample): building a document in Python costs about 5 ms, so a
million would take hours, and copies take minutes. A copy keeps its original's manufacturer, product and dates.
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
from registry import exports, openxpd, search
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


def _columns(model, **overrides: str) -> tuple[str, str]:
    """The column list of an INSERT … SELECT copying `model`'s rows aliased `o` (the primary key left to its
    identity), and the select list, where `overrides` give SQL for some columns instead of o.<column>."""
    columns = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    unknown = set(overrides) - set(columns)
    if unknown:
        raise CommandError(f"no such columns in {model._meta.db_table}: {sorted(unknown)}")
    return ", ".join(columns), ", ".join(overrides.get(c, f"o.{c}") for c in columns)


def copy_generated(author: User, copies: int, batch: int) -> int:
    """Copy the EPDs the generator made (one version each) `copies` times; returns how many were added."""
    sources = list(
        Publication.objects.filter(declaration__created_by=author, version=1)
        .order_by("pk")
        .values_list("declaration__epd_id", "registration_number")
    )
    epd_columns, epd_select = _columns(EPD, registration_number="m.new_number")
    declaration_columns, declaration_select = _columns(Declaration, epd_id="m.new_epd")
    publication_columns, publication_select = _columns(
        Publication,
        registration_number="m.new_number",
        declaration_id="nd.id",
        # The number and the openEPD id appear in the documents as strings, nowhere else as these strings.
        document="replace(replace(o.document::text, m.old_number, m.new_number), m.old_openepd, m.new_openepd)::jsonb",
        openepd="replace(replace(o.openepd, m.old_number, m.new_number), m.old_openepd, m.new_openepd)",
    )
    entry_columns, entry_select = _columns(
        RegistryEntry,
        registration_number="m.new_number",
        openepd_id="m.new_openepd",
        publication_id="np.id",
        # The number's own token: "000123" (search.document_text).
        search_text="replace(o.search_text, ' ' || m.old_digits || ' ', ' ' || m.new_digits || ' ')",
    )
    epd, declaration, publication, entry = (m._meta.db_table for m in (EPD, Declaration, Publication, RegistryEntry))
    statements = [
        f"INSERT INTO {epd} (id, {epd_columns}) SELECT m.new_epd, {epd_select}"
        f" FROM copy_map m JOIN {epd} o ON o.id = m.old_epd",
        f"INSERT INTO {declaration} ({declaration_columns}) SELECT {declaration_select}"
        f" FROM copy_map m JOIN {declaration} o ON o.epd_id = m.old_epd",
        f"INSERT INTO {publication} ({publication_columns}) SELECT {publication_select}"
        f" FROM copy_map m JOIN {declaration} od ON od.epd_id = m.old_epd JOIN {publication} o ON o.declaration_id = od.id"
        f" JOIN {declaration} nd ON nd.epd_id = m.new_epd",
        f"INSERT INTO {entry} ({entry_columns}) SELECT {entry_select}"
        f" FROM copy_map m JOIN {entry} o ON o.registration_number = m.old_number AND o.version = 1"
        f" JOIN {publication} np ON np.registration_number = m.new_number AND np.version = 1",
    ]
    first_new = RegistryEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    added = 0
    with tqdm(total=copies * len(sources), unit="copies", disable=None) as bar:
        for _copy in range(copies):
            for start in range(0, len(sources), batch):
                chunk = sources[start : start + batch]
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [epd, len(chunk)])
                    new_ids = [pk for (pk,) in cursor.fetchall()]
                    cursor.execute(
                        "CREATE TEMP TABLE copy_map (old_epd bigint, new_epd bigint, old_number text, new_number text,"
                        " old_openepd text, new_openepd text, old_digits text, new_digits text) ON COMMIT DROP"
                    )
                    with cursor.cursor.copy("COPY copy_map FROM STDIN") as copy:
                        for (old_epd, number), new_epd in zip(chunk, new_ids, strict=True):
                            prefix, digits = number.rsplit("-", 1)
                            new_number = f"{prefix}-{new_epd:06d}"
                            copy.write_row(
                                [old_epd, new_epd, number, new_number, openxpd.openxpd_id(number, 1),
                                 openxpd.openxpd_id(new_number, 1), digits, f"{new_epd:06d}"]
                            )  # fmt: skip
                    for statement in statements:
                        cursor.execute(statement)
                added += len(chunk)
                bar.update(len(chunk))
    _check_copies(first_new)
    return added


def _check_copies(after_pk: int, sample: int = 200) -> None:
    """The copies' search text is what search.document_text makes of their documents (a sample of them)."""
    copied = RegistryEntry.objects.filter(pk__gt=after_pk).order_by("?")[:sample]
    for registration_number, search_text, document in copied.values_list("registration_number", "search_text", "publication__document"):
        if search_text != search.document_text(document):
            raise CommandError(f"the copy {registration_number}'s search text is not its document's")


class Command(BaseCommand):
    help = "Generate synthetic published EPDs (bulk inserts, progress bar)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--batch", type=int, default=5000)
        parser.add_argument("--per-manufacturer", type=int, default=25)
        parser.add_argument("--copies", type=int, default=0, help="then copy each generated EPD this many times (PostgreSQL)")

    def handle(self, *args, count, seed, batch, per_manufacturer, copies, **options):
        if count < 0 or batch < 1 or copies < 0 or not (count or copies):
            raise CommandError("--count (or --copies) must be positive, --batch positive, --copies zero or more")
        if copies and connection.vendor != "postgresql":
            raise CommandError("--copies copies rows in PostgreSQL's SQL; use --count alone on SQLite")
        rng = random.Random(seed)
        author = self._author()
        makers = self._manufacturers(rng, max(1, count // per_manufacturer)) if count else []
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
        if copies:
            copied = copy_generated(author, copies, batch)
            self.stdout.write(f"{copied} copies of generated EPDs added.")
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
