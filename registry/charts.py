"""Plain SVG charts, shared by the PDF and the web pages (no JavaScript, no external assets)."""

from decimal import Decimal
from html import escape

from declarations import catalogue
from declarations.numbers import to_decimal

WIDTH = 520
HEIGHT = 230
MARGIN_LEFT = 14
MARGIN_RIGHT = 14
TOP = 24  # room for the labels above the tallest bar
BOTTOM = 44  # room for the labels below the deepest bar and the module codes
STAGE_COLOURS = {
    "Product stage": "#1f4e79",
    "Construction process stage": "#4a7fb5",
    "Use stage": "#7a9cc6",
    "End-of-life stage": "#6f7f8f",
    "Beyond the system boundary": "#2e8b57",
}
FONT = "Noto Sans CJK SC, Noto Sans, DejaVu Sans, sans-serif"


def compact_number(value: Decimal) -> str:
    """Three significant figures in plain notation where that stays short (2,900; -991; 7.70; 1.23E-05)."""
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= Decimal("1e6") or magnitude < Decimal("0.01"):
        return f"{float(value):.2E}"
    exponent = magnitude.adjusted()
    rounded = value.quantize(Decimal(1).scaleb(exponent - 2))
    if exponent >= 2:
        return f"{rounded:,.0f}"
    return f"{rounded:.{2 - exponent}f}"


def _ordered(declared_modules: list[str]) -> list[str]:
    order = {code: index for index, code in enumerate(catalogue.module_codes())}
    return sorted(declared_modules, key=lambda code: order.get(code, len(order)))


def _scale(values: list[Decimal]) -> tuple[float, float]:
    """Top and bottom of the value axis; zero always inside, and a flat chart still has height."""
    high = max([float(v) for v in values] + [0.0])
    low = min([float(v) for v in values] + [0.0])
    if high == low:
        high = 1.0
    return high, low


def gwp_by_module_svg(results: dict, declared_modules: list[str], *, indicator: str = "GWP-total", title: str = "") -> str:
    """A bar chart of one indicator (GWP-total by default) per declared module, as an inline SVG string.

    Bars above the axis are loads, bars below (typically module D) are credits. Every bar carries
    data-module and data-value attributes so tests and scripts can read the chart back.
    """
    row = results.get(indicator) or {}
    modules = _ordered(declared_modules)
    values = {module: to_decimal(row.get(module)) for module in modules}
    high, low = _scale([v for v in values.values() if v is not None])
    plot_height = HEIGHT - TOP - BOTTOM
    per_unit = plot_height / (high - low)
    axis_y = TOP + high * per_unit
    slot = (WIDTH - MARGIN_LEFT - MARGIN_RIGHT) / max(len(modules), 1)
    bar_width = min(slot * 0.6, 70)
    # Labels shrink with the slot so that fifteen modules (cradle to grave) do not overlap.
    label_size = round(min(13.0, slot * 0.28), 1)
    unit = catalogue.indicators()[indicator].unit
    title = title or f"{indicator} ({unit}) by module"  # the PDF keeps its one English title; pages pass theirs
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="gwp-chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" font-family="{FONT}" font-size="13">',
        f"<title>{escape(title)}</title>",
    ]
    for index, module in enumerate(modules):
        centre = MARGIN_LEFT + slot * (index + 0.5)
        if module == "D" and index:
            separator_x = MARGIN_LEFT + slot * index
            parts.append(
                f'<line x1="{separator_x:.1f}" y1="{TOP - 14}" x2="{separator_x:.1f}" y2="{HEIGHT - 8}" '
                'stroke="#9aa5b1" stroke-width="1" stroke-dasharray="4 3"/>'
            )
        parts.append(_bar(module, values[module], centre, bar_width, axis_y, per_unit, label_size))
        parts.append(
            f'<text x="{centre:.1f}" y="{HEIGHT - 10}" text-anchor="middle" font-weight="bold" '
            f'font-size="{label_size}" fill="#1c2733">{escape(module)}</text>'
        )
    parts.append(
        f'<line x1="{MARGIN_LEFT}" y1="{axis_y:.1f}" x2="{WIDTH - MARGIN_RIGHT}" y2="{axis_y:.1f}" stroke="#1c2733" stroke-width="1"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _bar(module: str, value: Decimal | None, centre: float, width: float, axis_y: float, per_unit: float, label_size: float) -> str:
    if value is None:
        return f'<text x="{centre:.1f}" y="{axis_y - 5:.1f}" text-anchor="middle" font-size="{label_size}" fill="#6b7785">ND</text>'
    stage = catalogue.modules()[module].stage if module in catalogue.modules() else ""
    colour = STAGE_COLOURS.get(stage, "#4a7fb5")
    # A sliver stays visible for values that are tiny next to A1-A3.
    height = max(abs(float(value)) * per_unit, 0.5)
    top = axis_y - height if value >= 0 else axis_y
    label_y = top - 5 if value >= 0 else axis_y + height + 14
    return (
        f'<rect class="bar" data-module="{escape(module)}" data-value="{value}" x="{centre - width / 2:.1f}" '
        f'y="{top:.1f}" width="{width:.1f}" height="{height:.1f}" fill="{colour}"/>'
        f'<text x="{centre:.1f}" y="{label_y:.1f}" text-anchor="middle" font-size="{label_size}" fill="#1c2733">'
        f"{escape(compact_number(value))}</text>"
    )
