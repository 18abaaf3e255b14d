"""Search text: one normaliser for the indexed column `RegistryEntry.search_text` and for the query `q`.

    document_text(document)    " hot roll coil s355mc 355mc mc 热轧 轧卷 卷板 板 | huadong iron steel co 华东 … "
    query_words("coil hot-rolled")   [Word("coil", ("coil",)), Word("hot-rolled", ("hot", "roll"))]

Text is folded the same way on both sides: Unicode compatibility forms (full-width ＨＲＢ４００Ｅ), case, accents,
British spellings (reference/search_synonyms.json), English endings (Snowball: "bars" = "bar", "galvanized" =
"galvan"), and punctuation, which splits words ("hot-rolled" = "hot rolled"). Chinese has no spaces: a run of
CJK characters is indexed as its character bigrams plus its last character, and a query run of two or more
characters becomes its bigrams, so 螺纹钢 finds 螺纹 and 纹钢, and a single 钢 finds any token starting with it.

A query token matches a document token that starts with it, so `S355` finds S355JR and `galv` finds
galvanized; a number of one or two digits matches whole tokens only. The document also holds, for words joined
by punctuation, the joined form ("hotroll", "en10080", "gbt1499.2") and, for tokens mixing letters and digits,
their tails from each letter/digit boundary ("hrb400e" also as "400e"), so `HRB 400E`, `EN10080` and `400E`
match too. The registration number is held by its parts only (TextMatch's index would hold a joined number as a
lexeme of its own for every EPD).

The product names come first, then " | ", then everything else (manufacturer, category names and synonyms,
production route, grades, standards, registration number), so that "every word in the product names" (what
relevance ranks second, queries.py) is a match too. TextMatch is the one condition, spelt for each database:
SQLite scans with `search_text LIKE '% token%'` (`'% token%|%'` in the names); PostgreSQL looks up exact
lexemes in a GIN-indexed vector generated from search_text that holds every prefix of every token (migration
0011), and PostgreSQL's statistics of that vector bound how many EPDs a word can find (most_matches).
"""

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from time import monotonic

import snowballstemmer
from django.db import connection
from django.db.models import Expression, F
from django.db.models.expressions import RawSQL
from django.db.models.fields import BooleanField

from declarations import catalogue

NAMES_END = "|"
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\U00020000-\U0002ebef"
# A CJK run, or a run of letters and digits (digits may carry decimals: 1499.2, 1.4301).
_PART = re.compile(rf"([{_CJK}]+)|((?:(?![{_CJK}])[^\W_])+(?:\.\d+)*)")
_BOUNDARY = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")
_STEMMER = snowballstemmer.stemmer("english")
# Left out of a query of other words too ("rebar for bridges" needs no "for" in the EPD).
STOPWORDS = frozenset({"a", "an", "and", "for", "in", "of", "or", "the", "to", "with", "的"})


@dataclass(frozen=True)
class Word:
    """One word of the query as typed, and the tokens that must all match for it."""

    text: str
    tokens: tuple[str, ...]


def fold(text: str) -> str:
    """Compatibility forms, case and accents folded: "ＨＲＢ４００Ｅ Polígono" → "hrb400e poligono"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


@lru_cache(maxsize=65536)
def _latin(word: str) -> str:
    word = catalogue.american_spellings().get(word, word)
    return _STEMMER.stemWord(word) if word.isalpha() and len(word) > 2 else word


def _cjk_tokens(run: str, *, query: bool) -> list[str]:
    if len(run) == 1:
        return [run]
    bigrams = [run[i : i + 2] for i in range(len(run) - 1)]
    return bigrams if query else [*bigrams, run[-1]]


def _parts(chunk: str) -> list[tuple[bool, str]]:
    """(is CJK, text) for each run of a folded, whitespace-free chunk."""
    return [(bool(m.group(1)), m.group(0)) for m in _PART.finditer(chunk)]


def _tails(token: str) -> list[str]:
    """ "hrb400e" → ["400e"]: the token from each letter/digit boundary on, two characters or longer."""
    return [token[m.start() :] for m in _BOUNDARY.finditer(token) if len(token) - m.start() >= 2]


def _value_tokens(value: str, *, whole: bool = False, join: bool = True) -> list[str]:
    """The document tokens of one field value; `whole` also joins the entire value ("EN 10080" → "en10080"),
    `join=False` leaves out the joined forms of words joined by punctuation."""
    folded = fold(value)
    chunks = [folded.replace(" ", "")] if whole and " " in folded.strip() else []
    tokens: list[str] = []
    for chunk in folded.split() + chunks:
        latin = []
        for is_cjk, text in _parts(chunk):
            if is_cjk:
                tokens += _cjk_tokens(text, query=False)
            else:
                latin.append(text)
                token = _latin(text)
                tokens += [token, *_tails(token)]
        if join and len(latin) > 1:
            joined = _latin("".join(latin))
            tokens += [joined, *_tails(joined)]
    return tokens


def _line(tokens: list[str]) -> str:
    return " ".join(dict.fromkeys(tokens))


def document_text(document: dict) -> str:
    """The search text of a published EPD's document (the platform's full JSON as signed)."""
    product, manufacturer = document.get("product") or {}, document.get("manufacturer") or {}
    names = [product.get("name") or "", product.get("name_zh") or "", *(product.get("other_names") or {}).values()]
    category = product.get("category") or ""
    others = [
        manufacturer.get("name") or "",
        manufacturer.get("name_zh") or "",
        *catalogue.category_terms(category),
        *catalogue.route_terms(product.get("production_route") or ""),
    ]
    wholes = [*(product.get("grades") or []), *(product.get("standards") or [])]
    name_tokens = [t for value in names if isinstance(value, str) for t in _value_tokens(value)]
    other_tokens = [t for value in others for t in _value_tokens(value)]
    other_tokens += [t for value in wholes if isinstance(value, str) for t in _value_tokens(value, whole=True)]
    # The registration number by its parts only: a joined "epdsteel2026000123" would be a token of its own in
    # every EPD, and each prefix query ("epd", "2026") would enumerate them all in the full-text index.
    other_tokens += _value_tokens(document.get("registration_number") or "", join=False)
    return f" {_line(name_tokens)} {NAMES_END} {_line(other_tokens)} "


def query_words(q: str) -> list[Word]:
    """The words of `q` (split at spaces), each with the tokens that must all match; words without any
    letter or digit are left out, and so are stopwords among other words."""
    words = []
    chunks = q.split()
    meaningful = [chunk for chunk in chunks if fold(chunk) not in STOPWORDS]
    for chunk in meaningful or chunks:
        tokens: list[str] = []
        for is_cjk, text in _parts(fold(chunk)):
            if is_cjk:
                tokens += _cjk_tokens(text, query=True)
            else:
                # A number of one or two digits ("EN 10025-2") matches a whole token, not every number it starts.
                tokens.append(f"{text} " if text.isdigit() and len(text) <= 2 else _latin(text))
        if tokens:
            words.append(Word(chunk, tuple(dict.fromkeys(tokens))))
    return words


VECTOR_COLUMN = "search_vector"  # PostgreSQL only: generated from search_text (migration 0011), GIN-indexed
NAMES_MARK = "~"  # the vector holds each product-name token once more behind this mark


class TextMatch(Expression):
    """Every token starts a token of the search text (`names`: of the product names). One condition, two
    spellings: on PostgreSQL `search_vector @@ 'hot' & 'roll'` (exact lexemes: the vector holds every prefix,
    so GIN intersects posting lists), elsewhere `search_text LIKE '% hot%' AND …` (SQLite scans)."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, tokens: tuple[str, ...], names: bool = False):
        super().__init__()
        self.tokens, self.names = tokens, names
        self.column = F("search_text")

    def get_source_expressions(self):
        return [self.column]

    def set_source_expressions(self, expressions):
        (self.column,) = expressions

    def as_sql(self, compiler, connection):
        return self.sql_on(compiler.quote_name_unless_alias(self.column.alias), connection)

    def sql_on(self, table: str, connection) -> tuple[str, list]:
        """The condition on the rows of `table` (a quoted name or alias)."""
        if connection.vendor == "postgresql":
            return f"{table}.{connection.ops.quote_name(VECTOR_COLUMN)} @@ CAST(%s AS tsquery)", [tsquery(self.tokens, names=self.names)]
        pattern = f"%{NAMES_END}%" if self.names else "%"
        column = f"{table}.{connection.ops.quote_name('search_text')}"
        return "(" + " AND ".join([f"{column} LIKE %s"] * len(self.tokens)) + ")", [f"% {t}{pattern}" for t in self.tokens]


def with_vector(entries):
    """`entries` selecting the PostgreSQL vector too, for a TextMatch on an outer query (sql_on) to check."""
    if connection.vendor != "postgresql":
        return entries  # search_text is selected anyway
    table = connection.ops.quote_name(entries.model._meta.db_table)
    return entries.annotate(**{VECTOR_COLUMN: RawSQL(f"{table}.{connection.ops.quote_name(VECTOR_COLUMN)}", ())})


# The vector's lexeme statistics, per process: (deadline on the monotonic clock, rows, share by lexeme, share of
# the rarest lexeme counted), read from pg_stats, which ANALYZE (and autovacuum) keeps.
_STATISTICS: list[tuple[float, float, dict[str, float], float]] = []
STATISTICS_SECONDS = 300


def _statistics() -> tuple[float, dict[str, float], float] | None:
    """(rows, share by lexeme, share of the rarest lexeme counted) of the vector, or None without statistics."""
    if connection.vendor != "postgresql":
        return None
    if not _STATISTICS or _STATISTICS[0][0] < monotonic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.reltuples, s.most_common_elems::text::text[], s.most_common_elem_freqs FROM pg_class c"
                " LEFT JOIN pg_stats s ON s.tablename = c.relname AND s.attname = %s WHERE c.relname = %s",
                [VECTOR_COLUMN, "registry_registryentry"],
            )
            rows, lexemes, shares = cursor.fetchone() or (0, None, None)
        # most_common_elem_freqs ends with the least and the greatest share of the lexemes before it.
        known = dict(zip(lexemes, shares, strict=False)) if lexemes else {}
        _STATISTICS[:] = [(monotonic() + STATISTICS_SECONDS, rows, known, shares[-2] if shares else 1.0)]
    _deadline, rows, known, rarest = _STATISTICS[0]
    return (rows, known, rarest) if rows > 0 and known else None


def table_rows() -> float | None:
    """About how many rows the registry has (PostgreSQL's statistics), or None without statistics."""
    statistics = _statistics()
    return statistics[0] if statistics else None


def most_matches(match: TextMatch) -> int | None:
    """At most how many EPDs `match` can find, from PostgreSQL's statistics: the rows times the share of the
    rarest of its lexemes (a bound that holds however the words go together, unlike the planner's estimate,
    which multiplies the shares); as exact as ANALYZE's sample, which is every row up to 300,000 rows at the
    vector's statistics target. None where there are no statistics (SQLite; before the first ANALYZE)."""
    statistics = _statistics()
    if statistics is None:
        return None
    rows, known, rarest = statistics
    terms = tsquery_terms(match.tokens, names=match.names)
    # Shares are float4: rounded up, so that rows × share is never a hair below the count it stands for.
    return math.ceil(rows * min(1.0 if prefix else known.get(lexeme, rarest) for lexeme, prefix in terms) * (1 + 1e-6))


def tsquery(tokens: tuple[str, ...], *, names: bool = False) -> str:
    """The tsquery of `tokens` for the vector of migration 0011, where every prefix of a token is a lexeme:
    "'hot' & 'roll'"; a whole number ("10 ") as "'=10'"; a single ASCII letter by prefix ("'h':*")."""
    return " & ".join(
        "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'" + (":*" if prefix else "")
        for lexeme, prefix in tsquery_terms(tokens, names=names)
    )


def tsquery_terms(tokens: tuple[str, ...], *, names: bool = False) -> list[tuple[str, bool]]:
    """(lexeme, matched by prefix) of each token."""
    mark = NAMES_MARK if names else ""
    return [
        (mark + "=" + token.strip(), False) if token.endswith(" ") else (mark + token, len(token) == 1 and token.isascii())
        for token in tokens
    ]


def _tokens(words: list[Word]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(token for word in words for token in word.tokens))


def matches(words: list[Word]) -> TextMatch:
    """Every token of every word starts a token of the search text."""
    return TextMatch(_tokens(words))


def matches_names(words: list[Word]) -> TextMatch:
    """Every token of every word starts a token of the product names."""
    return TextMatch(_tokens(words), names=True)
