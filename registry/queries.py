"""Registry search: the public query parameters (PRODUCT.md) validated and turned into a queryset.

    entries, ordering = queries.search(request.GET)     # raises BadQuery naming every wrong parameter

Used by the API (registry/public.py) and the search page (registry/pages.py), so both accept and refuse
exactly the same things. By default only the latest version of each EPD is listed, and only valid ones;
`status=superseded` (or `any`) lists older versions too.
"""

import bisect
import difflib
import functools
import json
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from time import monotonic

from django.db import connection
from django.db.models import Case, Count, F, IntegerField, OrderBy, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from declarations import catalogue
from declarations.errors import DomainError
from declarations.validation import ERROR, Finding

from . import search as text
from .documents import REGISTRATION_PREFIX
from .models import RegistryEntry, RegistryStatus
from .search import TextMatch

MAX_TEXT = 100
MAX_PAGE_SIZE = 100
ORDERINGS = {
    "gwp_a1a3": ("gwp_a1a3", "id"),
    "-gwp_a1a3": ("-gwp_a1a3", "-id"),
    "gwp_a1a3_per_tonne": ("gwp_a1a3_per_tonne", "id"),
    "-gwp_a1a3_per_tonne": ("-gwp_a1a3_per_tonne", "-id"),
    "published_at": ("published_at", "id"),
    "-published_at": ("-published_at", "-id"),
    "valid_until": ("valid_until", "id"),
    "-valid_until": ("-valid_until", "-id"),
    "recycled_content": ("recycled_content", "id"),
    "-recycled_content": ("-recycled_content", "-id"),
    "product_name": ("product_name", "id"),
    "registration_number": ("registration_number", "id"),
    # With `q`, the default: the EPD whose registration number q is, then EPDs whose product names hold every
    # word, then the others; newest first within each (ranked_pages() pages it without sorting every match).
    "relevance": ("relevance", "-published_at", "-id"),
}
DEFAULT_ORDERING = "-published_at"
RELEVANCE = "relevance"
CATEGORY_GROUPS = sorted({code.split(".")[0] for code in catalogue.CATEGORY_BY_CODE})
ROUTES = [value for value, _label in catalogue.ProductionRoute.choices]
PARAMETERS = (
    "q", "category", "country", "production_route", "manufacturer", "pcr", "status", "valid_on",
    "gwp_a1a3_min", "gwp_a1a3_max", "recycled_content_min", "published_after", "published_before", "ordering",
)  # fmt: skip


class BadQuery(DomainError):
    code = "invalid_query"

    @classmethod
    def of(cls, parameter: str, message: str) -> "BadQuery":
        """One wrong parameter, named in the findings as the others are."""
        return cls(message, [Finding(ERROR, "parameter", message, field=parameter)])


@dataclass
class Query:
    """The validated parameters (None where not given), for the page to refill its form."""

    q: str = ""
    category: str = ""
    country: str = ""
    production_route: str = ""
    manufacturer: int | None = None
    pcr: str = ""
    statuses: tuple[str, ...] = (RegistryStatus.VALID,)
    valid_on: date | None = None
    gwp_a1a3_min: Decimal | None = None
    gwp_a1a3_max: Decimal | None = None
    recycled_content_min: Decimal | None = None
    published_after: datetime | None = None
    published_before: datetime | None = None
    ordering: str = DEFAULT_ORDERING

    @property
    def words(self) -> list[text.Word]:
        return text.query_words(self.q)

    @property
    def ranked(self) -> bool:
        return self.ordering == RELEVANCE and bool(self.words)


class _Reader:
    def __init__(self, params):
        self.params = params
        self.findings: list[Finding] = []

    def problem(self, name: str, message: str) -> None:
        self.findings.append(Finding(ERROR, "parameter", message, field=name))

    def text(self, name: str, limit: int = MAX_TEXT) -> str:
        raw = self.params.get(name)
        if raw is None:
            return ""
        if raw == "":
            # An API parameter is given with a value or left out; the search page drops its empty fields.
            self.problem(name, _("%(name)s is empty; leave it out to not filter by it.") % {"name": name})
            return ""
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in raw):
            self.problem(name, _("%(name)s contains a control character (such as a NUL byte).") % {"name": name})
            return ""
        if len(raw) > limit:
            self.problem(name, _("%(name)s is longer than %(limit)d characters.") % {"name": name, "limit": limit})
            return ""
        return raw.strip()

    def decimal(self, name: str, low: Decimal | None = None, high: Decimal | None = None) -> Decimal | None:
        raw = self.text(name, 40)
        if not raw:
            return None
        try:
            value = Decimal(raw)
        except InvalidOperation:
            self.problem(name, _("%(name)s must be a number, not “%(value)s”.") % {"name": name, "value": raw})
            return None
        if not value.is_finite() or (low is not None and value < low) or (high is not None and value > high) or abs(value) > 10**12:
            self.problem(name, _("%(name)s is out of range.") % {"name": name})
            return None
        return value

    def day(self, name: str) -> date | None:
        raw = self.text(name, 40)
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.problem(name, _("%(name)s must be a date like 2026-11-24, not “%(value)s”.") % {"name": name, "value": raw})
            return None

    def moment(self, name: str, end_of_day: bool = False) -> datetime | None:
        raw = self.text(name, 40)
        if not raw:
            return None
        try:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            self.problem(name, _("%(name)s must be a date or date-time (ISO 8601), not “%(value)s”.") % {"name": name, "value": raw})
            return None
        if len(raw) == 10 and end_of_day:
            moment = datetime.combine(moment.date(), time.max)
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, timezone.get_default_timezone())
        try:
            # In UTC: PostgreSQL refuses offsets beyond ±15:59 that ISO 8601 and Python accept (e.g. -22:50).
            return moment.astimezone(UTC)
        except OverflowError:
            self.problem(name, _("%(name)s is out of range.") % {"name": name})
            return None


def parse(params) -> Query:
    """Validate every parameter; BadQuery lists all wrong ones at once."""
    read = _Reader(params)
    query = Query(q=read.text("q"))
    category = read.text("category", 40)
    if category and category not in catalogue.CATEGORY_BY_CODE and category not in CATEGORY_GROUPS:
        read.problem("category", _("Unknown category “%(value)s”; see /api/v1/categories/.") % {"value": category})
    else:
        query.category = category
    country = read.text("country", 10).upper()
    if country and not re.fullmatch(r"[A-Z]{2}", country):
        read.problem("country", _("country must be a two-letter ISO 3166 code such as CN or DE."))
    else:
        query.country = country
    route = read.text("production_route", 20)
    if route and route not in ROUTES:
        read.problem("production_route", _("production_route must be one of %(values)s.") % {"values": ", ".join(ROUTES)})
    else:
        query.production_route = route
    manufacturer = read.text("manufacturer", 20)
    if manufacturer and not (manufacturer.isdigit() and int(manufacturer) < 2**63):
        read.problem("manufacturer", _("manufacturer must be a manufacturer id (see /api/v1/manufacturers/)."))
    elif manufacturer:
        query.manufacturer = int(manufacturer)
    query.pcr = read.text("pcr", 60)
    status = read.text("status", 80)
    if status:
        statuses = tuple(s.strip() for s in status.split(",") if s.strip())
        if statuses == ("any",):
            query.statuses = tuple(RegistryStatus.values)
        elif not statuses or any(s not in RegistryStatus.values for s in statuses):
            read.problem(
                "status",
                _("status must be any, or one or more (comma-separated) of %(values)s.") % {"values": ", ".join(RegistryStatus.values)},
            )
        else:
            query.statuses = statuses
    query.valid_on = read.day("valid_on")
    query.gwp_a1a3_min = read.decimal("gwp_a1a3_min")
    query.gwp_a1a3_max = read.decimal("gwp_a1a3_max")
    query.recycled_content_min = read.decimal("recycled_content_min", Decimal(0), Decimal(100))
    query.published_after = read.moment("published_after")
    query.published_before = read.moment("published_before", end_of_day=True)
    page_size = read.text("page_size", 10)
    if page_size and not (page_size.isdigit() and 1 <= int(page_size) <= MAX_PAGE_SIZE):
        read.problem("page_size", _("page_size must be a whole number from 1 to %(max)d.") % {"max": MAX_PAGE_SIZE})
    ordering = read.text("ordering", 40)
    if ordering and ordering not in ORDERINGS:
        read.problem("ordering", _("ordering must be one of %(values)s.") % {"values": ", ".join(ORDERINGS)})
    else:
        query.ordering = ordering or (RELEVANCE if query.q else DEFAULT_ORDERING)
    if read.findings:
        raise BadQuery(_("Some search parameters are wrong."), read.findings)
    return query


def filtered(query: Query) -> QuerySet[RegistryEntry]:
    entries = RegistryEntry.objects.filter(status__in=query.statuses)
    if RegistryStatus.SUPERSEDED not in query.statuses:
        entries = entries.filter(is_latest=True)
    if query.words:
        entries = entries.filter(text.matches(query.words))
    if query.category in CATEGORY_GROUPS:
        entries = entries.filter(Q(category=query.category) | Q(category__startswith=f"{query.category}."))
    elif query.category:
        entries = entries.filter(category=query.category)
    conditions = {
        "country": query.country,
        "production_route": query.production_route,
        "manufacturer_id": query.manufacturer,
        "pcr_code": query.pcr,
        "gwp_a1a3__gte": query.gwp_a1a3_min,
        "gwp_a1a3__lte": query.gwp_a1a3_max,
        "recycled_content__gte": query.recycled_content_min,
        "published_at__gte": query.published_after,
        "published_at__lte": query.published_before,
        "issued__lte": query.valid_on,
        "valid_until__gte": query.valid_on,
    }
    return entries.filter(**{name: value for name, value in conditions.items() if value not in (None, "")})


def search(params) -> tuple[QuerySet[RegistryEntry], tuple[str, ...]]:
    """The entries matching `params` (a QueryDict or dict) and the ordering to page them by."""
    return ordered(parse(params))


def ordered(query: Query) -> tuple[QuerySet[RegistryEntry], tuple[str, ...]]:
    """The entries matching `query` and the ordering to page them by (relevance as an annotation)."""
    entries = filtered(query)
    if query.ranked:
        return entries.annotate(relevance=relevance(query)), ORDERINGS[RELEVANCE]
    if query.ordering == RELEVANCE:  # relevance without words to rank by: newest first
        return entries, ORDERINGS[DEFAULT_ORDERING]
    return entries, ORDERINGS[query.ordering]


def _exact_number(query: Query) -> Q | None:
    number = query.q.strip().upper()
    return Q(registration_number=number) if number.startswith(REGISTRATION_PREFIX) and " " not in number else None


def relevance(query: Query) -> Case:
    """0 for the EPD whose registration number `q` is, 1 where the product names hold every word, else 2."""
    exact = _exact_number(query)
    return Case(
        *([When(exact, then=Value(0))] if exact is not None else []),
        When(text.matches_names(query.words), then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


# A text search reads this many rows in page order before it considers the full-text index (first_rows); it
# asks the index first when the index can find at most INDEX_FIRST_MATCHES; it reads on in page order as far as
# WALK_ROWS_MAX rows when that costs less than gathering every match (reading a row in order and checking its
# words costs about twice what gathering a match from the index and sorting it does).
PROBE_ROWS = 1000
INDEX_FIRST_MATCHES = 2000
WALK_ROWS_MAX = 20000
WALK_ROUNDS = 3
WALK_COST = 2


def first_rows(
    entries: QuerySet[RegistryEntry], match: TextMatch, ordering: tuple[str, ...], size: int, narrowed: bool = True
) -> list[RegistryEntry]:
    """The first `size` of `entries` in `ordering` whose text is a `match`, read whichever way is cheap.

    A planner cannot tell how many EPDs hold both "hot" and "coil": it multiplies their shares as if independent
    and, thinking a few hundred rows match, gathers every match from the index and sorts them (ten thousand at
    100,000 EPDs); or, thinking many match, walks the whole table in page order for a rare word. So:
    - where at most INDEX_FIRST_MATCHES EPDs can match, the index gathers the matches and they are sorted: when
      one of the words is that rare (text.most_matches: a registration number, a manufacturer's name), or the
      other filters leave that few (the planner's estimate, which is good for plain columns: a country; asked
      only when `narrowed`, i.e. the search has filters besides its words and status);
    - otherwise the first PROBE_ROWS rows in page order are read and checked one by one, which stops as soon as
      the page is full: words on more than about 2 % of the EPDs go no further;
    - if the page is not full, reading further in page order (at most WALK_ROUNDS reads, each at least twice as
      far, as far as the share of matches seen says the page needs) while that costs less than gathering, whose
      cost is bounded by the rarest word's EPDs: never the planner's product of shares."""
    bound, rows = text.most_matches(match), text.table_rows()
    estimate = _estimated_rows(entries) if narrowed and bound is not None and bound > INDEX_FIRST_MATCHES else None
    if bound is not None and (bound <= INDEX_FIRST_MATCHES or (estimate is not None and estimate <= INDEX_FIRST_MATCHES)):
        return _gathered(entries, match, ordering, size)
    # Gathering reads at most as many rows as hold the rarest word or pass the filters; reading in page order
    # passes over the rows the filters drop too (rows / estimate of them for each one kept).
    gather = min(bound, estimate) if bound is not None and estimate is not None else bound
    skipped = rows / estimate if rows and estimate else 1
    window = PROBE_ROWS
    for _round in range(WALK_ROUNDS):
        found = _walked(entries, match, ordering, size, window)
        if len(found) >= size or gather is None:
            break
        # Matches come in runs (an EPD's versions, a mill's products published together, words that go with
        # low or high GWP), so the share seen so far is a guess: read at least twice as far, while that costs
        # less than gathering.
        window = max(2 * window, int(window * size / len(found) * 1.25)) if found else 4 * window
        if window > WALK_ROWS_MAX or window * WALK_COST * skipped >= gather:
            break
    return found if len(found) >= size else _gathered(entries, match, ordering, size)


def _estimated_rows(entries: QuerySet) -> float:
    """How many rows PostgreSQL's planner expects `entries` to have."""
    sql, params = entries.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]["Plan Rows"]


def _walked(entries, match: TextMatch, ordering: tuple[str, ...], size: int, window: int) -> list[RegistryEntry]:
    """The matches among the first `window` of `entries` in page order (stops when `size` are found)."""
    window_sql, window_params = text.with_vector(entries).order_by(*_order_by(ordering))[:window].query.sql_with_params()
    condition, condition_params = match.sql_on("w", connection)
    return list(
        RegistryEntry.objects.raw(
            f"SELECT {_entry_columns('w')} FROM ({window_sql}) w WHERE {condition} ORDER BY {_order_list('w', ordering)} LIMIT %s",
            [*window_params, *condition_params, size],
        )
    )


def _gathered(entries, match: TextMatch, ordering: tuple[str, ...], size: int) -> list[RegistryEntry]:
    """The first `size` matches, every match gathered (from the full-text index) and sorted. On PostgreSQL in a
    materialised CTE, so that the planner cannot choose to walk the table in page order instead, and only the
    ids and sort keys of the matches are sorted; the page's rows are read after."""
    matching = entries.filter(match)
    if connection.vendor != "postgresql":
        return list(matching.order_by(*_order_by(ordering))[:size])
    keys = list(dict.fromkeys(["id", *(name.lstrip("-") for name in ordering)]))
    sql, params = matching.order_by().values(*keys).query.sql_with_params()
    return list(
        RegistryEntry.objects.raw(
            f"WITH m AS MATERIALIZED ({sql}), top AS (SELECT * FROM m ORDER BY {_order_list('m', ordering)} LIMIT %s)"
            f" SELECT {_entry_columns('e')} FROM top JOIN {RegistryEntry._meta.db_table} e ON e.id = top.id"
            f" ORDER BY {_order_list('top', ordering)}",
            [*params, size],
        )
    )


def _entry_columns(alias: str) -> str:
    """The entry's columns on the rows of `alias`, by name: on PostgreSQL the row also holds the search vector,
    which a page does not need to carry."""
    return ", ".join(f"{alias}.{connection.ops.quote_name(f.column)}" for f in RegistryEntry._meta.concrete_fields)


def _order_by(ordering: tuple[str, ...]) -> list[OrderBy]:
    """Null values last in ascending and first in descending order, as PostgreSQL's indexes hold them, on
    every database (SQLite would put them first in ascending order)."""
    return [F(name[1:]).desc(nulls_first=True) if name.startswith("-") else F(name).asc(nulls_last=True) for name in ordering]


def _order_list(alias: str, ordering: tuple[str, ...]) -> str:
    """ORDER BY's list for the rows of `alias`, as _order_by orders them."""
    terms = []
    for name in ordering:
        column = f"{alias}.{connection.ops.quote_name(RegistryEntry._meta.get_field(name.lstrip('-')).column)}"
        terms.append(f"{column} DESC NULLS FIRST" if name.startswith("-") else f"{column} ASC NULLS LAST")
    return ", ".join(terms)


def after_position(ordering: tuple[str, ...], position: tuple) -> Q:
    """The rows after `position` (the values of `ordering`'s fields, the last one the id) in `_order_by` order."""
    (name, _id_name), (value, pk) = ordering, position
    field, descending = name.lstrip("-"), name.startswith("-")
    after = "lt" if descending else "gt"
    if value is None:  # among the nulls: the rest of them, then (descending) every value
        nulls = Q(**{f"{field}__isnull": True, f"id__{after}": pk})
        return nulls | Q(**{f"{field}__isnull": False}) if descending else nulls
    later = Q(**{f"{field}__{after}": value}) | Q(**{field: value, f"id__{after}": pk})
    return later | Q(**{f"{field}__isnull": True}) if not descending else later


def text_page(query: Query, after: tuple | None, size: int) -> list[tuple[int, RegistryEntry]]:
    """Up to `size` (tier, entry) of a search with words, after the position `after` = (tier, value, id) of the
    last entry of the page before, where value is the entry's value of the ordering field.

    In relevance order the tiers come one after the other (see relevance()), each newest first, each read by
    first_rows() only as far as the page needs; in any other order there is one tier. When a page has seen all
    of the product-name tier, the rest is "the matches but those", which the index answers well; "the matches
    whose names do not match" would be read row by row when the names match often."""
    entries, words = filtered(replace(query, q="")), query.words
    everything = text.matches(words)
    narrowed = any(getattr(query, name) not in (None, "") for name in DROPPABLE)
    if not query.ranked:
        tiers = [(0, entries, everything)]
        ordering = ORDERINGS[query.ordering]
    else:
        exact, names = _exact_number(query), text.matches_names(words)
        others = entries.exclude(exact) if exact is not None else entries
        tiers = [(1, others, names), (2, others, everything)]
        if exact is not None:
            tiers.insert(0, (0, entries.filter(exact), everything))
        ordering = ("-published_at", "-id")
    rows: list[tuple[int, RegistryEntry]] = []
    seen_all_names = after is None or after[0] == 0
    for tier, tier_entries, condition in tiers:
        if after is not None and tier < after[0]:
            continue
        if tier == 2 and query.ranked:
            named = [entry.pk for r, entry in rows if r == 1]
            tier_entries = tier_entries.exclude(pk__in=named) if seen_all_names else tier_entries.exclude(text.matches_names(words))
        if after is not None and tier == after[0]:
            tier_entries = tier_entries.filter(after_position(ordering, after[1:]))
        rows += [(tier, entry) for entry in first_rows(tier_entries, condition, ordering, size - len(rows), narrowed)]
        if len(rows) >= size:
            break
    return rows


def ordering_field(query: Query):
    """The field a page of a search with words is ordered by (its value is the cursor's position)."""
    name = ORDERINGS[DEFAULT_ORDERING if query.ranked else query.ordering][0]
    return RegistryEntry._meta.get_field(name.lstrip("-"))


FACETS = ("category", "production_route", "country")


def facets(query: Query) -> dict[str, list[dict]]:
    """How many of the matches fall in each category, production route and country (most first); one query."""
    counts: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    for row in filtered(query).order_by().values(*FACETS).annotate(n=Count("id")):
        for name in FACETS:
            counts[name][row[name]] = counts[name].get(row[name], 0) + row["n"]
    return {
        name: [{"value": value, "count": n} for value, n in sorted(values.items(), key=lambda item: (-item[1], item[0]))]
        for name, values in counts.items()
    }


# Below this many valid EPDs in a category, "lower than N %" says nothing and is not shown.
PERCENTILE_MIN_COUNT = 2


def category_percentile(entry: RegistryEntry, log_size: int | None = None) -> dict | None:
    """Where this EPD's GWP A1-A3 per tonne stands among the valid, latest EPDs of its category:
    the share of them with a higher value ("lower than 70 % of rebar EPDs")."""
    if entry.gwp_a1a3_per_tonne is None or not entry.category:
        return None
    values = category_values(entry.category, log_size)
    total = len(values)
    if total < PERCENTILE_MIN_COUNT:
        return {"category": entry.category, "count": total, "lower_than_percent": None}
    higher = total - bisect.bisect_right(values, float(entry.gwp_a1a3_per_tonne))
    return {"category": entry.category, "count": total, "lower_than_percent": round(100 * higher / total)}


# category → (log size, deadline on the monotonic clock, sorted values). A plain per-process dict rather than
# Django's cache: the local-memory cache pickles on every get, and at 1,000,000 EPDs a category holds about
# 100,000 values, which cost about a millisecond to unpickle on every single-EPD request.
_CATEGORY_VALUES: dict[str, tuple[int, float, list[float]]] = {}
CATEGORY_VALUES_SECONDS = 300


def forget_category_values() -> None:
    """Drop this process's cached category values (tests that change entries without logging do)."""
    _CATEGORY_VALUES.clear()


def category_values(category: str, log_size: int | None = None) -> list[float]:
    """The sorted GWP A1-A3 per tonne of the category's valid, latest EPDs, cached per process until the
    transparency log grows (every publication and status change appends to it) or five minutes pass.
    `log_size` is the log's size if the caller has read it already."""
    from . import transparency

    size = transparency.current_size() if log_size is None else log_size
    cached = _CATEGORY_VALUES.get(category)
    if cached is not None and cached[0] == size and cached[1] > monotonic():
        return cached[2]
    values = [
        float(v)
        for v in RegistryEntry.objects.filter(
            status=RegistryStatus.VALID, is_latest=True, category=category, gwp_a1a3_per_tonne__isnull=False
        )
        .order_by("gwp_a1a3_per_tonne")
        .values_list("gwp_a1a3_per_tonne", flat=True)
    ]
    _CATEGORY_VALUES[category] = (size, monotonic() + CATEGORY_VALUES_SECONDS, values)
    return values


# The filters a search that finds nothing may drop (beside words of q): Query fields named as the parameters.
DROPPABLE = (
    "category", "country", "production_route", "manufacturer", "pcr", "valid_on", "gwp_a1a3_min", "gwp_a1a3_max",
    "recycled_content_min", "published_after", "published_before",
)  # fmt: skip
MAX_SUGGESTIONS = 5


def suggestions(query: Query) -> list[dict]:
    """For a search that finds nothing: which word of q or which filter to drop (and how many EPDs that finds),
    and which words look like a misspelt category or route term. A few counts, run only when nothing was found."""
    found: list[dict] = []
    words = query.words
    if len(words) > 1:
        for word in words:
            rest = " ".join(w.text for w in words if w is not word)
            count = filtered(replace(query, q=rest)).count()
            if count:
                found.append({"drop": "q", "value": word.text, "q": rest, "count": count})
    for name in DROPPABLE:
        value = getattr(query, name)
        if value not in (None, ""):
            count = filtered(replace(query, **{name: "" if isinstance(value, str) else None})).count()
            if count:
                found.append({"drop": name, "value": str(value), "count": count})
    found.sort(key=lambda s: -s["count"])
    corrections = []
    for word in words:
        if not filtered(Query(q=word.text, statuses=query.statuses)).exists():
            # Not a term the search already reads as this word ("galvanised" for "galvanized", the word itself).
            others = [term for term in _vocabulary() if text.query_words(term)[0].tokens != word.tokens]
            close = difflib.get_close_matches(text.fold(word.text), others, n=1, cutoff=0.75)
            if close:
                corrections.append({"correct": word.text, "to": close[0], "q": query.q.replace(word.text, close[0])})
    return (corrections + found)[:MAX_SUGGESTIONS]


@functools.cache
def _vocabulary() -> list[str]:
    """The words of every category and route term, folded: what a misspelt query word is compared with."""
    terms = [t for c in catalogue.CATEGORIES for t in catalogue.category_terms(c.code)]
    terms += [t for route in ROUTES for t in catalogue.route_terms(route)]
    return sorted({word for term in terms for word in text.fold(term).replace("-", " ").split() if len(word) > 2})
