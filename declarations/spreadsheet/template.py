"""The results template mills download: indicators as rows, modules as columns, units shown.

The XLSX has the results sheet, a "Declaration" sheet for bulk import, and bilingual instructions;
the CSV has the results sheet only. Both list the indicators and modules in `catalogue` order.
"""

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from .. import catalogue

RESULTS_SHEET = "Results · 结果"
DECLARATION_SHEET = "Declaration · 声明"
INSTRUCTIONS_SHEET = "Instructions · 说明"  # Excel forbids "/" in sheet names
LISTS_SHEET = "Lists"

DECLARED_UNIT_LABEL = "Declared unit / 声明单位"
DEFAULT_DECLARED_UNIT = "1 t"
MANDATORY_MARK = " *"
HEADER = ("Code", "Indicator (* = mandatory / 必填)", "Unit")


@dataclass(frozen=True)
class DeclarationField:
    """One row of the "Declaration" sheet that bulk import reads."""

    key: str
    label: str
    label_zh: str
    kind: str = "text"
    required: bool = False
    default: str = ""
    note: str = ""
    max_length: int = 200


DECLARATION_FIELDS: tuple[DeclarationField, ...] = (
    DeclarationField("product_name", "Product name", "产品名称", required=True),
    DeclarationField("product_name_zh", "Product name in Chinese", "产品中文名称"),
    DeclarationField("description", "Description and intended use", "产品描述及用途", max_length=4000),
    DeclarationField("category", "Steel product category (code)", "钢铁产品类别（代码）", "category", required=True),
    DeclarationField("production_route", "Production route (code)", "生产工艺路线（代码）", "route", required=True),
    DeclarationField("standards", "Product standards", "产品标准", "list", note="Separate with ; e.g. EN 10080; GB/T 1499.2"),
    DeclarationField("grades", "Steel grades", "钢种牌号", "list", note="Separate with ; e.g. B500B; HRB400E"),
    DeclarationField("recycled_content", "Recycled content (%)", "再生料含量（%）", "percent"),
    DeclarationField("declared_unit", "Declared unit", "声明单位", "unit", default=DEFAULT_DECLARED_UNIT, max_length=40),
    DeclarationField("pcr", "PCR (code)", "产品类别规则 PCR（代码）", "pcr"),
    DeclarationField("lca_software", "LCA software and version", "LCA 软件及版本", max_length=120),
    DeclarationField("background_database", "Background database and version", "背景数据库及版本", max_length=120),
    DeclarationField("characterisation_method", "Characterisation factors (EF 3.0 or EF 3.1)", "特征化因子（EF 3.0 或 EF 3.1）", "method"),
    DeclarationField("reference_year", "Reference year", "数据参考年", "year"),
    DeclarationField("data_period_start", "Data period from (YYYY-MM-DD)", "数据期起始", "date"),
    DeclarationField("data_period_end", "Data period to (YYYY-MM-DD)", "数据期截止", "date"),
    DeclarationField("lca_practitioner", "LCA practitioner", "LCA 执行方"),
    DeclarationField("renewable_electricity_claim", "Claims renewable electricity (yes/no)", "声明使用可再生电力（是/否）", "bool"),
    DeclarationField("allocation", "Allocation", "分配方法", max_length=4000),
    DeclarationField("cut_off", "Cut-off rules", "取舍准则", max_length=4000),
    DeclarationField("data_quality", "Data quality", "数据质量", max_length=4000),
    DeclarationField("a4_distance_km", "A4 transport distance (km)", "A4 运输距离（公里）", "km"),
    DeclarationField("c2_distance_km", "C2 transport distance (km)", "C2 运输距离（公里）", "km"),
    DeclarationField("plant_name", "Manufacturing plant", "生产工厂", "plant", required=True),
    DeclarationField("plant_country", "Plant country (ISO code, e.g. CN)", "工厂所在国家（ISO 代码，如 CN）", "country", required=True),
    DeclarationField("plant_city", "Plant city", "工厂所在城市", "plant", max_length=100),
    DeclarationField(
        "plant_olc",
        "Plant location: plus code, or latitude, longitude",
        "工厂位置：Plus Code，或纬度, 经度",
        "olc",
        note="e.g. 8Q33CF4Q+QR or 31.4069, 121.4896",
        max_length=40,
    ),
)
FIELD_BY_KEY = {f.key: f for f in DECLARATION_FIELDS}

INSTRUCTIONS_EN = (
    "How to fill in this template",
    "1. Sheet “Results · 结果”: one row per indicator, one column per module. Each indicator is identified by "
    "its code in column A (or its ILCD UUID): do not change the codes; the labels are for reading only.",
    "2. Write every value as a plain number per declared unit with a decimal point: 2150.5, 0.000012 or 1.2E-5. "
    "No thousands separators, no units in the value cells, no formulas: paste values only. "
    "A cell with a formula is refused, because the platform never evaluates formulas.",
    "3. “ND” = not declared, for an optional indicator only. Indicators marked * are mandatory: give a value "
    "in every declared module (write 0 if it is zero).",
    "4. “MND” in a whole module column = module not declared. A column left empty counts as not declared. "
    "A4, A5 and B1-B7 are optional. A1-A3 (or A1, A2 and A3; A1-A3 must then equal A1+A2+A3), C1, C2, C3, C4 "
    "and D are mandatory for steel under EN 15804+A2: they may be 0 but not MND.",
    "5. Units: column C shows the EN 15804+A2 unit of each indicator. If your LCA software used another unit, "
    "write that unit in column C: EN 15804+A1 units (kg SO2 eq., kg ethene eq., kg PO4 eq. for EP-marine) are "
    "refused; EP-freshwater in kg PO4 eq. is converted to kg P eq. with a warning.",
    "6. Declared unit: cell B1 of the results sheet (default 1 t). All values are per declared unit, and it must "
    "match the declaration's declared unit.",
    "7. Negative values only in module D, and for GWP-biogenic, PERM and PENRM.",
    "8. Bulk import: also fill in the sheet “Declaration · 声明”; one workbook is one declaration.",
    "9. Save as .xlsx (or as CSV, UTF-8 or GB18030, with , ; or tab between values) and upload it.",
)
INSTRUCTIONS_ZH = (
    "填写说明",
    "1. “Results · 结果”工作表：每行一个指标，每列一个模块。指标以 A 列的代码（或 ILCD UUID）识别，请勿修改代码；指标名称仅供阅读。",
    "2. 每个数值按声明单位填写为普通数字，使用小数点：2150.5、0.000012 或 1.2E-5。不要使用千位分隔符，数值单元格中不要"
    "写单位，不要使用公式，请只粘贴数值。平台从不计算公式，含公式的单元格会被拒绝。",
    "3. “ND” 表示未声明，仅适用于选填指标。带 * 的指标为必填：每个已声明模块都须填写数值（为零时填 0）。",
    "4. 整列填写 “MND” 表示该模块未声明；整列留空同样视为未声明。A4、A5 及 B1-B7 为选填模块。按照 EN 15804+A2，"
    "钢铁产品必须声明 A1-A3（或分别声明 A1、A2、A3，此时 A1-A3 须等于 A1+A2+A3）、C1、C2、C3、C4 和 D：可以为 0，"
    "但不能为 MND。",
    "5. 单位：C 列为各指标的 EN 15804+A2 单位。若 LCA 软件使用了其他单位，请在 C 列写明该单位：EN 15804+A1 的单位"
    "（kg SO2 eq.、kg ethene eq.、用于 EP-marine 的 kg PO4 eq.）会被拒绝；EP-freshwater 以 kg PO4 eq. 填写时将换算"
    "为 kg P eq. 并给出警告。",
    "6. 声明单位：结果工作表 B1 单元格（默认 1 t）。所有数值均以声明单位计，且须与声明中的声明单位一致。",
    "7. 负值仅允许出现在模块 D 中，以及 GWP-biogenic、PERM 和 PENRM 指标。",
    "8. 批量导入：还需填写 “Declaration · 声明” 工作表；一个工作簿对应一份声明。",
    "9. 保存为 .xlsx（或 CSV，UTF-8 或 GB18030 编码，以逗号、分号或制表符分隔）后上传。",
)

_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_MANDATORY_FILL = PatternFill("solid", fgColor="FFF2CC")
_INPUT_FILL = PatternFill("solid", fgColor="E2EFDA")


def indicator_label(ind: catalogue.Indicator) -> str:
    return f"{ind.name} / {ind.name_zh}" + (MANDATORY_MARK if ind.mandatory else "")


def _cell_text(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return "" if value is None else str(value)


def results_rows(results: Mapping[str, Mapping[str, object]] | None = None, *, declared_unit: str = DEFAULT_DECLARED_UNIT) -> list[list]:
    """The results sheet as rows: declared unit, a legend, the header, one row per indicator."""
    results = results or {}
    modules = catalogue.module_codes()
    rows: list[list] = [
        [DECLARED_UNIT_LABEL, declared_unit],
        ["* mandatory indicator: a value in every declared module / 必填指标：每个已声明模块都须填写"],
        [*HEADER, *modules],
    ]
    for ind in catalogue.indicators().values():
        values = results.get(ind.code, {})
        rows.append([ind.code, indicator_label(ind), ind.unit, *(values.get(m) for m in modules)])
    return rows


def _pcr_codes() -> list[str]:
    from ..models import PCR

    return list(PCR.objects.filter(active=True).order_by("code").values_list("code", flat=True))


def build_template(
    fmt: str,
    *,
    results: Mapping[str, Mapping[str, object]] | None = None,
    declaration: Mapping[str, object] | None = None,
) -> bytes:
    """The results template as XLSX or CSV bytes; `results` ({code: {module: value}}) and `declaration`
    ({field key: value}) fill it in, which is how tests and benchmarks make the files mills would send."""
    declaration = declaration or {}
    declared_unit = str(declaration.get("declared_unit") or DEFAULT_DECLARED_UNIT)
    rows = results_rows(results, declared_unit=declared_unit)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerows([[_cell_text(v) for v in row] for row in rows])
        # With a BOM, Excel opens the file as UTF-8 and shows the Chinese labels.
        return out.getvalue().encode("utf-8-sig")
    if fmt != "xlsx":
        raise ValueError(f"unknown template format {fmt!r}")
    workbook = openpyxl.Workbook()
    _write_results_sheet(workbook.active, rows)
    _write_declaration_sheet(workbook.create_sheet(DECLARATION_SHEET), declaration)
    _write_instructions_sheet(workbook.create_sheet(INSTRUCTIONS_SHEET))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _write_results_sheet(sheet, rows: list[list]) -> None:
    sheet.title = RESULTS_SHEET
    header_row = 3
    for row in rows:
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
    sheet["A1"].font = _BOLD
    sheet["B1"].fill = _INPUT_FILL
    sheet["B1"].font = _BOLD
    sheet["A2"].font = Font(italic=True)
    for cell in sheet[header_row]:
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
    for row_index, ind in enumerate(catalogue.indicators().values(), start=header_row + 1):
        if ind.mandatory:
            for column in (1, 2):
                sheet.cell(row_index, column).fill = _MANDATORY_FILL
            sheet.cell(row_index, 1).font = _BOLD
    sheet.freeze_panes = sheet.cell(header_row + 1, 4)
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 58
    sheet.column_dimensions["C"].width = 24
    for column in range(4, 4 + len(catalogue.module_codes())):
        sheet.column_dimensions[get_column_letter(column)].width = 11


def _write_declaration_sheet(sheet, values: Mapping[str, object]) -> None:
    sheet.append(["Key", "Field", "字段", "Value / 值", "Notes / 说明"])
    for cell in sheet[1]:
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
    notes = {
        "category": "See sheet Lists, column A / 见 Lists 工作表 A 列",
        "production_route": " | ".join(catalogue.ProductionRoute.values),
        "pcr": " | ".join(_pcr_codes()),
        "characterisation_method": "EF 3.0 | EF 3.1",
    }
    for spec in DECLARATION_FIELDS:
        value = values.get(spec.key, spec.default)
        mark = MANDATORY_MARK if spec.required else ""
        sheet.append([spec.key, spec.label + mark, spec.label_zh + mark, value, spec.note or notes.get(spec.key, "")])
        sheet.cell(sheet.max_row, 4).fill = _INPUT_FILL
    sheet.freeze_panes = "D2"
    for letter, width in zip("ABCDE", (24, 40, 30, 40, 60), strict=True):
        sheet.column_dimensions[letter].width = width

    lists = sheet.parent.create_sheet(LISTS_SHEET)
    lists.append(["Category code", "Category", "类别", "Route code", "Route"])
    routes = list(catalogue.ProductionRoute.choices)
    for index, category in enumerate(catalogue.CATEGORIES):
        route = routes[index] if index < len(routes) else ("", "")
        lists.append([category.code, category.name, category.name_zh, route[0], str(route[1])])
    rows = {spec.key: index for index, spec in enumerate(DECLARATION_FIELDS, start=2)}
    for key, column, count in (("category", "A", len(catalogue.CATEGORIES)), ("production_route", "D", len(routes))):
        # A drop-down list, not a formula cell: the reader reads only the chosen text.
        validation = DataValidation(type="list", formula1=f"'{LISTS_SHEET}'!${column}$2:${column}${count + 1}", allow_blank=True)
        sheet.add_data_validation(validation)
        validation.add(f"D{rows[key]}")


def _write_instructions_sheet(sheet) -> None:
    for line in (*INSTRUCTIONS_EN, "", *INSTRUCTIONS_ZH):
        sheet.append([line])
    for row in (1, len(INSTRUCTIONS_EN) + 2):
        sheet.cell(row, 1).font = Font(bold=True, size=13)
    sheet.column_dimensions["A"].width = 150
    for row in sheet.iter_rows():
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
