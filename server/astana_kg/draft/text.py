"""Paragraphs, sentences and folded text: the spans every extractor works on.

Offsets are code points of the article, as the build's quotes are.

>>> text = "Maj. Gen. Igor Ivanov said Thursday. He added more.\\n\\nA second paragraph."
>>> [text[s:e] for s, e in sentences(text)]
['Maj. Gen. Igor Ivanov said Thursday.', 'He added more.', 'A second paragraph.']
>>> fold("Ja’afari Erdoğan")
'jaafari erdogan'
>>> fold("Syria’s")
'syria s'
"""

from __future__ import annotations

import functools
import re
import unicodedata

#: Abbreviations after which a full stop does not end a sentence.
ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "gen", "maj", "col", "lt", "capt", "brig", "sgt", "adm", "gov", "sen",
    "rep", "st", "no", "vs", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "u.s", "u.n", "u.k", "e.g", "i.e", "etc", "jr", "sr", "inc", "co", "corp", "ltd",
}

#: Apostrophes and quotation marks that names are spelt with or without (Ja’afari, Jaafari).
_DROPPED = "’'ʼ‘`´"

_SENTENCE_END = re.compile(r"[.!?…]+[”\"’»)\]]*(?=\s+|$)")


def paragraphs(text: str) -> list[tuple[int, int]]:
    """The (start, end) of every non-empty line, stripped of surrounding white space."""
    spans = []
    for match in re.finditer(r"[^\n]+", text):
        start, end = match.span()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            spans.append((start, end))
    return spans


def sentences(text: str, span: tuple[int, int] | None = None) -> list[tuple[int, int]]:
    """The sentences of ``text`` (or of the paragraphs inside ``span``), in reading order."""
    result = []
    for p_start, p_end in paragraphs(text):
        if span and (p_end <= span[0] or p_start >= span[1]):
            continue
        start = p_start
        for match in _SENTENCE_END.finditer(text, p_start, p_end):
            end = match.end()
            word = re.search(r"([\w.]+)[.]$", text[start:match.start() + 1])
            if match.group() == "." and word and (
                word.group(1).lower() in ABBREVIATIONS or re.fullmatch(r"[A-Z]", word.group(1))
            ):
                continue
            following = text[end:p_end].lstrip()
            if following and not (following[0].isupper() or following[0] in "“\"‘«(" or following[0].isdigit()):
                continue
            result.append((start, end))
            start = end
            while start < p_end and text[start].isspace():
                start += 1
        if start < p_end:
            result.append((start, p_end))
    return result


@functools.lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Lower case, diacritics and apostrophes dropped, hyphens and spaces alike: the form names are
    compared in. Lengths change; use :func:`folded_with_offsets` to map back. Cached: the same
    names are folded for every article drafted."""
    return folded_with_offsets(text)[0]


def folded_with_offsets(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, the offset of the character it came from."""
    out, where = [], []
    for index, char in enumerate(text):
        if char in _DROPPED:
            if text[index + 1:index + 2] == "s" and not text[index + 2:index + 3].isalnum() and index:
                out.append(" ")  # a possessive: "Syria’s" is "syria s", so "syria" is found in it
                where.append(index)
            continue
        if char in "-\u00a0\u2010\u2011":
            char = " "
        for part in unicodedata.normalize("NFKD", char):
            if unicodedata.combining(part):
                continue
            out.append(part.lower())
            where.append(index)
    return "".join(out), where


def slug(text: str) -> str:
    """An IRI slug: ``Bashar al-Ja’afari`` -> ``bashar-al-jaafari``."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-") or "x"
