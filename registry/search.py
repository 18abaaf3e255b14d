"""Search text: one normaliser for the indexed column `RegistryEntry.search_text` and for the query `q`.

    document_text(document)    " hot roll coil s355mc 355mc mc 热轧 轧卷 卷板 板 | huadong iron steel co 华东 … "
    query_words("coil hot-rolled")   [Word("coil", ("coil",)), Word("hot-rolled", ("hot", "roll"))]

Text is folded the same way on both sides: Unicode compatibility forms (full-width ＨＲＢ４００Ｅ), case, accents,
British spellings (reference/search_synonyms.json), English endings (Snowball: "bars" = "bar", "galvanized" =
"galvan"), and punctuation, which splits words ("hot-rolled" = "hot rolled"). Chinese has no spaces: a run of
CJK characters is indexed as its character bigrams plus its last character, and a query run of two or more
characters becomes its bigrams, so 螺纹钢 finds 螺纹 and 纹钢, and a single 钢 finds any token starting with it.

A query token matches a document token that starts with it, written `search_text LIKE '% token%'`, so `S355`
finds S355JR and `galv` finds galvanized; a number of one or two digits matches whole tokens only. The
document also holds, for words joined by punctuation, the joined form ("hotroll", "en10080", "gbt1499.2")
and, for tokens mixing letters and digits, their tails from each letter/digit boundary ("hrb400e" also as
"400e"), so `HRB 400E`, `EN10080` and `400E` match too.

The product names come first, then " | ", then everything else (manufacturer, category names and synonyms,
production route, grades, standards, registration number): `LIKE '% token%|%'` matches in the product names
only, which is what relevance ranks second (queries.py). SQLite answers these LIKEs by scanning; PostgreSQL
from a GIN trigram index on the same column (migrations 0003 and 0009). Nothing else is indexed.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
from django.db.models import F, Q, Value
from django.db.models.fields import BooleanField
from django.db.models.lookups import Lookup

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


def _value_tokens(value: str, *, whole: bool = False) -> list[str]:
    """The document tokens of one field value; `whole` also joins the entire value ("EN 10080" → "en10080")."""
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
        if len(latin) > 1:
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
    wholes = [*(product.get("grades") or []), *(product.get("standards") or []), document.get("registration_number") or ""]
    name_tokens = [t for value in names if isinstance(value, str) for t in _value_tokens(value)]
    other_tokens = [t for value in others for t in _value_tokens(value)]
    other_tokens += [t for value in wholes if isinstance(value, str) for t in _value_tokens(value, whole=True)]
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


class Like(Lookup):
    """`field LIKE pattern`, the pattern used as given: search tokens hold no LIKE wildcards."""

    lookup_name = "search_like"
    prepare_rhs = False

    @property
    def output_field(self):
        return BooleanField()

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs}", [*lhs_params, *rhs_params]


def matches(words: list[Word]) -> Q:
    """Every token of every word starts a token of the search text."""
    return Q(*(Like(F("search_text"), Value(f"% {token}%")) for word in words for token in word.tokens))


def matches_names(words: list[Word]) -> Q:
    """Every token of every word starts a token of the product names."""
    return Q(*(Like(F("search_text"), Value(f"% {token}%{NAMES_END}%")) for word in words for token in word.tokens))
