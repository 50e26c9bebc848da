"""The ``astana-kg`` command line.

Exit statuses of ``astana-kg build``: 0 built, 1 invalid input (a report says which file, line,
node and rule), 2 any other error.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from pathlib import Path

from . import __version__
from .pipeline.build import BUILT, ERROR, INVALID_INPUT, InvalidInput, build, project_root
from .pipeline.progress import report_for
from .pipeline.reasoning import InconsistentData
from .query.store import QueryError, open_store, run_query


def _failed(name: str, error: Exception, expected: tuple[type, ...], unusable: int, other: int, lead: str = "") -> int:
    """Say why command ``name`` failed and give its exit status: ``unusable`` for the ``expected``
    kinds of error (bad input, said as it is), ``other`` for everything unexpected (its type too)."""
    if isinstance(error, expected):
        print(f"astana-kg {name}: {lead}{error}", file=sys.stderr)
        return unusable
    print(f"astana-kg {name}: error: {type(error).__name__}: {error}", file=sys.stderr)
    return other


def _cmd_build(args) -> int:
    """Build, with a progress bar per stage on a terminal and a line per stage otherwise (on stderr)."""
    if getattr(args, "leave", False):
        gc.disable()  # the process ends after the build: no collection walks what it made
    try:
        with report_for(sys.stderr) as report:
            result = build(Path(args.out), Path(args.root) if args.root else None, report=report,
                           include_drafts=getattr(args, "include_drafts", False),
                           cache=not getattr(args, "no_cache", False))
    except Exception as error:  # the documented exit status 2 for everything unexpected
        return _failed("build", error, (InvalidInput, InconsistentData), INVALID_INPUT, ERROR,
                       "invalid input, nothing was written\n")
    print(result.summary())
    if getattr(args, "leave", False):
        _leave(BUILT)
    return BUILT


def _leave(status: int) -> None:
    """End the process now, with ``status``, once its output is flushed: a build holds millions of
    objects (the rdflib graphs of every source), and freeing them one by one as the interpreter
    exits took 14 s of a 90 s rebuild of 500 articles. Only the command line leaves so (``main``
    called without arguments); the build is in place before."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def _cmd_draft(args) -> int:
    from .draft import command

    root = Path(args.root) if args.root else project_root()
    articles = [Path(a) for a in args.article]
    try:
        if len(articles) == 1:
            print(command.draft(articles[0], args.id, root, force=args.force))
            return command.DRAFTED
        status, drafted = command.DRAFTED, 0
        for article, source_id, outcome in command.draft_many(articles, args.id, root, force=args.force):
            if isinstance(outcome, str):
                print(outcome, flush=True)
                drafted += 1
            elif isinstance(outcome, command.Unusable):
                print(f"astana-kg draft: {article} as {source_id}: {outcome}", file=sys.stderr, flush=True)
                status = max(status, command.UNUSABLE)
            else:
                print(f"astana-kg draft: {article} as {source_id}: error: {type(outcome).__name__}: {outcome}",
                      file=sys.stderr, flush=True)
                status = command.ERROR
        print(f"drafted {drafted} of {len(articles)} articles")
        return status
    except Exception as error:  # the documented exit status 2 for everything unexpected
        return _failed("draft", error, (command.Unusable,), command.UNUSABLE, command.ERROR)


def _cmd_review(args) -> int:
    from .draft import review

    root = Path(args.root) if args.root else project_root()
    try:
        if args.accept or args.reject or args.accept_all:
            print(review.decide(root, args.id, args.accept, args.reject, args.accept_all))
        else:
            sys.stdout.write(review.view(root, args.id, color=sys.stdout.isatty()))
    except Exception as error:  # the documented exit status 2 for everything unexpected
        return _failed("review", error, (review.ReviewError,), review.UNUSABLE, review.ERROR)
    return review.REVIEWED


def _cmd_query(args) -> int:
    try:
        store = open_store(Path(args.store))
    except FileNotFoundError as error:
        print(f"astana-kg query: {error}", file=sys.stderr)
        return ERROR
    try:
        output = run_query(store, args.sparql, args.format)
    except QueryError as error:
        print(f"astana-kg query: {error}", file=sys.stderr)
        return INVALID_INPUT
    sys.stdout.write(output)
    return 0


def _cmd_serve(args) -> int:
    import os

    from .http.origin import normalize

    host = f"[{args.host}]" if ":" in args.host else args.host
    try:  # the root of the absolute URLs the server writes (never the request's Host header)
        server_url = normalize(args.server_url or os.environ.get("ASTANA_KG_SERVER_URL")
                               or f"http://{host}:{args.port}/")
    except ValueError as error:
        print(f"astana-kg serve: --server-url: {error}", file=sys.stderr)
        return ERROR
    build_dir = Path(args.build)
    if not args.store and not (build_dir / "store").is_dir():
        status = _cmd_build(argparse.Namespace(out=str(build_dir), root=None))
        if status != BUILT:
            return status
    env = dict(os.environ, ASTANA_KG_BUILD_DIR=str(build_dir.resolve()), ASTANA_KG_TIMEOUT=str(args.timeout),
               ASTANA_KG_ROW_CAP=str(args.row_cap), ASTANA_KG_BYTE_CAP=str(args.byte_cap),
               ASTANA_KG_MAX_REQUEST_BYTES=str(args.max_request_bytes),
               ASTANA_KG_CORS="1" if args.cors else "0", ASTANA_KG_QUERY_WORKERS=str(args.query_workers),
               ASTANA_KG_LONG_QUERIES=str(args.long_queries), ASTANA_KG_QUERY_MEMORY_MB=str(args.query_memory_mb),
               ASTANA_KG_NETWORK_ISOLATION=args.network_isolation, ASTANA_KG_APP_THREADS=str(args.threads),
               ASTANA_KG_BODY_TIMEOUT=str(args.header_timeout),
               ASTANA_KG_SERVICE_ALLOW=" ".join(args.service_allow), ASTANA_KG_EAGER="1",
               ASTANA_KG_SERVER_URL=server_url)
    if args.public_base:
        env["ASTANA_KG_PUBLIC_BASE"] = args.public_base
    if args.store:
        if args.allow_update:
            print("astana-kg serve: --allow-update needs the embedded store; a --store is read-only here",
                  file=sys.stderr)
            return ERROR
        env.update(ASTANA_KG_STORE_URL=args.store, ASTANA_KG_STORE_DEFAULT_GRAPH=args.store_default_graph)
    mirrors = dict(m.split("=", 1) for m in args.service_mirror)
    if args.wikidata_cache:
        mirrors["https://query.wikidata.org/sparql"] = "cache"
    if mirrors:
        env["ASTANA_KG_SERVICE_MIRRORS"] = json.dumps(mirrors)
    workers = args.workers
    if args.allow_update:
        token = os.environ.get("ASTANA_KG_UPDATE_TOKEN")
        if args.update_token_file:
            token = Path(args.update_token_file).read_text().strip()
        if not token:
            print("astana-kg serve: --allow-update needs a token (--update-token-file or ASTANA_KG_UPDATE_TOKEN)",
                  file=sys.stderr)
            return ERROR
        env.update(ASTANA_KG_ALLOW_UPDATE="1", ASTANA_KG_UPDATE_TOKEN=token)
        workers = 1  # one writer: the store is opened read-write by a single process
    # Each worker keeps a cache of its own: the budget is shared out, so more workers take no more memory.
    env["ASTANA_KG_CACHE_BYTES"] = str(args.cache_mb * 1024 * 1024 // max(1, workers))
    # granian: connections are read and written by an event loop in Rust, and the front
    # (astana_kg.http.front) reads request bodies on an event loop too, so slow and idle
    # clients hold no Python thread; the threads run the app on complete requests only.
    # (astana_kg.http.launch: granian, with the app's modules imported once before the workers fork.)
    command = [sys.executable, "-m", "astana_kg.http.launch", "--interface", "asgi", "--factory",
               "--workers", str(workers),
               "--host", args.host, "--port", str(args.port), "--no-ws", "--log-level", "warning",
               # A client has this long to send a request's headers (on a new or a kept-alive connection).
               "--http1-header-read-timeout", str(int(args.header_timeout * 1000)),
               "--backlog", "2048", "--respawn-failed-workers", "--respawn-interval", "0.5",
               "--workers-kill-timeout", "10",
               "astana_kg.http.front:create_front"]
    os.execvpe(command[0], command, env)
    return ERROR  # not reached


def _cmd_wikidata_fetch(args) -> int:
    from .pipeline import wikidata

    try:
        items = wikidata.linked_items(open_store(Path(args.build)))
    except FileNotFoundError as error:
        print(f"astana-kg wikidata fetch: {error}", file=sys.stderr)
        return ERROR
    try:
        quads = wikidata.fetch(args.endpoint, items, wikidata.verified_pids(), timeout=args.timeout)
    except wikidata.FetchError as error:
        print(f"astana-kg wikidata fetch: {error}", file=sys.stderr)
        return ERROR
    wikidata.write_cache(quads, Path(args.out))
    print(f"wrote {len(quads)} quads about {len(items)} linked items to {args.out} "
          f"(graph <{wikidata.CACHE_GRAPH}>); run `astana-kg build` to load them in place of the checked claims")
    return 0


def _cmd_default_graph(args) -> int:
    from .query import remote
    from .paths import DUMP_NAME

    dump_path = Path(args.build) / DUMP_NAME
    if not dump_path.is_file():
        print(f"astana-kg default-graph: no dump at {dump_path}: run `astana-kg build` first", file=sys.stderr)
        return ERROR
    quads = remote.default_graph_quads(dump_path.read_bytes(), args.graph)
    Path(args.out).write_bytes(quads)
    triples = quads.count(b"\n")
    print(f"wrote {triples} triples of the default graph to {args.out} (graph <{args.graph}>)")
    return 0


class _Parser(argparse.ArgumentParser):
    """A command's parser; with ``intermixed=True`` its positional arguments may come anywhere
    among its options (``astana-kg draft a.txt --id 005 b.txt``), as ``parse_intermixed_args``
    takes them, also when the command is reached through the subcommands."""

    def __init__(self, *args, intermixed: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.intermixed = intermixed
        self._parsing = False

    def parse_known_args(self, args=None, namespace=None):
        if not self.intermixed or self._parsing:  # the intermixed parse calls this twice itself
            return super().parse_known_args(args, namespace)
        self._parsing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._parsing = False


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="astana-kg", description=__doc__.splitlines()[0])
    root.add_argument("--version", action="version", version=f"astana-kg {__version__}")
    commands = root.add_subparsers(dest="command", required=True, parser_class=_Parser)

    b = commands.add_parser("build", help="validate, reason and build the store and dump")
    b.add_argument("--out", default=str(project_root() / "build"),
                   help="the link to the newest build (default: build; builds are kept beside it in .build.builds/)")
    b.add_argument("--root", help="project directory holding ontology/, data/, shapes/ (default: this checkout)")
    b.add_argument("--include-drafts", action="store_true",
                   help="build draft claims (status: draft) too, each draft source into graph/draft/NNN, outside the "
                        "default graph and the reasoning (without it, a build refuses them)")
    b.add_argument("--no-cache", action="store_true",
                   help="neither read nor write the cache of each source's stages (.NAME.cache/ beside --out)")
    b.set_defaults(func=_cmd_build)

    d = commands.add_parser("draft", intermixed=True, help="copy articles into the sources and draft their claims for review",
                            description="Copy ARTICLE byte for byte to data/sources/NNN_<stem>.txt (and its checksum "
                                        "list) and write data/claims/NNN.yaml: claims with verbatim quotes, each "
                                        "status: draft with a confidence and why. Several articles take consecutive "
                                        "ids from --id (names loaded once); each is drafted or refused on its own, "
                                        "with a report each. Exit 0 drafted (all), 1 unusable input (not UTF-8, "
                                        "empty, id taken; any article), 2 other errors (any article). A reviewed "
                                        "file is never overwritten.")
    d.add_argument("article", nargs="+", help="the article, a UTF-8 text file (several: one id each, in order)")
    d.add_argument("--id", required=True, help="the new source's three-digit id, such as 005 (the first one's, "
                                              "for several)")
    d.add_argument("--force", action="store_true", help="replace an earlier draft of that id (never reviewed claims)")
    d.add_argument("--root", help="project directory holding data/ (default: this checkout)")
    d.set_defaults(func=_cmd_draft)

    r = commands.add_parser("review", help="show a draft's claims on its article; accept or reject them",
                            description="Without options: the article with each draft claim's span marked ⟦N … N⟧ and "
                                        "every claim's facts in readable form. --accept drops a claim's status: draft, "
                                        "--reject removes it. Exit 0 done, 1 no such file or claim, 2 other errors.")
    r.add_argument("id", help="the source's three-digit id")
    r.add_argument("--accept", nargs="+", type=int, default=[], metavar="N", help="accept claims N ... (numbers of the view)")
    r.add_argument("--reject", nargs="+", type=int, default=[], metavar="N", help="remove claims N ...")
    r.add_argument("--accept-all", action="store_true", help="accept every draft claim")
    r.add_argument("--root", help="project directory holding data/ (default: this checkout)")
    r.set_defaults(func=_cmd_review)

    q = commands.add_parser("query", help="run a SPARQL query against the built store")
    q.add_argument("sparql", help="the SPARQL query text, or @FILE to read it from a file")
    q.add_argument("--format", choices=["json", "xml", "csv", "tsv", "table"], default="table")
    q.add_argument("--store", default=str(project_root() / "build"), help="build directory (default: build/)")
    q.set_defaults(func=_cmd_query)
    s = commands.add_parser("serve", help="build if needed, then serve the SPARQL endpoint and web page (granian)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--build", default=str(project_root() / "build"), help="build directory (default: build/)")
    s.add_argument("--workers", type=int, default=2, help="server worker processes (default 2)")
    s.add_argument("--threads", type=int, default=8, help="threads per worker running the app (default 8)")
    s.add_argument("--query-workers", type=int, default=1, help="query processes per worker (default 1)")
    s.add_argument("--long-queries", type=int, default=2,
                   help="queries per worker that may run past 0.25 s, at low priority (default 2); "
                        "another is stopped with 503")
    s.add_argument("--query-memory-mb", type=int, default=1024,
                   help="memory each query process may use, in MiB (default 1024); a query over it is stopped")
    s.add_argument("--network-isolation", choices=["auto", "required", "off"], default="auto",
                   help="run query processes in a network namespace whose only way out is the SERVICE "
                        "proxy (default auto: where the kernel allows it)")
    s.add_argument("--header-timeout", type=float, default=10.0,
                   help="seconds a client has to send a request's headers, and again its body (default 10)")
    s.add_argument("--timeout", type=float, default=30.0, help="query deadline in seconds (default 30)")
    s.add_argument("--row-cap", type=int, default=10000, help="most result rows returned (default 10000)")
    s.add_argument("--byte-cap", type=int, default=32 * 1024 * 1024,
                   help="most bytes of results returned (default 32 MiB)")
    s.add_argument("--max-request-bytes", type=int, default=1024 * 1024, help="request size limit (default 1 MB)")
    s.add_argument("--cache-mb", type=int, default=64,
                   help="memory for cached answers, in MiB, across all workers (default 64): each worker's "
                        "cache holds its share")
    s.add_argument("--no-cors", dest="cors", action="store_false", help="do not send CORS headers")
    s.add_argument("--service-allow", nargs="*", default=["https://query.wikidata.org/sparql"],
                   help="endpoints a SERVICE clause may call (default: Wikidata's)")
    s.add_argument("--service-mirror", action="append", default=[], metavar="IRI=URL",
                   help="send SERVICE calls for IRI to URL instead (a mirror or a cache)")
    s.add_argument("--wikidata-cache", action="store_true",
                   help="answer every SERVICE call to Wikidata from the build's offline cache (the checked claims "
                        "of data/wikidata/, or what `astana-kg wikidata fetch` cached); without it the cache "
                        "answers only when Wikidata cannot be reached (a --service-mirror is never replaced by it)")
    s.add_argument("--public-base", help="the base the documents this server answers with are named under "
                                         "(an entity's document BASE/id/NAME.ttl, the IRI a 404 names); the "
                                         "graph's own IRIs stay under https://w3id.org/astana-kg/, whose paths "
                                         "this server answers at (default: https://w3id.org/astana-kg/)")
    s.add_argument("--server-url", help="the URL clients reach this server at, the root of the absolute URLs "
                                        "its answers write (default: http://HOST:PORT/)")
    s.add_argument("--store", metavar="URL",
                   help="answer from the external SPARQL 1.1 engine at URL, loaded with this build's dump, instead "
                        "of the build's store (the pages still read --build); see README, Serving past one machine")
    s.add_argument("--store-default-graph", metavar="IRI", default="https://w3id.org/astana-kg/graph/default",
                   help="the graph the engine at --store holds the merge of the named graphs in, sent as each "
                        "query's default graph (default: https://w3id.org/astana-kg/graph/default)")
    s.add_argument("--allow-update", action="store_true", help="accept SPARQL Update (local use; needs a token)")
    s.add_argument("--update-token-file", help="file holding the bearer token updates must present")
    s.set_defaults(func=_cmd_serve)

    d = commands.add_parser("default-graph", help="write the merge of the dump's named graphs as N-Quads in one "
                                                  "graph, for an external engine to load beside the dump (serve --store)")
    d.add_argument("--build", default=str(project_root() / "build"), help="build directory (default: build/)")
    d.add_argument("--out", required=True, help="the N-Quads file to write")
    d.add_argument("--graph", default="https://w3id.org/astana-kg/graph/default",
                   help="the graph to write the triples in (serve's --store-default-graph; "
                        "default: https://w3id.org/astana-kg/graph/default)")
    d.set_defaults(func=_cmd_default_graph)

    w = commands.add_parser("wikidata", help="the offline Wikidata cache (every build holds the checked claims "
                                             "of data/wikidata/; `fetch` caches more)")
    wikidata_commands = w.add_subparsers(dest="wikidata_command", required=True)
    f = wikidata_commands.add_parser("fetch", help="fetch labels and claims of the linked Wikidata items into a cache file")
    f.add_argument("--endpoint", default="https://query.wikidata.org/sparql", help="SPARQL endpoint to ask (default: Wikidata's)")
    f.add_argument("--out", default=str(project_root() / "var" / "wikidata-cache.nq"),
                   help="the cache file (default: var/wikidata-cache.nq; `astana-kg build` loads it)")
    f.add_argument("--build", default=str(project_root() / "build"), help="build directory whose links to fetch (default: build/)")
    f.add_argument("--timeout", type=float, default=60.0, help="seconds per request (default 60)")
    f.set_defaults(func=_cmd_wikidata_fetch)
    return root


def main(argv: list[str] | None = None) -> int:
    """Run the command ``argv`` (default: the command line's, after which ``build`` ends the
    process as soon as it has built, see :func:`_leave`)."""
    args = parser().parse_args(argv)
    args.leave = argv is None
    if getattr(args, "sparql", "").startswith("@"):
        args.sparql = Path(args.sparql[1:]).read_text(encoding="utf-8")
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
