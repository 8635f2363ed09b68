"""Numbers, dates, quantities and units found in text, normalised so they can be compared.

- Number words become digits with ``text_to_num.alpha2digit`` (the text2num library):
  "twelve percent" -> 12 %, "one point five million" -> 1,500,000.
- Scale words multiply: "1.5 million", "1.5m", "$2bn", "3 thousand".
- A number joined by a hyphen to a capital letter is part of a name, not a quantity
  ("U-30", "COVID-19", "F-16"); the entity check sees it.
- Percentages: "12%", "12 percent", "12 per cent" all carry the unit ``%``.
- Dates: "March 5, 2010", "5 March 2010", "March 2010", "2010-03-05" are parsed with
  ``dateutil.parser`` into ``(year, month, day)`` with missing parts left ``None``; so are a
  day and a capitalised month without a year ("May 7", "7th of May", "March 4th": web pages
  write dates of their own year so); a lone four-digit number between 1000 and 2100 is a
  year, and with an "s" a decade ("1980s", "2000's"), matched by any year in it.

Everything is a ``Quantity(kind, value, unit, text)`` where ``kind`` is ``number``, ``year``
or ``date``; ``value`` is a float for numbers and years and a ``(year, month, day)`` tuple for
dates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from dateutil import parser as date_parser
from text_to_num import alpha2digit

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DATE = re.compile(
    rf"\b(?:(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>{_MONTHS})\.?,?\s+(?P<y1>\d{{4}})"
    rf"|(?P<m2>{_MONTHS})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{{4}})"
    rf"|(?P<m3>{_MONTHS})\.?,?\s+(?P<y3>\d{{4}})"
    rf"|(?P<iso>\d{{4}}-\d{{2}}-\d{{2}}))\b",
    re.IGNORECASE,
)
_CAP_MONTHS = "|".join(m.capitalize() for m in _MONTHS.split("|"))
_DAY_MONTH = re.compile(
    rf"\b(?:(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>{_CAP_MONTHS})\b\.?"
    rf"|(?P<m2>{_CAP_MONTHS})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?)(?![\d,.:]*\d)"
)
"""A day and month without a year ("May 7", "7th of May", "March 4th"), as web pages write
dates in the year they are published; the month must be capitalised ("may 7" is a verb)."""
_NUMBER = re.compile(
    r"(?<![\w.])(?<!(?-i:[A-Z])[-‐])(?P<cur>[$€£¥])?\s?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s?(?P<scale>thousand|million|billion|trillion|bn|mn|[kmb](?![a-z])|1000(?:000){0,3}(?!\d)))?"
    r"(?:\s?(?P<pct>%|percent\b|per cent\b|percentage points?\b))?",
    re.IGNORECASE,
)
_SCALE = {
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "mn": 1e6,
    "m": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "trillion": 1e12,
    "1000": 1e3,
    "1000000": 1e6,
    "1000000000": 1e9,
    "1000000000000": 1e12,
}
_DECADE_END = re.compile(r"['’]?s\b")
"""After a year ending in 0: "1980s", "2000's" name a decade."""
_NUMBER_WORD = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundred|thousand|million|billion|trillion|dozen|first|second|third)\b",
    re.IGNORECASE,
)
_APPROX = re.compile(
    r"\b(?:about|around|approximately|roughly|nearly|almost|some|over|more than|less than|"
    r"fewer than|up to|at least|estimated|an estimated|circa|close to|under)\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Quantity:
    """A normalised number, year or date found in text.

    ``kind``: ``number`` | ``year`` | ``decade`` | ``date``. ``value``: float (number, year,
    first year of a decade) or
    ``(year, month, day)`` with ``None`` for missing parts (date). ``unit``: ``%``, a currency
    sign or ``""``. ``approx``: the text hedges it ("about", "over", "nearly"). ``text``: the
    matched text (after number words were turned into digits).
    """

    kind: str
    value: float | tuple[int | None, int | None, int | None]
    unit: str = ""
    approx: bool = False
    text: str = ""


def _normalise_words(text: str) -> str:
    if not _NUMBER_WORD.search(text):
        return text
    try:
        return alpha2digit(text, "en")
    except Exception:  # the library is robust, but never let odd text break a check
        return text


@lru_cache(maxsize=50_000)
def quantities(text: str) -> tuple[Quantity, ...]:
    """All numbers, years and dates in ``text``, in order (see the module docstring)."""
    text = _normalise_words(text)
    out: list[Quantity] = []
    taken: list[tuple[int, int]] = []
    for m in _DATE.finditer(text):
        q = _parse_date(m)
        if q is not None:
            out.append(q)
            taken.append(m.span())
    for m in _DAY_MONTH.finditer(text):
        if any(a <= m.start() < b or a < m.end() <= b for a, b in taken):
            continue
        q = _parse_day_month(m)
        if q is not None:
            out.append(q)
            taken.append(m.span())
    for m in _NUMBER.finditer(text):
        s, e = m.span("num")
        if any(a <= s < b for a, b in taken):
            continue
        raw = m.group("num").replace(",", "")
        try:
            value = float(raw)
        except ValueError:
            continue
        scale = (m.group("scale") or "").lower()
        pct = m.group("pct")
        cur = m.group("cur") or ""
        approx = bool(_APPROX.search(text, max(0, m.start() - 25), m.start()))
        if scale:
            value *= _SCALE.get(scale, 1.0)
        elif (
            not pct
            and not cur
            and "." not in raw
            and "," not in m.group("num")
            and 1000 <= value <= 2100
        ):
            decade = value % 10 == 0 and _DECADE_END.match(text, m.end("num"))
            kind = "decade" if decade else "year"
            out.append(Quantity(kind, value, "", approx, m.group(0).strip()))
            continue
        unit = "%" if pct else cur
        out.append(Quantity("number", value, unit, approx, m.group(0).strip()))
    return tuple(out)


def _parse_date(m: re.Match[str]) -> Quantity | None:
    g = m.groupdict()
    try:
        if g["iso"]:
            d = date_parser.isoparse(g["iso"])
            value: tuple[int | None, int | None, int | None] = (d.year, d.month, d.day)
        else:
            month_word = g["m1"] or g["m2"] or g["m3"]
            year = int(g["y1"] or g["y2"] or g["y3"])
            day_text = g["d1"] or g["d2"]
            d = date_parser.parse(f"{month_word} {day_text or 1} {year}")
            value = (d.year, d.month, int(day_text) if day_text else None)
    except (ValueError, OverflowError):
        return None
    return Quantity("date", value, "", False, m.group(0))


def _parse_day_month(m: re.Match[str]) -> Quantity | None:
    g = m.groupdict()
    day = int(g["d1"] or g["d2"])
    try:
        # A leap year, so that 29 February parses; the year itself is not stated.
        d = date_parser.parse(f"{g['m1'] or g['m2']} {day} 2000")
    except (ValueError, OverflowError):
        return None
    return Quantity("date", (None, d.month, day), "", False, m.group(0))


def _close(a: float, b: float, approx: bool) -> bool:
    if a == b:
        return True
    tol = 0.1 if approx else 0.01
    if abs(a - b) <= tol * max(abs(a), abs(b)):
        return True
    # "1.5 million" for 1,482,000: the evidence rounded to the claim's significant digits.
    if b != 0 and a != 0:
        digits = len(f"{abs(a):.15g}".replace(".", "").rstrip("0").lstrip("0")) or 1
        return float(f"{b:.{digits}g}") == float(f"{a:.{digits}g}")
    return False


def _same_date(c: tuple, e: tuple) -> bool:
    """Whether evidence date ``e`` states claim date ``c`` (``(year, month, day)``, ``None`` for
    a missing part): the months agree, the claim's day is the evidence's day, and the years agree
    where both are given. A year the evidence leaves out (a web page's "May 7", written in the
    year it was published) is not held against the claim, but then the day must be stated."""
    (cy, cm, cd), (ey, em, ed) = c, e
    if cm != em or (cd is not None and cd != ed):
        return False
    if cy is not None and ey is not None:
        return cy == ey
    return cd is not None


def matches(claim_q: Quantity, evidence_qs: tuple[Quantity, ...]) -> bool:
    """Whether a claim quantity is stated in the evidence (numbers within rounding, dates
    agreeing on every part the claim states, a year matching a date's year)."""
    for e in evidence_qs:
        if claim_q.kind == "date":
            if e.kind == "date" and _same_date(claim_q.value, e.value):  # type: ignore[arg-type]
                return True
        elif claim_q.kind == "decade":
            year = e.value[0] if e.kind == "date" else e.value
            if (
                e.kind in ("year", "decade", "date")
                and year is not None
                and claim_q.value <= year < claim_q.value + 10  # type: ignore[operator]
            ):
                return True
        elif claim_q.kind == "year":
            if e.kind == "year" and e.value == claim_q.value:
                return True
            if e.kind == "date" and e.value[0] == claim_q.value:  # type: ignore[index]
                return True
            if e.kind == "number" and e.value == claim_q.value:
                return True
        elif (
            e.kind in ("number", "year")
            and _close(claim_q.value, e.value, claim_q.approx or e.approx)  # type: ignore[arg-type]
            and (not claim_q.unit or not e.unit or claim_q.unit == e.unit)
        ):
            return True
    return False


def comparable(claim_q: Quantity, evidence_qs: tuple[Quantity, ...]) -> bool:
    """Whether the evidence states a quantity of the same kind (and unit) as ``claim_q``:
    if so and it does not match, the evidence gives a *different* value."""
    for e in evidence_qs:
        if claim_q.kind == "date" and claim_q.value[0] is None:  # type: ignore[index]
            if e.kind == "date":  # a day and month without a year compares only with dates
                return True
        elif claim_q.kind in ("date", "year", "decade") and e.kind in ("date", "year", "decade"):
            year = claim_q.value[0] if claim_q.kind == "date" else claim_q.value  # type: ignore[index]
            if e.kind != "decade" or not e.value <= year < e.value + 10:  # type: ignore[operator]
                return True
        if claim_q.kind == "number" and e.kind == "number" and claim_q.unit == e.unit:
            return True
    return False
