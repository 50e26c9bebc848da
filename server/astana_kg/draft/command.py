"""``astana-kg draft ARTICLE.txt [ARTICLE.txt ...] --id NNN [--force]``: copy each article into the
sources, draft its claim file, print a summary per article.

Several articles take consecutive ids from NNN (the graph's names are loaded once for all of
them); each is drafted or refused on its own, as a single one would be.

Exit statuses: 0 drafted (every article); 1 input it cannot use (not UTF-8, empty, an id already
taken without ``--force``, a reviewed claim file in the way), saying why; 2 any other error. Of
several articles, the status is the worst of theirs: 2 if any failed so, else 1 if any was refused.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from pathlib import Path

from ..pipeline.claims import CurationError, load_claim_file, load_sources
from .linking import Gazetteer, load_gazetteer
from .writer import draft_article, render

DRAFTED, UNUSABLE, ERROR = 0, 1, 2


class Unusable(Exception):
    """The input cannot be drafted (exit status 1); the message says why."""


def read_article(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise Unusable(f"{path}: no such file") from None
    except IsADirectoryError:
        raise Unusable(f"{path}: a directory, not an article") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Unusable(f"{path}: not UTF-8 text (byte {error.start} is {data[error.start]:#04x}); "
                       "convert it, e.g. with iconv -t UTF-8") from None
    if not text.strip():
        raise Unusable(f"{path}: empty: there is no text to draft claims from")
    return text


def _is_reviewed(path: Path, sources) -> bool:
    """Whether a claim file holds any claim without ``status: draft`` (or cannot be read as drafts)."""
    try:
        claims = load_claim_file(path, sources)
    except CurationError:
        return "status: draft" not in path.read_text(encoding="utf-8", errors="replace")
    return any(not claim.draft for claim in claims)


def checksum_line(data: bytes, name: str) -> str:
    return f"{hashlib.sha256(data).hexdigest()}  {name}\n"


def source_ids(first: str, count: int) -> list[str]:
    """The ids of ``count`` articles drafted from ``first`` on.

    >>> source_ids("005", 3)
    ['005', '006', '007']
    >>> source_ids("998", 3)
    Traceback (most recent call last):
    ...
    astana_kg.draft.command.Unusable: --id 998: 3 articles need the ids 998 to 1000, and a source id has three digits
    """
    if not re.fullmatch(r"\d{3}", first):
        raise Unusable(f"--id {first!r}: a source id is three digits, such as 005")
    last = int(first) + count - 1
    if last > 999:
        raise Unusable(f"--id {first}: {count} articles need the ids {first} to {last}, and a source id has three digits")
    return [f"{n:03d}" for n in range(int(first), last + 1)]


def _checkout(root: Path) -> tuple[Path, Path]:
    sources_dir, claims_dir = root / "data/sources", root / "data/claims"
    if not sources_dir.is_dir() or not claims_dir.is_dir():
        raise Unusable(f"{root}: not a checkout (no data/sources/ and data/claims/)")
    return sources_dir, claims_dir


def draft(article: Path, source_id: str, root: Path, force: bool = False, gazetteer: Gazetteer | None = None) -> str:
    """Draft ``article`` as source ``source_id`` of the project at ``root``; return the summary.

    ``gazetteer`` is the graph's names (loaded from ``root`` when not given)."""
    source_ids(source_id, 1)
    text = read_article(article)
    sources_dir, claims_dir = _checkout(root)
    claim_file = claims_dir / f"{source_id}.yaml"
    taken = sorted(sources_dir.glob(f"{source_id}_*.txt"))
    if claim_file.exists() and _is_reviewed(claim_file, load_sources(sources_dir)):
        raise Unusable(f"{claim_file}: holds reviewed claims; a draft never overwrites them "
                       "(choose another --id)")
    if (taken or claim_file.exists()) and not force:
        what = ", ".join(str(p) for p in taken + ([claim_file] if claim_file.exists() else []))
        raise Unusable(f"id {source_id} is taken ({what}); pass --force to replace that draft, or choose another --id")
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", article.stem).strip("-") or "article"
    name = f"{source_id}_{stem}.txt"
    started = time.perf_counter()
    if gazetteer is None:
        gazetteer = load_gazetteer(root, exclude={source_id})
    # The text as the build reads it (universal newlines); the copy keeps the article's own bytes.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    result = draft_article(text, source_id, f"data/sources/{name}", gazetteer)
    document = render(result, name)
    data = article.read_bytes()
    for old in taken:
        old.unlink()
    (sources_dir / name).write_bytes(data)
    sums = sources_dir / "SHA256SUMS"
    lines = sums.read_text(encoding="utf-8").splitlines(keepends=True) if sums.is_file() else []
    lines = [line for line in lines if not re.match(rf"\S+\s+\*?{source_id}_", line)] + [checksum_line(data, name)]
    sums.write_text("".join(sorted(lines, key=lambda l: l.split()[-1])), encoding="utf-8")
    claim_file.write_text(document, encoding="utf-8")
    seconds = time.perf_counter() - started
    return (f"copied {article} to {sources_dir / name}\nwrote {claim_file}\n{result.summary()}\n"
            f"({seconds:.2f} s; review with `astana-kg review {source_id}`, build with `astana-kg build --include-drafts`)")


def draft_many(articles: list[Path], first_id: str, root: Path,
               force: bool = False) -> Iterator[tuple[Path, str, str | Exception]]:
    """Draft ``articles`` with consecutive ids from ``first_id``, the graph's names loaded once.

    Yields, per article in order, its path, its id, and its summary or the exception that refused
    it (Unusable) or stopped it (anything else); one article's failure leaves the others to be
    drafted. Raises Unusable, drafting none, when the ids run past 999 or ``root`` is no checkout."""
    ids = source_ids(first_id, len(articles))
    _checkout(root)
    gazetteer = load_gazetteer(root, exclude=set(ids))
    for article, source_id in zip(articles, ids):
        try:
            yield article, source_id, draft(article, source_id, root, force, gazetteer)
        except Exception as error:  # reported per article; the caller gives it its exit status
            yield article, source_id, error
