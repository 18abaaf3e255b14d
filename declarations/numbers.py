"""How a result value is printed, wherever people read one: the public EPD page, the PDF, the mill's and the
verifier's pages. One function, so a value looks the same on every page."""

from decimal import Decimal, InvalidOperation

ND = "ND"


def to_decimal(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(str(text))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def format_value(text: str | None) -> str:
    """A result with the significant digits the producer gave, neither rounded nor padded: plain where that stays
    short ("2897.5", "0.0032", "2.40"), E notation for very small or large values and for values given so
    ("6.09E-08", "2.16E+03"). "0" for zero, ND for a value not declared."""
    value = to_decimal(text)
    if value is None:
        return ND
    if value == 0:
        return "0"
    exponent = value.as_tuple().exponent
    if exponent <= 0 and Decimal("0.001") <= abs(value) < Decimal("1e6"):
        return format(value, "f")
    digits = len(value.as_tuple().digits)
    mantissa = value.scaleb(-value.adjusted())
    return f"{mantissa:.{digits - 1}f}E{value.adjusted():+03d}"
