"""Where a plant is: an Open Location Code ("plus code"), the form openEPD identifies plants by.

openEPD names a plant "<plus code>.<owner's web domain>" (openepd.model.org.PlantRef.id), so a plant
needs a full plus code; mills may also type the site's latitude and longitude, which become one.
"""

import re

from django.utils.translation import gettext as _
from openlocationcode import openlocationcode

# 10 digits: a cell of about 14 × 14 m, the precision Google Maps and plus.codes show.
CODE_LENGTH = 10
_COORDINATES = re.compile(r"\s*([+-]?\d{1,3}(?:\.\d+)?)\s*[,;\s]\s*([+-]?\d{1,3}(?:\.\d+)?)\s*")


def plus_code(text: str) -> str:
    """The full plus code for `text` (a plus code, or "latitude, longitude" in decimal degrees), in capitals.

    Raises ValueError with a message for the person who typed it."""
    text = (text or "").strip()
    coordinates = _COORDINATES.fullmatch(text)
    if coordinates:
        latitude, longitude = float(coordinates.group(1)), float(coordinates.group(2))
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ValueError(_("Latitude must lie between -90 and 90 and longitude between -180 and 180 (decimal degrees)."))
        return openlocationcode.encode(latitude, longitude, CODE_LENGTH)
    code = text.upper()
    first = code.split()[0] if code else ""
    if openlocationcode.isValid(first) and openlocationcode.isShort(first):  # "CF4Q+QR Shanghai", as Google Maps shows it
        code = first
    if not openlocationcode.isValid(code):
        raise ValueError(
            _("“%(value)s” is not a plus code (e.g. 8Q33CF4Q+QR) nor a latitude and longitude (e.g. 31.4069, 121.4896).") % {"value": text}
        )
    if not openlocationcode.isFull(code):
        raise ValueError(
            _("“%(value)s” is a short plus code; give the full one (e.g. 8Q33CF4Q+QR), without a town name.") % {"value": text}
        )
    if openlocationcode.PADDING_CHARACTER_ in code:
        raise ValueError(_("“%(value)s” is too coarse for a plant; give at least 8 digits before the “+”.") % {"value": text})
    return code


def coordinates(code: str) -> tuple[float, float]:
    """The centre of a plus code's cell: (latitude, longitude)."""
    area = openlocationcode.decode(code)
    return round(area.latitudeCenter, 6), round(area.longitudeCenter, 6)
