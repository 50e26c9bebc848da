"""The build's downloadable files: the whole graph as TriG beside the N-Quads dump, each named graph
as Turtle, the ontology's HTML documentation, and a manifest of them (sizes, triples, SHA-256).

Every file is made from the sorted N-Quads dump, so the same input gives the same bytes.

>>> graph_file_name("https://w3id.org/astana-kg/graph/source/000")
'graph-source-000.ttl'
>>> graph_file_name("https://w3id.org/astana-kg/graph/curation/wikidata")
'graph-curation-wikidata.ttl'
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import importlib.metadata
import io
import json
import os
import re
import shutil
import sys
import tempfile
import types
from collections.abc import Mapping
from pathlib import Path

import pyoxigraph as ox

from ..paths import BASE
from ..prefixes import TURTLE_PREFIXES
from ..paths import DUMP_NAME, INFO_NAME
from .rdftext import text_parts

TRIG_NAME = "astana-kg.trig"
ONTOLOGY_HTML_NAME = "ontology.html"
#: Documents written beside the data files and listed with them in build-info.json.
DOCUMENTS = (ONTOLOGY_HTML_NAME,)
ONTOLOGY_NS = BASE + "ontology#"
GRAPH_PREFIX = BASE + "graph/"

#: Prefixes written in the Turtle and TriG files (``graph:`` is left out: its local names hold slashes).
PREFIXES = {name: iri for name, iri in TURTLE_PREFIXES.items() if name not in ("graph", "sd", "void")}

MEDIA_TYPES = {".nq": "application/n-quads", ".trig": "application/trig", ".ttl": "text/turtle",
               ".html": "text/html; charset=utf-8"}


def graph_file_name(graph: str) -> str:
    """The file name of one named graph's Turtle file: its IRI's path under ``graph/``, dashed."""
    local = graph[len(GRAPH_PREFIX):] if graph.startswith(GRAPH_PREFIX) else graph
    return "graph-" + re.sub(r"[^A-Za-z0-9]+", "-", local).strip("-") + ".ttl"


def manifest(files: dict[str, bytes], triples: dict[str, int] | None = None) -> dict[str, dict]:
    """What build-info.json says of each downloadable file: bytes, SHA-256, triples, media type, graph.

    >>> m = manifest({"astana-kg.nq": b'<urn:a> <urn:p> "x" <https://w3id.org/astana-kg/graph/provenance> .\\n'})
    >>> m["astana-kg.nq"]["triples"], m["astana-kg.nq"]["media_type"]
    (1, 'application/n-quads')
    """
    out = {}
    for name, data in sorted(files.items()):
        suffix = Path(name).suffix
        entry = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), "media_type": MEDIA_TYPES[suffix]}
        if triples is not None and name in triples:  # known from the quads the file was written from
            entry["triples"] = triples[name]
        elif suffix in (".nq", ".trig", ".ttl"):
            fmt = {".nq": ox.RdfFormat.N_QUADS, ".trig": ox.RdfFormat.TRIG, ".ttl": ox.RdfFormat.TURTLE}[suffix]
            quads = list(ox.parse(data, format=fmt))
            entry["triples"] = len(quads)
        out[name] = entry
    return out


def _lines_by_graph(dump: bytes) -> dict[str, list[bytes]]:
    """The dump's lines (without their newlines) grouped by graph, graphs by IRI, lines in the
    dump's (sorted) order: its quads by graph, as text (a line takes less memory than its parsed
    quad).

    >>> _lines_by_graph(b'<urn:a> <urn:p> "x y" <urn:g2> .\\n<urn:b> <urn:p> <urn:c> <urn:g1> .\\n')
    {'urn:g1': [b'<urn:b> <urn:p> <urn:c> <urn:g1> .'], 'urn:g2': [b'<urn:a> <urn:p> "x y" <urn:g2> .']}
    """
    groups: dict[bytes, list[bytes]] = {}
    for line in dump.split(b"\n"):
        if line:  # not the end, nor the one line of a dump without quads
            groups.setdefault(line[line.rindex(b" <", 0, len(line) - 2) + 1:-2], []).append(line)
    named = {next(ox.parse(lines[0], format=ox.RdfFormat.N_QUADS)).graph_name.value: lines
             for lines in groups.values()}
    return dict(sorted(named.items()))


#: The file beside the downloads that says, for each graph, the digest of its lines in the dump
#: and where its part of the TriG file lies: what a later build needs to reuse them.
PARTS_NAME = "download-parts.json"


@functools.lru_cache(maxsize=1)
def _trig_header() -> bytes:
    """What pyoxigraph's TriG serializer writes before the first graph: the prefixes."""
    probe = ox.NamedNode("urn:x")
    text = ox.serialize([ox.Quad(probe, probe, probe, probe)], format=ox.RdfFormat.TRIG, prefixes=PREFIXES)
    return text[:text.index(b"<urn:x> {")]


def _trig_part(quads) -> bytes:
    """The TriG of one graph's quads without the prefixes: the TriG of several graphs is the
    prefixes, then the part of each graph in turn."""
    text = ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=PREFIXES)
    header = _trig_header()
    if not text.startswith(header):
        raise RuntimeError("pyoxigraph's TriG serializer did not begin with the prefixes it was given")
    return text[len(header):]


def _reusable(previous: Path | None) -> tuple[dict, dict]:
    """The parts and the manifest of the downloads of the build ``previous`` (empty where it
    has none, or they cannot be read)."""
    if previous is None:
        return {}, {}
    try:
        parts = json.loads((previous / PARTS_NAME).read_text(encoding="utf-8"))
        downloads = json.loads((previous / INFO_NAME).read_text(encoding="utf-8"))["downloads"]
    except (OSError, ValueError, KeyError):
        return {}, {}
    return parts, downloads


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def write_downloads(dump: bytes | Path, directory: Path, previous: Path | None = None,
                    groups: Mapping[str, list[bytes]] | None = None, unchanged: frozenset[str] = frozenset()) -> dict[str, dict]:
    """Write the TriG of the whole dump and the Turtle of each named graph into ``directory``, one
    graph at a time (no file is held in memory whole), and :data:`PARTS_NAME`; return the
    manifest of the files and of the dump. ``dump``: its bytes, or its file (read a part at a
    time, and whole only to be split by graph where ``groups`` is not given).

    ``previous``: the directory of an earlier build written by this code and these libraries. A
    graph whose lines are the bytes they were there gets its Turtle file from there (a hard link)
    and its part of the TriG file copied from there: the bytes serializing them again gives.
    ``groups``, if the writer of the dump has them: its lines by graph (:func:`_lines_by_graph`),
    each graph's read once, in order (a mapping that makes them as they are read, such as
    :class:`astana_kg.pipeline.rdftext.GraphLines`, holds one graph's at a time);
    ``unchanged``: the graphs whose lines it took from ``previous``'s dump, whose digest is not
    made again."""
    digest, size, newlines = hashlib.sha256(), 0, 0
    for part in [dump] if isinstance(dump, bytes) else text_parts(dump):
        digest.update(part)
        size, newlines = size + len(part), newlines + part.count(b"\n")
    total = 0 if size == 1 and newlines == 1 else newlines  # a line a quad, once each ("\n": none)
    entries = {DUMP_NAME: {"bytes": size, "sha256": digest.hexdigest(),
                           "media_type": MEDIA_TYPES[Path(DUMP_NAME).suffix], "triples": total}}
    if groups is None:
        groups = _lines_by_graph(dump if isinstance(dump, bytes) else dump.read_bytes())
    old_parts, old_downloads = _reusable(previous)
    parts: dict[str, dict] = {}

    def quads(text):
        return ox.parse(text, format=ox.RdfFormat.N_QUADS)

    trig_digest, offset = hashlib.sha256(), 0
    with contextlib.ExitStack() as stack:
        trig = stack.enter_context(open(directory / TRIG_NAME, "wb"))
        old_trig = None

        def write(data: bytes) -> None:
            nonlocal offset
            trig.write(data)
            trig_digest.update(data)
            offset += len(data)

        if groups:
            write(_trig_header())
        for graph, lines in groups.items():
            name, old = graph_file_name(graph), old_parts.get(graph)
            reusable = old is not None and name in old_downloads
            if reusable and graph in unchanged:
                text, digest = None, old["lines_sha256"]
            else:
                text = b"\n".join(lines) + b"\n"
                digest = hashlib.sha256(text).hexdigest()
            if reusable and old["lines_sha256"] == digest:
                if old_trig is None:
                    old_trig = stack.enter_context(open(previous / TRIG_NAME, "rb"))
                old_trig.seek(old["trig"][0])
                part = old_trig.read(old["trig"][1])
                _link_or_copy(previous / name, directory / name)
                entries[name] = old_downloads[name]
            else:
                part = _trig_part(quads(text))
                ox.serialize((ox.Triple(q.subject, q.predicate, q.object) for q in quads(text)), str(directory / name),
                             format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
                entries[name] = dict(_entry(name, (directory / name).read_bytes(), len(lines)), graph=graph)
            parts[graph] = {"lines_sha256": digest, "trig": [offset, len(part)]}
            write(part)
    entries[TRIG_NAME] = {"bytes": offset, "sha256": trig_digest.hexdigest(), "media_type": MEDIA_TYPES[".trig"],
                          "triples": total}
    (directory / PARTS_NAME).write_text(json.dumps(parts, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    return dict(sorted(entries.items()))


def build_downloads(dump: bytes) -> tuple[dict[str, bytes], dict[str, dict]]:
    """The files to write beside the dump, and the manifest of all of them (the dump included):
    what :func:`write_downloads` writes, in memory."""
    with tempfile.TemporaryDirectory() as directory:
        entries = write_downloads(dump, Path(directory))
        files = {name: (Path(directory) / name).read_bytes() for name in entries if name != DUMP_NAME}
    return files, entries


def _entry(name: str, data: bytes, triples: int) -> dict:
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            "media_type": MEDIA_TYPES[Path(name).suffix], "triples": triples}


# ---------------------------------------------------------------------------------------------
# The ontology's documentation
# ---------------------------------------------------------------------------------------------

def _import_ontpub():
    """pyLODE's OntPub. pyLODE 3.4's wheel reads its version from a pyproject.toml it does not ship;
    give it the installed version instead so that the import works."""
    if "pylode.version" not in sys.modules:
        try:
            importlib.import_module("pylode.version")
        except (FileNotFoundError, OSError):
            for name in [n for n in sys.modules if n == "pylode" or n.startswith("pylode.")]:
                del sys.modules[name]
            stub = types.ModuleType("pylode.version")
            stub.__version__ = importlib.metadata.version("pylode")
            sys.modules["pylode.version"] = stub
    from pylode import OntPub

    return OntPub


_ID_OR_HREF = re.compile(r'(\sid="|\shref="#)([^"]*)"')


def fix_anchors(html: str, fids: dict[str, str], namespace: str = ONTOLOGY_NS) -> str:
    """Give every term of ``namespace`` the anchor of its IRI's fragment (pyLODE derives some from
    labels: ``agent`` for ``#Agent``), and make repeated ids unique (the first keeps the name).

    >>> fix_anchors('<a href="#agent">x</a><div id="agent"></div><div id="roleOf"></div><p id="roleOf">',
    ...             {"urn:o#Agent": "agent", "urn:o#roleOf": "roleOf"}, "urn:o#")
    '<a href="#Agent">x</a><div id="Agent"></div><div id="roleOf"></div><p id="roleOf-2">'
    """
    rename = {fid: iri[len(namespace):] for iri, fid in fids.items() if iri.startswith(namespace) and fid}
    seen: dict[str, int] = {}

    def replace(match: re.Match) -> str:
        opening, value = match.groups()
        value = rename.get(value, value)
        if "id=" in opening:
            seen[value] = seen.get(value, 0) + 1
            if seen[value] > 1:
                value = f"{value}-{seen[value]}"
        return f'{opening}{value}"'

    return _ID_OR_HREF.sub(replace, html)


_JSON_LD = re.compile(r'(<script id="schema.org" type="application/ld\+json">)(.*?)(</script>)', re.DOTALL)


def _sorted_json(value):
    if isinstance(value, dict):
        return {key: _sorted_json(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return sorted((_sorted_json(item) for item in value), key=lambda item: json.dumps(item, sort_keys=True))
    return value


def stable_json_ld(html: str) -> str:
    """Sort the schema.org JSON-LD that pyLODE embeds (it writes it in set order, which varies
    between processes), so that the same ontology always gives the same page.

    >>> page = stable_json_ld('<script id="schema.org" type="application/ld+json">[{"@id": "b"}, {"@id": "a"}]</script>')
    >>> page.index('"a"') < page.index('"b"')
    True
    """
    def replace(match: re.Match) -> str:
        data = _sorted_json(json.loads(match.group(2)))
        return match.group(1) + "\n" + json.dumps(data, indent=2, ensure_ascii=False).replace("</", "<\\/") + "\n" + match.group(3)

    return _JSON_LD.sub(replace, html)


def _term_row(heading: str, cells: list[str]) -> str:
    return (f"<tr><th>{heading}</th><td>" + "".join(f"<p>{cell}</p>" for cell in cells) + "</td></tr>")


def document_other_terms(html: str, graph, namespace: str = ONTOLOGY_NS) -> str:
    """Add a section for the terms of ``namespace`` pyLODE leaves out (named individuals, concept
    schemes), anchored at their fragments, and list it in the table of contents."""
    from html import escape

    from rdflib import RDF, RDFS, SKOS, URIRef

    present = set(re.findall(r'\sid="([^"]*)"', html))
    terms = sorted({s for s in graph.subjects() if isinstance(s, URIRef) and str(s).startswith(namespace)
                    and str(s)[len(namespace):] and str(s)[len(namespace):] not in present}, key=str)
    if not terms or '<div id="namespaces">' not in html:
        return html

    def link(term) -> str:
        value = str(term)
        label = graph.value(term, RDFS.label) or value[len(namespace):]
        if value.startswith(namespace):
            return f'<a href="#{escape(value[len(namespace):])}">{escape(str(label))}</a>'
        return f'<a href="{escape(value)}">{escape(value)}</a>'

    sections, toc = [], []
    for term in terms:
        local = str(term)[len(namespace):]
        label = str(graph.value(term, RDFS.label) or local)
        rows = [_term_row("IRI", [f"<code>{escape(str(term))}</code>"])]
        types = sorted(graph.objects(term, RDF.type), key=str)
        if types:
            rows.append(_term_row("Type", [link(t) for t in types]))
        for heading, prop in (("Description", SKOS.definition), ("Description", RDFS.comment)):
            values = sorted(str(v) for v in graph.objects(term, prop))
            if values:
                rows.append(_term_row(heading, [escape(v) for v in values]))
        schemes = sorted(graph.objects(term, SKOS.inScheme), key=str)
        if schemes:
            rows.append(_term_row("In Scheme", [link(t) for t in schemes]))
        members = sorted(graph.subjects(SKOS.inScheme, term), key=str)
        if members:
            rows.append(_term_row("Concepts", [link(t) for t in members]))
        defined = sorted(graph.objects(term, RDFS.isDefinedBy), key=str)
        if defined:
            rows.append(_term_row("Is Defined By", [f'<a href="{escape(str(d))}">{escape(str(d))}</a>' for d in defined]))
        sections.append(f'<div class="entity" id="{escape(local)}"><h3>{escape(label)}</h3><table>'
                        + "".join(rows) + "</table></div>")
        toc.append(f'<li><a href="#{escape(local)}">{escape(label)}</a></li>')
    section = ('<div id="individuals" class="section"><h2>Named Individuals and Concept Schemes</h2>'
               + "\n".join(sections) + "</div>\n")
    html = html.replace('<div id="namespaces">', section + '<div id="namespaces">', 1)
    entry = ('<li><h4><a href="#individuals">Named Individuals and Concept Schemes</a></h4><ul class="second">'
             + "".join(toc) + "</ul></li>\n")
    marker = '<a href="#namespaces">Namespaces</a>'
    at = html.find(marker, html.find('<div id="toc">'))
    if at != -1:
        start = html.rfind("<li>", 0, at)
        html = html[:start] + entry + html[start:]
    return html


def _without_concept_schemes(graph):
    """``graph`` with the ``skos:ConceptScheme`` types of its concept schemes removed (in place, so
    that the other triples keep the file's order, which pyLODE lists terms in). pyLODE takes a
    concept scheme for one more ontology: it folds the scheme's label into the page's heading and
    title and its IRI into the metadata. The schemes are documented with the other terms instead.

    >>> from rdflib import OWL, RDF, SKOS, Graph, URIRef
    >>> g = Graph()
    >>> for triple in [(URIRef("urn:o"), RDF.type, OWL.Ontology), (URIRef("urn:o#S"), RDF.type, SKOS.ConceptScheme),
    ...                (URIRef("urn:o#c"), SKOS.inScheme, URIRef("urn:o#S"))]:
    ...     _ = g.add(triple)
    >>> sorted(str(o) for o in _without_concept_schemes(g).objects())
    ['http://www.w3.org/2002/07/owl#Ontology', 'urn:o#S']
    """
    from rdflib import RDF, SKOS

    graph.remove((None, RDF.type, SKOS.ConceptScheme))
    return graph


@contextlib.contextmanager
def _pylode_turn():
    """One pyLODE at a time among the processes of this machine: on first use, pyLODE writes the
    pickle of its background vocabularies into its own package folder, not atomically, and another
    build reading it meanwhile got truncated data (two test processes building at once did)."""
    import fcntl
    import tempfile

    with open(Path(tempfile.gettempdir()) / "astana-kg-pylode.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield  # released with the file


def ontology_html(ontology_path: Path) -> str:
    """The ontology's HTML documentation, made by pyLODE, with every term anchored at its fragment."""
    import logging

    from rdflib import Graph

    OntPub = _import_ontpub()
    level = logging.getLogger().level
    try:
        logging.getLogger().setLevel(max(level, logging.WARNING))  # pyLODE logs its progress at INFO
        with _pylode_turn():
            doc = OntPub(_without_concept_schemes(Graph(bind_namespaces="core").parse(ontology_path)))
            html = doc.make_html()
    finally:
        logging.getLogger().setLevel(level)
    whole = Graph(bind_namespaces="core").parse(ontology_path)
    return document_other_terms(fix_anchors(stable_json_ld(html), dict(doc.fids)), whole)
