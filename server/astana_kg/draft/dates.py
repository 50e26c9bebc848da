"""Dates in an article: the dateline, explicit days and ranges, weekdays, "yesterday", "a day after",
"last December"; each resolved against a reference day with the phrase and a certainty kept.

>>> from datetime import date
>>> [(d.phrase, str(d.start), str(d.end)) for d in find_dates("Talks on May 3-4 ended.", 2017)]
[('May 3-4', '2017-05-03', '2017-05-04')]
>>> resolve_weekday("Thursday", date(2017, 5, 5), before=True)
datetime.date(2017, 5, 4)
>>> resolve_weekday("Thursday", date(2017, 7, 31), before=False)
datetime.date(2017, 8, 3)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {name: number for number, name in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], start=1)}
MONTHS.update({name[:3]: number for name, number in list(MONTHS.items())})
MONTHS["sept"] = 9
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

_MONTH = r"(?P<month>January|February|March|April|May|June|July|August|September|October|November|December|" \
         r"Jan\.|Feb\.|Mar\.|Apr\.|Jun\.|Jul\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)"
_DAY_FIRST = re.compile(rf"\b(?P<day>\d{{1,2}})(?:\s*[-–]\s*(?P<day2>\d{{1,2}}))?\s+{_MONTH}(?:,?\s+(?P<year>(?:19|20)\d\d))?\b")
_MONTH_FIRST = re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:\s*[-–]\s*(?P<day2>\d{{1,2}}))?(?:,\s+(?P<year>(?:19|20)\d\d))?\b(?!\s*(?:per ?cent|%|km))")
_WEEKDAY = re.compile(r"\b(?:(?:on|last|this|next)\s+)?(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")
_RELATIVE = re.compile(r"\b(?P<word>yesterday|today|earlier today|the day before|a day after|a day earlier|the next day|"
                       r"the following day)\b", re.IGNORECASE)
_LAST_MONTH = re.compile(rf"\b(?P<which>last|this|in)\s+{_MONTH}\b(?!\s+\d)")
_YEAR = re.compile(r"\b(?P<year>(?:19|20)\d\d)\b")
#: A dateline: ``ASTANA, May 5. /TASS/.`` or ``FAIRBANKS /United States/, May 12. /TASS/.``
DATELINE = re.compile(rf"(?P<place>[A-Z][A-Z .'-]+?)(?:\s*/[^/\n]+/)?,\s+{_MONTH}\s+(?P<day>\d{{1,2}})(?:,\s+(?P<year>\d{{4}}))?\."
                      r"(?:\s*/(?P<publisher>[^/\n]{2,40})/\.?)?")


@dataclass(frozen=True)
class DatePhrase:
    """A date expression: its span, words, kind and the days it names (start = end for one day).

    ``kind``: ``day`` (explicit), ``range``, ``month`` (a month without a day: bounds only),
    ``weekday``, ``relative`` (yesterday, a day after ...). ``start``/``end`` are None until the
    phrase is resolved (a weekday needs a reference day)."""

    begin: int
    finish: int
    phrase: str
    kind: str
    start: date | None
    end: date | None
    year_given: bool = True
    word: str = ""


def _month(name: str) -> int:
    return MONTHS[name.rstrip(".").lower()]


def _day(year: int | None, month: int, day: int) -> date | None:
    if year is None:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def find_dates(text: str, year: int | None, start: int = 0, end: int | None = None) -> list[DatePhrase]:
    """Every explicit date, range, month, weekday and relative phrase between ``start`` and ``end``.

    A day without a year takes ``year`` (``year_given`` False)."""
    end = len(text) if end is None else end
    found: list[DatePhrase] = []
    taken: list[tuple[int, int]] = []

    def free(s, e):
        return all(e <= a or s >= b for a, b in taken)

    for pattern in (_MONTH_FIRST, _DAY_FIRST):
        for m in pattern.finditer(text, start, end):
            if not free(*m.span()):
                continue
            y = int(m["year"]) if m["year"] else year
            first = _day(y, _month(m["month"]), int(m["day"]))
            last = _day(y, _month(m["month"]), int(m["day2"])) if m["day2"] else first
            if first is None and y is not None:
                continue
            found.append(DatePhrase(m.start(), m.end(), m.group(), "range" if m["day2"] else "day", first, last,
                                    bool(m["year"])))
            taken.append(m.span())
    for m in _LAST_MONTH.finditer(text, start, end):
        if not free(*m.span()):
            continue
        phrase = m.group() if m["which"] != "in" else m.group()[3:]
        begin = m.start() if m["which"] != "in" else m.start() + 3
        found.append(DatePhrase(begin, m.end(), phrase, "month", None, None, False, m["which"].lower()))
        taken.append(m.span())
    for m in _WEEKDAY.finditer(text, start, end):
        if free(*m.span()):
            found.append(DatePhrase(m.start("weekday"), m.end(), m["weekday"], "weekday", None, None, False))
            taken.append(m.span())
    for m in _RELATIVE.finditer(text, start, end):
        if free(*m.span()):
            found.append(DatePhrase(m.start(), m.end(), m.group(), "relative", None, None, False, m["word"].lower()))
            taken.append(m.span())
    return sorted(found, key=lambda d: d.begin)


def resolve_weekday(name: str, reference: date, before: bool) -> date:
    """The day called ``name`` nearest ``reference``: on or before it (an article's date) or on or
    after it (the last event an undated article reports)."""
    target = WEEKDAYS.index(name.lower())
    delta = (reference.weekday() - target) % 7
    return reference - timedelta(days=delta) if before else reference + timedelta(days=(target - reference.weekday()) % 7)


#: Days a relative phrase counts from its base day.
OFFSETS = {"yesterday": -1, "the day before": -1, "a day earlier": -1, "today": 0, "earlier today": 0,
           "a day after": 1, "the next day": 1, "the following day": 1}
#: Relative phrases that count from the article's day (the others, from a day the text gives before).
FROM_ARTICLE = ("yesterday", "today", "earlier today")


@dataclass(frozen=True)
class Resolved:
    """A phrase's day, how it was found (the derivation's comment) and its certainty."""

    value: date
    how: str
    certainty: str


def resolve(d: DatePhrase, meta) -> Resolved | None:
    """The day a weekday or a relative phrase names, counted from the article's day.

    ``meta`` is the article's metadata (:func:`astana_kg.draft.source.metadata`): a weekday is the
    one on or before the dateline's day (``meta.published``) or, in an article without one, on or
    after the latest day it prints (``meta.anchor``); "yesterday" and "today" need the dateline.
    Certain where the dateline prints its year, else Probable; "a day after" is Probable.

    >>> from types import SimpleNamespace
    >>> meta = SimpleNamespace(published=date(2017, 5, 5), anchor=None, certainty="Certain", year=2017,
    ...                        year_basis="the year 2017 the article prints")
    >>> [day] = find_dates("It opened on Wednesday.", 2017)
    >>> resolve(day, meta)
    Resolved(value=datetime.date(2017, 5, 3), how='‘Wednesday’ resolved against the dateline’s day, 2017-05-05 (the year 2017 the article prints)', certainty='Certain')
    """
    reference = meta.published or meta.anchor
    basis = "the dateline’s day" if meta.published else "the latest day the article prints"
    certainty = "Certain" if meta.published and meta.certainty == "Certain" else "Probable"
    if d.kind == "weekday" and reference:
        return Resolved(resolve_weekday(d.phrase, reference, before=meta.published is not None),
                        f"‘{d.phrase}’ resolved against {basis}, {reference.isoformat()} ({meta.year_basis})", certainty)
    if d.kind == "relative" and reference:
        if d.word in FROM_ARTICLE and not meta.published:
            return None
        return Resolved(reference + timedelta(days=OFFSETS[d.word]), f"‘{d.phrase}’ counted from {basis}, {reference.isoformat()}",
                        "Probable" if d.word == "a day after" else certainty)
    return None


def month_bounds(phrase: DatePhrase, reference: date) -> tuple[date, date]:
    """The first and last day of the month a phrase such as "last December" names: the latest such
    month before ``reference`` ("last", or a month after the reference's) or of its year."""
    month = _month(re.search(_MONTH, phrase.phrase)["month"])
    year = reference.year
    if phrase.word == "last" and month >= reference.month or month > reference.month:
        year -= 1
    first = date(year, month, 1)
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1))
    return first, last


def text_year(text: str) -> int | None:
    """The year the article's dates belong to: the most frequent four-digit year it prints."""
    years = [int(m["year"]) for m in _YEAR.finditer(text) if 1990 <= int(m["year"]) <= 2100]
    if not years:
        return None
    return max(sorted(set(years)), key=years.count)
