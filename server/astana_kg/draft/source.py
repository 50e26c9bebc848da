"""The source's own metadata: headline, dateline (place and day), publisher ("/TASS/", "Press TV –",
a line naming a news organization) and publication date with its derivation and certainty.

>>> meta = metadata("All news\\n\\nTalks end with a deal on zones\\n\\nASTANA, May 5. /TASS/. The talks ended.", None)
>>> meta.headline, meta.dateline, meta.publisher_name, str(meta.published)
('Talks end with a deal on zones', 'ASTANA, May 5.', 'TASS', 'None')
>>> metadata("Talks end with a deal on zones\\n\\nAgency-North Africa\\nThe talks ended.", None).publisher_name
'Agency'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .dates import DATELINE, _month, find_dates, text_year
from .text import paragraphs


@dataclass
class Metadata:
    headline: str | None = None
    headline_span: tuple[int, int] | None = None
    dateline: str | None = None
    dateline_span: tuple[int, int] | None = None  # the dateline and its publisher, as printed
    place: str | None = None
    publisher_name: str | None = None
    publisher_span: tuple[int, int] | None = None
    published: date | None = None
    published_phrase: str | None = None
    certainty: str | None = None
    comment: str = ""
    year: int | None = None
    year_basis: str = ""
    anchor: date | None = None  # the latest explicit day the article prints (for undated articles)


def _headline(text: str) -> tuple[int, int] | None:
    for start, end in paragraphs(text)[:6]:
        line = text[start:end]
        words = line.split()
        if len(words) < 4 or re.search(r"[a-z][A-Z]", line) or line.lower().endswith("news") or DATELINE.match(line):
            continue
        return start, end
    return None


def metadata(text: str, graph_year: int | None) -> Metadata:
    meta = Metadata()
    meta.headline_span = _headline(text)
    if meta.headline_span:
        meta.headline = text[slice(*meta.headline_span)]
    year = text_year(text)
    meta.year, meta.year_basis = (year, f"the year {year} the article prints") if year else (
        graph_year, f"the year of the graph’s events ({graph_year}); the article prints none") if graph_year else (None, "")
    for start, end in paragraphs(text)[:8]:
        m = DATELINE.match(text, start, end)
        if m:
            meta.dateline = text[start:start + m.end("day") - m.start() + 1] if text[start + m.end("day") - m.start()] == "." \
                else text[m.start():m.end("day")]
            meta.dateline_span = (m.start(), m.end())
            meta.place = m["place"].strip().title()
            if m["publisher"]:
                meta.publisher_name = m["publisher"].strip()
                meta.publisher_span = (m.start("publisher"), m.end("publisher"))
            day_year = int(m["year"]) if m["year"] else meta.year
            if day_year:
                meta.published = date(day_year, _month(m["month"]), int(m["day"]))
                meta.published_phrase = f"{m['month']} {m['day']}"
                meta.certainty = "Certain" if m["year"] else "Probable"
                meta.comment = ("The dateline gives the day and the year." if m["year"] else
                                f"The dateline gives the day; the year is {meta.year_basis}.")
            break
    if meta.publisher_name is None:
        for start, end in paragraphs(text)[:6]:
            m = re.match(r"([A-Z][\w.]*(?: [A-Z][\w.]*){0,3}) [–—-] [A-Z]", text[start:end])
            if m:
                meta.publisher_name = m.group(1)
                meta.publisher_span = (start, start + m.end(1))
                break
    if meta.publisher_name is None:
        # A line of its own after the headline naming an outlet and its edition: "Sputnik-Middle East".
        for start, end in paragraphs(text)[1:4]:
            m = re.fullmatch(r"([A-Z][\w]+)-[A-Z][\w]*(?: [A-Z][\w]*)?", text[start:end])
            if m and (start, end) != meta.headline_span:
                meta.publisher_name = m.group(1)
                meta.publisher_span = (start, end)
                break
    days = [d for d in find_dates(text, meta.year) if d.kind in ("day", "range") and d.end]
    if days:
        meta.anchor = max(d.end for d in days if d.year_given) if any(d.year_given for d in days) else max(d.end for d in days)
    return meta
