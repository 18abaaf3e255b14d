"""Issue 9, part 1: sum rules at the precision the producer gave, on every input path.

A consistent table rounded to 2, 3 or 4 significant figures — as EPD tables print it — is imported through every path
a mill has (API JSON with numbers and with strings, the results grid form, CSV, XLSX with text cells and with number
cells, openEPD, ILCD+EPD), stored, read back and checked again as submission checks it: no sum rule (P4, P6, P19) fires,
and every value comes back with the digits it was given. A table whose total is off by more than rounding can explain
is refused on every path, naming the rule, indicator and module. On PostgreSQL the module runs once more on SQLite.
"""

import csv
import io
import json
import os
import random
import subprocess
import sys
from decimal import ROUND_HALF_EVEN, Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from declarations import catalogue, openepd_io
from declarations.forms import cell_anchor, cell_input_name
from declarations.models import Declaration
from declarations.samples import plausible_results, sample_document
from declarations.validation import validate
from registry.ilcd_export import write_ilcd

SUM_RULES = {"P4", "P6", "P19"}
MODULES = ["A1", "A2", "A3", "A1-A3", "C1", "C2", "C3", "C4", "D"]
PATHS = ["api-numbers", "api-strings", "form", "csv", "xlsx-text", "xlsx-numbers", "openepd", "ilcd"]
# Totals and their parts (P4, P6), each also summed over A1, A2 and A3 into A1-A3 (P19).
SUMS = {"GWP-total": ("GWP-fossil", "GWP-biogenic", "GWP-luluc"), "PERT": ("PERE", "PERM"), "PENRT": ("PENRE", "PENRM")}


# ---------------------------------------------------------------- tables as EPDs print them


def consistent_table(seed: int, biogenic_share: float) -> dict[str, dict[str, Decimal]]:
    """Exact values in which every sum rule holds: per module, and A1-A3 = A1 + A2 + A3 for every indicator."""
    rng = random.Random(seed)
    sample = plausible_results("scrap_eaf", "long.rebar", rng=rng)
    shares = [Decimal(rng.uniform(0.1, 1)) for _ in range(3)]
    shares = [s / sum(shares) for s in shares]
    table: dict[str, dict[str, Decimal]] = {}
    for code, row in sample.results.items():
        table[code] = {m: row["A1-A3"] * share for m, share in zip(("A1", "A2", "A3"), shares, strict=True)}
        table[code].update({m: row[m] for m in ("C1", "C2", "C3", "C4", "D") if m in row})
    for module in table["GWP-fossil"]:
        fossil = table["GWP-fossil"][module]
        table["GWP-biogenic"][module] = fossil * Decimal(biogenic_share)  # steel has little, but the rule must hold for any
        for total, parts in SUMS.items():
            table[total][module] = sum((table[p][module] for p in parts), Decimal(0))
    for row in table.values():
        row["A1-A3"] = row["A1"] + row["A2"] + row["A3"]
    return table


def rounded(value: Decimal, digits: int) -> Decimal:
    if value == 0:
        return Decimal(0)
    return value.quantize(Decimal(1).scaleb(value.adjusted() - digits + 1), rounding=ROUND_HALF_EVEN)


def printed(table: dict[str, dict[str, Decimal]], digits: int) -> dict[str, dict[str, Decimal]]:
    return {code: {m: rounded(v, digits) for m, v in row.items()} for code, row in table.items()}


def text(value: Decimal) -> str:
    """As a table prints it: "2.40", "0.0032", and "1.5E+3" where plain digits would hide the precision."""
    return format(value, "E" if value.as_tuple().exponent > 0 else "f")


# JSON number paths read "2.0" as the whole number 2 (json_number: float writers write 2 so), which rounding to one
# significant figure can put 50 % off where two figures put it 5 % off. A total moved by half its terms' magnitudes
# can then be explained by rounding (PERT 2.0 = PERE 1.0 + PERM 0, read as 2 ± 0.5 = 1 ± 0.5 + 0, was accepted):
# on those paths it is moved by twice their magnitudes, still more than any rounding of what the path reads.
SHIFT = {path: Decimal(2) if path in ("api-numbers", "openepd") else Decimal("0.5") for path in PATHS}


def made_inconsistent(table: dict[str, dict[str, Decimal]], rng: random.Random, shift: Decimal) -> tuple[str, str, str]:
    """Move one total by `shift` times the sum of the magnitudes of its terms: more than any rounding to 2 significant
    figures can explain. Returns (rule, indicator, module)."""
    if rng.random() < 0.5:
        total = rng.choice(sorted(SUMS))
        module = rng.choice(["A1", "A2", "A3", "C3", "D"])
        return shifted(table, total, module, shift)
    return shifted(table, rng.choice(["GWP-fossil", "PENRE", "SM", "ADP-fossil"]), "A1-A3", shift)


def shifted(table: dict[str, dict[str, Decimal]], total: str, module: str, shift: Decimal) -> tuple[str, str, str]:
    if module == "A1-A3":
        rule, terms = "P19", [table[total][m] for m in ("A1-A3", "A1", "A2", "A3")]
    else:
        rule, terms = ("P4" if total == "GWP-total" else "P6"), [table[total][module], *(table[p][module] for p in SUMS[total])]
    table[total][module] += sum(abs(t) for t in terms) * shift
    return rule, total, module


# ---------------------------------------------------------------- the paths


def _literal(value) -> str:
    """JSON with decimals written as number literals ("2.40", not the float 2.4)."""
    if isinstance(value, Decimal):
        return text(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_literal(v) for v in value) + "]"
    return json.dumps(value)


def _rows(table) -> list[list]:
    return [
        ["Declared unit", "1 t"],
        [],
        ["Code", "Indicator", "Unit", *MODULES],
        *(
            [code, catalogue.indicators()[code].name, catalogue.indicators()[code].unit, *(row.get(m) for m in MODULES)]
            for code, row in table.items()
        ),
    ]


def _csv(table) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([text(v) if isinstance(v, Decimal) else (v or "") for v in row] for row in _rows(table))
    return out.getvalue().encode()


def _xlsx(table, *, numbers: bool) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Results"
    for row in _rows(table):
        sheet.append([text(v) if isinstance(v, Decimal) and not numbers else (float(v) if isinstance(v, Decimal) else v) for v in row])
        for cell in sheet[sheet.max_row]:
            if numbers and isinstance(cell.value, float):
                digits = len(Decimal(str(row[cell.column - 1])).as_tuple().digits)
                cell.number_format = "0" + ("." + "0" * (digits - 1) if digits > 1 else "") + "E+00"  # how Excel shows 2.16E+03
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _openepd(table) -> bytes:
    sections: dict[str, dict] = {"impacts": {}, "resource_uses": {}, "output_flows": {}}
    scopes = openepd_io.scope_by_module()
    for code, row in table.items():
        indicator = catalogue.indicators()[code]
        section = openepd_io.SECTION_BY_CATEGORY[indicator.category]
        unit = "kgPe" if code == "EP-freshwater" else openepd_io.export_unit(code)
        sections[section][indicator.openepd_key] = {scopes[m]: {"mean": v, "unit": unit} for m, v in row.items() if m in scopes}
    document = {
        "doctype": "openEPD",
        "product_name": "Reinforcing steel B500B",
        "declared_unit": {"qty": 1, "unit": "t"},
        "impacts": {"EF 3.1": sections["impacts"]},
        "resource_uses": sections["resource_uses"],
        "output_flows": sections["output_flows"],
    }
    return _literal(document).encode()


def _ilcd(table) -> bytes:
    document = sample_document()
    document["results"] = {code: {m: text(v) for m, v in row.items()} for code, row in table.items()}
    document["lca"]["declared_modules"] = [m for m in catalogue.module_codes() if m in MODULES]
    return write_ilcd(document, archive=True)


def send(path: str, client, declaration: Declaration, table):
    """Import `table` into the draft through one path; the response."""
    pk = declaration.pk
    api, upload = f"/api/v1/declarations/{pk}/results/", f"/api/v1/declarations/{pk}/results/import/"
    matrix = {code: {m: (v if path == "api-numbers" else text(v)) for m, v in row.items()} for code, row in table.items()}
    if path in ("api-numbers", "api-strings"):
        return client.put(api, _literal({"results": matrix, "declared_modules": MODULES}), content_type="application/json")
    if path == "form":
        data = {cell_input_name(code, m): text(v) for code, row in table.items() for m, v in row.items()}
        data.update({f"mnd|{m}": "on" for m in catalogue.module_codes() if m not in MODULES})  # the grid's MND boxes
        return client.post(f"/declarations/{pk}/results/", data)
    files = {
        "csv": lambda: ("results.csv", _csv(table)),
        "xlsx-text": lambda: ("results.xlsx", _xlsx(table, numbers=False)),
        "xlsx-numbers": lambda: ("results.xlsx", _xlsx(table, numbers=True)),
        "openepd": lambda: ("epd.openepd.json", _openepd(table)),
        "ilcd": lambda: ("epd-ilcd.zip", _ilcd(table)),
    }
    name, content = files[path]()
    return client.post(upload, {"file": SimpleUploadedFile(name, content)}, format="multipart")


def sum_findings(declaration: Declaration):
    declaration = Declaration.objects.get(pk=declaration.pk)  # read back from the database, as submission does
    return [f for f in validate(declaration.facts(), for_submission=True) if f.check in SUM_RULES]


@pytest.fixture
def draft(make_declaration):
    return make_declaration(results=False)


@pytest.fixture
def mill_client(client_for, mill_alice):
    return client_for(mill_alice)


# GWP-biogenic as a share of GWP-fossil: none, or up to 60 % either way (cancellation makes rounding matter most).
shares = st.one_of(st.just(0.0), st.floats(0.001, 0.6), st.floats(-0.6, -0.001))
EXAMPLES = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.mark.parametrize("path", PATHS)
@EXAMPLES
@given(seed=st.integers(0, 10**6), digits=st.sampled_from([2, 3, 4]), biogenic=shares)
def test_a_consistent_table_as_printed_passes_every_sum_rule(path, draft, mill_client, seed, digits, biogenic):
    table = printed(consistent_table(seed, biogenic), digits)
    response = send(path, mill_client, draft, table)
    shown = response.content.decode()
    assert response.status_code in (200, 302), (path, digits, shown[shown.find('id="errors"') :][:3000] if path == "form" else shown[:3000])
    assert sum_findings(draft) == []
    stored = {(r.indicator, r.module): r.given_value for r in Declaration.objects.get(pk=draft.pk).results.all()}
    for code, row in table.items():
        if code == "EP-freshwater" and path == "openepd":
            continue  # sent as kg PO4 eq. in openEPD's spelling of units and converted: same digits, another number
        for module, value in row.items():
            given = stored[(code, module)]
            if path in ("api-numbers", "openepd") and text(value).endswith(".0"):
                value = Decimal(text(value)[:-2])  # a JSON number 2.0 is how float writers write 2 (json_number)
            assert given == value and (value == 0 or given.as_tuple() == value.as_tuple()), (path, code, module, value, given)


@pytest.mark.parametrize("path", PATHS)
@EXAMPLES
@given(seed=st.integers(0, 10**6), digits=st.sampled_from([2, 3, 4]), biogenic=shares, pick=st.randoms())
def test_a_table_off_by_more_than_rounding_is_refused_on_every_path(path, draft, mill_client, seed, digits, biogenic, pick):
    exact = consistent_table(seed, biogenic)
    where = made_inconsistent(exact, pick, SHIFT[path])
    refused(path, mill_client, draft, printed(exact, digits), where)


@pytest.mark.parametrize("path", PATHS)
def test_a_total_near_one_off_by_its_parts_is_refused_on_every_path(path, draft, mill_client):
    """Found by Hypothesis (seed 1800, 2 figures): PERT 1.015 moved to 2.03 prints as PERT 2.0 = PERE 1.0 + PERM 0."""
    exact = consistent_table(1800, 0.0)
    where = shifted(exact, "PERT", "C3", SHIFT[path])
    refused(path, mill_client, draft, printed(exact, 2), where)


def refused(path, mill_client, draft, table, where):
    """The import is refused naming (rule, indicator, module) `where`."""
    rule, indicator, module = where
    response = send(path, mill_client, draft, table)
    assert response.status_code == 400, (path, rule, indicator, module)
    if path == "form":  # the grid marks the cell whose total is wrong
        assert f'id="{cell_anchor(indicator, module)}-err"'.encode() in response.content, (rule, indicator, module)
        return
    findings = response.json()["error"]["findings"]
    named = {(f["check"], f.get("indicator"), f.get("module")) for f in findings}
    expected = (rule, indicator, module)
    assert expected in named, (path, expected, sorted(named))


@pytest.mark.skipif(not os.environ.get("DATABASE_URL"), reason="runs this module on SQLite when the suite runs on PostgreSQL")
def test_the_same_properties_hold_on_sqlite(tmp_path):
    assert connection.vendor == "postgresql"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["VAR_DIR"] = str(tmp_path)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", __file__, "-q", "-p", "no:cacheprovider", "-k", "not sqlite"],
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert f"{3 * len(PATHS)} passed" in run.stdout
