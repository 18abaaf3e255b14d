"""openEPD documents read as a strict outside reader would: the `openepd` package's models in pydantic's
strict mode, with a unit check that owes nothing to the platform's unit table (declarations/openepd_io.py).

openepd checks units only through a validator the caller registers. The platform's accepts spellings and
multiples it can convert (and treats kg PO4 eq. and kg P eq. as one quantity, to import both); this one
accepts a result's unit only when it is spelled exactly as openepd's model allows for that key.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from openepd.api.epd.dto import EpdSearchResponse
from openepd.model.epd import Epd
from openepd.model.validation.quantity import ExternalValidationConfig, QuantityValidator


class ExactUnits(QuantityValidator):
    def validate_same_dimensionality(self, unit: str | None, dimensionality_unit: str | None) -> None:
        if not unit or unit != dimensionality_unit:
            raise ValueError(f"{unit!r} is not {dimensionality_unit!r}")

    def validate_unit_correctness(self, value: str, dimensionality: str) -> None:
        if value.split()[-1] != dimensionality:
            raise ValueError(f"{value!r} is not in {dimensionality!r}")

    def validate_quantity_greater_or_equal(self, value: str, min_value: str) -> None:
        self._compare(value, min_value, lambda a, b: a >= b)

    def validate_quantity_less_or_equal(self, value: str, max_value: str) -> None:
        self._compare(value, max_value, lambda a, b: a <= b)

    def _compare(self, value: str, other: str, holds) -> None:
        (number, unit), (limit, limit_unit) = value.split(), other.split()
        if unit != limit_unit or not holds(float(number), float(limit)):
            raise ValueError(f"{value!r} against {other!r}")


@contextmanager
def exact_units() -> Iterator[None]:
    before = ExternalValidationConfig.QUANTITY_VALIDATOR
    ExternalValidationConfig.QUANTITY_VALIDATOR = ExactUnits()
    try:
        yield
    finally:
        ExternalValidationConfig.QUANTITY_VALIDATOR = before


def strict_epd(raw: str | bytes) -> Epd:
    """An openEPD EPD document (JSON text) as openepd's `Epd` model reads it in strict mode, exact units."""
    with exact_units():
        return Epd.model_validate_json(raw, strict=True)


def strict_search_page(raw: str | bytes) -> EpdSearchResponse:
    """A search response (JSON text) as the openepd API client's envelope model reads it, strictly."""
    with exact_units():
        return EpdSearchResponse.model_validate_json(raw, strict=True)
