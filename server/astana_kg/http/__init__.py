"""The SPARQL endpoint: a Flask app over the built pyoxigraph store.

Views only parse the request and turn results into responses; the logic is in
:func:`answer_query`, and in the modules ``protocol`` (request forms), ``safety`` (parsing and
the SERVICE allow-list), ``negotiation`` (formats) and ``astana_kg.query.worker`` (query processes).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time
from collections import OrderedDict
import dataclasses
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from flask import Flask, Response, g, request, send_from_directory
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ..query import queries as query_files
from ..paths import INFO_NAME, STORE_NAME, project_root
from . import description, negotiation, origin, protocol, safety
from .errors import HttpError, error_answer, forbidden, not_found, payload_too_large, syntax_error, unauthorized
from ..query.worker import Job, NotAcceptable, Outcome, ProcessOptions, QueryPool, serialize_graph
from .federation import ServiceProxy
from .updates import apply_dataset, names_its_dataset

WIKIDATA = "https://query.wikidata.org/sparql"
WEB_DIR = Path(__file__).resolve().parent.parent / "web"
access_log = logging.getLogger("astana_kg.access")

DEFAULTS = {
    "BUILD_DIR": None,
    "STORE_URL": None,  # an external SPARQL engine's endpoint, loaded with the build's dump (remote.py)
    "STORE_DEFAULT_GRAPH": None,  # the graph it holds the default graph in (remote.DEFAULT_GRAPH)
    "QUERY_TIMEOUT": 30.0,
    "ROW_CAP": 10000,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "BODY_TIMEOUT": 10.0,
    "APP_THREADS": 8,
    "CORS": True,
    "SERVICE_ALLOW": [WIKIDATA],
    "SERVICE_MIRRORS": {},
    "ALLOW_UPDATE": False,
    "UPDATE_TOKEN": None,
    "QUERY_WORKERS": 2,
    "LONG_QUERY_SLOTS": 2,
    "LONG_QUERY_AFTER": 0.25,
    "QUERY_MEMORY_MB": 1024,
    "BYTE_CAP": 32 * 1024 * 1024,
    "NETWORK_ISOLATION": "auto",
    "CACHE_MAX_AGE": 3600,
    "CACHE_BYTES": 64 * 1024 * 1024,
    "EAGER": False,
    "PUBLIC_BASE": "https://w3id.org/astana-kg/",
    "SERVER_URL": None,  # the URL clients reach this server at: the root of every absolute URL it writes
    "ALLOWED_HOSTS": [],  # without SERVER_URL: Host names answered besides the loopback ones (origin.py)
    "RUNTIME_DIR": None,  # where the app makes its sockets and scratch stores (None: the temporary directory)
}

ENVIRONMENT = {  # environment variable -> (config key, parser)
    "ASTANA_KG_BUILD_DIR": ("BUILD_DIR", str),
    "ASTANA_KG_STORE_URL": ("STORE_URL", str),
    "ASTANA_KG_STORE_DEFAULT_GRAPH": ("STORE_DEFAULT_GRAPH", str),
    "ASTANA_KG_TIMEOUT": ("QUERY_TIMEOUT", float),
    "ASTANA_KG_ROW_CAP": ("ROW_CAP", int),
    "ASTANA_KG_MAX_REQUEST_BYTES": ("MAX_CONTENT_LENGTH", int),
    "ASTANA_KG_BODY_TIMEOUT": ("BODY_TIMEOUT", float),
    "ASTANA_KG_APP_THREADS": ("APP_THREADS", int),
    "ASTANA_KG_CORS": ("CORS", lambda v: v.lower() not in ("0", "false", "no", "off")),
    "ASTANA_KG_SERVICE_ALLOW": ("SERVICE_ALLOW", lambda v: [i for i in v.split() if i]),
    "ASTANA_KG_SERVICE_MIRRORS": ("SERVICE_MIRRORS", json.loads),
    "ASTANA_KG_ALLOW_UPDATE": ("ALLOW_UPDATE", lambda v: v.lower() in ("1", "true", "yes", "on")),
    "ASTANA_KG_UPDATE_TOKEN": ("UPDATE_TOKEN", str),
    "ASTANA_KG_QUERY_WORKERS": ("QUERY_WORKERS", int),
    "ASTANA_KG_LONG_QUERIES": ("LONG_QUERY_SLOTS", int),
    "ASTANA_KG_LONG_QUERY_AFTER": ("LONG_QUERY_AFTER", float),
    "ASTANA_KG_QUERY_MEMORY_MB": ("QUERY_MEMORY_MB", int),
    "ASTANA_KG_BYTE_CAP": ("BYTE_CAP", int),
    "ASTANA_KG_NETWORK_ISOLATION": ("NETWORK_ISOLATION", str),
    "ASTANA_KG_CACHE_MAX_AGE": ("CACHE_MAX_AGE", int),
    "ASTANA_KG_CACHE_BYTES": ("CACHE_BYTES", int),
    "ASTANA_KG_EAGER": ("EAGER", lambda v: v.lower() in ("1", "true", "yes", "on")),
    "ASTANA_KG_PUBLIC_BASE": ("PUBLIC_BASE", str),
    "ASTANA_KG_SERVER_URL": ("SERVER_URL", origin.normalize),
    "ASTANA_KG_ALLOWED_HOSTS": ("ALLOWED_HOSTS", lambda v: [i for i in v.split() if i]),
    "ASTANA_KG_RUNTIME_DIR": ("RUNTIME_DIR", str),
}


def config_from_environment(environ=os.environ) -> dict:
    """The configuration the ``ASTANA_KG_*`` environment variables set."""
    config = {}
    for variable, (key, parse) in ENVIRONMENT.items():
        if variable in environ:
            config[key] = parse(environ[variable])
    if "ASTANA_KG_UPDATE_TOKEN_FILE" in environ:
        config["UPDATE_TOKEN"] = Path(environ["ASTANA_KG_UPDATE_TOKEN_FILE"]).read_text().strip()
    return config


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]
    rows: int | None = None


class ResultCache:
    """An LRU of serialized answers, bounded in bytes."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.size = 0
        self.entries: OrderedDict[str, Outcome] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> Outcome | None:
        with self.lock:
            outcome = self.entries.get(key)
            if outcome is not None:
                self.entries.move_to_end(key)
            return outcome

    def put(self, key: str, outcome: Outcome) -> None:
        if len(outcome.body) > self.max_bytes // 4:
            return
        with self.lock:
            if key in self.entries:
                return
            self.entries[key] = outcome
            self.size += len(outcome.body)
            while self.size > self.max_bytes:
                _, old = self.entries.popitem(last=False)
                self.size -= len(old.body)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0


class Endpoint:
    """The state one app holds: the store, the query workers, the cache, the build's identity."""

    def __init__(self, config: dict):
        self.config = config
        # The link resolved once: a later build moves the link, not what this endpoint serves.
        self.build_dir = Path(config["BUILD_DIR"] or project_root() / "build").resolve()
        self.store_url = config.get("STORE_URL") or None
        store_path = self.build_dir / STORE_NAME
        info_path = self.build_dir / INFO_NAME
        if self.store_url and not info_path.is_file():
            raise FileNotFoundError(f"no {INFO_NAME} in {self.build_dir}: the pages of a remote store read the "
                                    "build its engine was loaded with")
        if not self.store_url and not store_path.is_dir():
            raise FileNotFoundError(f"no built store at {store_path}: run `astana-kg build` first")
        self.store_path = str(store_path)
        info = json.loads(info_path.read_text()) if info_path.is_file() else {}
        self.build_id = info.get("dump_sha256", "unbuilt")
        if "wikidata_cache" in info:  # answers from the offline cache change with it
            self.build_id += "+" + info["wikidata_cache"]["sha256"][:16]
        self.built_from = self.build_id  # what the build was; build_id also counts the updates since
        self.instance = secrets.token_hex(8)  # tells apart two endpoints of one process (caches)
        self.generation = 0
        self.writable = bool(config["ALLOW_UPDATE"])
        self.cache = ResultCache(int(config["CACHE_BYTES"]))
        self.write_lock = threading.Lock()
        self._proxy: ServiceProxy | None = None
        self.pool = None  # what _open makes, and close() lets go of
        self._empty = None  # the empty store of the query processes of a remote store
        self._snapshots: list[str] = []  # in writable mode, the stores the pages read
        if config["SERVICE_ALLOW"]:
            self._proxy = ServiceProxy(list(config["SERVICE_ALLOW"]), dict(config["SERVICE_MIRRORS"]),
                                       float(config["QUERY_TIMEOUT"]), cache=self._wikidata_cache,
                                       directory=config.get("RUNTIME_DIR"))
        try:
            self._open(config, info)
        except BaseException:  # an app that does not start leaves nothing running: no proxy, no socket
            self.close()
            raise

    def _open(self, config: dict, info: dict) -> None:
        """The query processes, and the store the pages read."""
        if config["NETWORK_ISOLATION"] not in ("auto", "required", "off"):
            raise ValueError(f"NETWORK_ISOLATION is {config['NETWORK_ISOLATION']!r}: use auto, required or off")
        options = ProcessOptions(
            writable=self.writable, memory_bytes=int(config["QUERY_MEMORY_MB"]) * 1024 * 1024 or None,
            isolation=config["NETWORK_ISOLATION"],
            relay=(self._proxy.port, self._proxy.unix_path) if self._proxy else None)
        if self.store_url:
            self._open_remote(info, options)
            return
        # In writable mode one process holds the store read-write and runs queries and updates alike.
        self.pool = QueryPool(self.store_path, 1 if self.writable else int(config["QUERY_WORKERS"]), options,
                              long_slots=0 if self.writable else int(config["LONG_QUERY_SLOTS"]),
                              long_after=float(config["LONG_QUERY_AFTER"]))
        if self.pool.isolated is False:
            logging.getLogger("astana_kg").warning(
                "query processes share the host's network (%s): SERVICE and LOAD rest on the text checks alone",
                self.pool.why_not_isolated)
        # Pages, fragments and the JSON API read the store here. In writable mode the writer
        # process holds the store, and they read a snapshot of it, made anew after each update.
        if self.writable:  # the writer holds the store's lock: snapshots left by an earlier writer are stale
            import shutil

            for stale in self.build_dir.glob(".snapshot-*"):
                shutil.rmtree(stale, ignore_errors=True)
        self.store = self._snapshot() if self.writable else ox.Store.read_only(self.store_path)

    def _open_remote(self, info: dict, options: ProcessOptions) -> None:
        """Queries run in the external engine at STORE_URL; query processes over an empty store
        parse them first (remote.py)."""
        import tempfile

        from ..query import remote

        if self.writable:
            raise ValueError("a remote store (STORE_URL) is read-only here: updates need the embedded store")
        self._empty = tempfile.TemporaryDirectory(prefix="astana-kg-empty-store-", dir=self.config.get("RUNTIME_DIR"))
        ox.Store(self._empty.name).flush()  # made once, then opened read-only by the query processes
        self.store = remote.RemoteStore(self.store_url, sorted(info.get("graphs", {})),
                                        self.config.get("STORE_DEFAULT_GRAPH") or remote.DEFAULT_GRAPH,
                                        float(self.config["QUERY_TIMEOUT"]))
        workers = int(self.config["QUERY_WORKERS"])
        checker = QueryPool(self._empty.name, workers, dataclasses.replace(options, relay=None),
                            long_slots=int(self.config["LONG_QUERY_SLOTS"]),
                            long_after=float(self.config["LONG_QUERY_AFTER"]))
        self.pool = remote.RemotePool(self.store, checker, max(workers, int(self.config["APP_THREADS"])))

    def _snapshot(self) -> ox.Store:
        """A read-only store over a fresh snapshot of the writer's store (the older ones removed)."""
        import shutil
        import tempfile

        directory = tempfile.mkdtemp(prefix=".snapshot-", dir=self.build_dir)
        os.rmdir(directory)  # the writer creates it
        self.pool.run(Job(directory, None, None, [], [], 0, operation="snapshot"), float(self.config["QUERY_TIMEOUT"]))
        store = ox.Store.read_only(directory)
        for old in self._snapshots:
            shutil.rmtree(old, ignore_errors=True)
        self._snapshots = [directory]
        return store

    def proxy(self) -> ServiceProxy:
        """The loopback proxy SERVICE calls go through."""
        if self._proxy is None:
            raise forbidden("this endpoint federates with no other: its SERVICE allow-list is empty")
        return self._proxy

    def route(self, iri: str) -> str:
        if self.store_url:
            raise forbidden(f"SERVICE <{iri}> is refused: queries run in the store's engine, which would call it "
                            "from its own network, where the allow-list and its proxy do not hold",
                            service=iri)
        return self.proxy().route(iri)

    def _wikidata_cache(self):
        from ..pipeline import wikidata  # only an endpoint that answers from the offline cache needs it

        return wikidata.cache_store(self.store)

    def close(self) -> None:
        import shutil

        if self.pool is not None:  # None if the app failed to start
            self.pool.close()
        if self._empty is not None:
            self._empty.cleanup()
        for old in self._snapshots:
            shutil.rmtree(old, ignore_errors=True)
        if self._proxy is not None:
            self._proxy.close()


def _negotiate(kind: str, accept: str | None, format_name: str | None):
    """The format for one kind of result, or None with the 406 it would give."""
    try:
        return negotiation.choose(kind, accept, format_name), None
    except HttpError as error:
        if error.status != 406:
            raise
        return None, error


@dataclass
class Prepared:
    """What a query request's answer is known by before it runs: its cache key and its headers."""

    key: str
    headers: dict[str, str]
    format_name: str | None

    def not_modified(self, if_none_match: str | None) -> bool:
        etag = self.headers["ETag"]
        return bool(if_none_match) and (if_none_match.strip() == "*"
                                        or etag in [t.strip() for t in if_none_match.split(",")])


def prepare(endpoint: Endpoint, sparql: protocol.SparqlRequest, accept: str | None,
            base_iri: str | None) -> Prepared:
    """The cache key and ETag of a query request: the build, the query text, the dataset, the
    Accept header, ``format=``, the caps and the base IRI decide its answer."""
    config = endpoint.config
    format_name = negotiation.format_parameters(sparql.params)
    key_material = json.dumps([endpoint.build_id, endpoint.generation, sparql.text, sparql.default_graphs,
                               sparql.named_graphs, accept or "", format_name or "", int(config["ROW_CAP"]),
                               int(config["BYTE_CAP"]), base_iri])
    key = hashlib.sha256(key_material.encode("utf-8")).hexdigest()
    headers = {"ETag": f'"{key[:40]}"', "Vary": "Accept",
               "Cache-Control": f"public, max-age={int(config['CACHE_MAX_AGE'])}"}
    return Prepared(key, headers, format_name)


def outcome_headers(endpoint: Endpoint, prepared: Prepared, outcome: Outcome, hit: bool) -> dict[str, str]:
    """The headers of a 200 answer: the prepared ones, and what the outcome says of itself."""
    config = endpoint.config
    headers = {**prepared.headers, "X-Cache": "hit" if hit else "miss", "Content-Type": outcome.media_type,
               "X-Result-Rows": str(outcome.rows)}
    if outcome.truncated:
        limit = int(config["BYTE_CAP"]) if outcome.cap == "byte-cap" else int(config["ROW_CAP"])
        headers["X-Result-Truncated"] = f"true; {outcome.cap or 'row-cap'}={limit}"
    return headers


def answer_query(endpoint: Endpoint, sparql: protocol.SparqlRequest, accept: str | None,
                 if_none_match: str | None = None, base_iri: str | None = None,
                 prepared: Prepared | None = None) -> Answer:
    """Answer one query request: serve it from the cache, or check it, run it and say how.

    The answer to a request depends only on what :func:`prepare` reads, so a repeated request
    is answered without parsing the query again. ``prepared``: what :func:`prepare` gave for
    this request already.
    """
    prepared = prepared or prepare(endpoint, sparql, accept, base_iri)
    if prepared.not_modified(if_none_match):
        return Answer(304, b"", prepared.headers)
    outcome = endpoint.cache.get(prepared.key)
    hit = outcome is not None
    if not hit:
        outcome = _run(endpoint, sparql, accept, prepared.format_name, base_iri)
        endpoint.cache.put(prepared.key, outcome)
    return Answer(200, outcome.body, outcome_headers(endpoint, prepared, outcome, hit), outcome.rows)


def _timeout(endpoint: Endpoint, sparql: protocol.SparqlRequest) -> float:
    """The deadline: the endpoint's, or the shorter one a ``timeout=`` parameter asks for."""
    timeout = float(endpoint.config["QUERY_TIMEOUT"])
    requested = sparql.param("timeout")
    if requested:
        try:
            asked = float(requested)
        except ValueError:
            raise HttpError(400, f"timeout={requested!r} is not a number of seconds") from None
        if not asked > 0 or asked != asked:
            raise HttpError(400, f"timeout={requested!r} is not a positive number of seconds")
        timeout = min(timeout, asked)
    return timeout


def _run(endpoint: Endpoint, sparql: protocol.SparqlRequest, accept: str | None, format_name: str | None,
         base_iri: str | None = None) -> Outcome:
    config = endpoint.config
    text = safety.checked_text(sparql.text, "query", list(config["SERVICE_ALLOW"]), endpoint.route)
    solutions_format, solutions_refusal = _negotiate("solutions", accept, format_name)
    graph_format, graph_refusal = _negotiate("graph", accept, format_name)
    if solutions_format is None and graph_format is None:
        raise solutions_refusal
    job = Job(text, solutions_format.media_type if solutions_format else None,
              graph_format.media_type if graph_format else None,
              sparql.default_graphs, sparql.named_graphs, int(config["ROW_CAP"]), base_iri,
              byte_cap=int(config["BYTE_CAP"]))
    try:
        return endpoint.pool.run(job, _timeout(endpoint, sparql))
    except NotAcceptable as refused:
        raise (graph_refusal if str(refused) == "graph" else solutions_refusal) from None
    except HttpError as error:  # a failed SERVICE call names its endpoint, never the proxy's route
        if error.status == 502 and endpoint._proxy is not None:
            raise endpoint._proxy.public_error(error) from None
        raise


def answer_update(endpoint: Endpoint, sparql: protocol.SparqlRequest, authorization: str | None,
                  base_iri: str | None = None) -> Answer:
    """Run an update in writable mode, after checking the bearer token, in the writer process."""
    if not endpoint.writable:
        raise forbidden("this endpoint is read-only; updates are accepted only with --allow-update")
    token = endpoint.config.get("UPDATE_TOKEN")
    scheme, _, given = (authorization or "").strip().partition(" ")
    if not token or scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), str(token).encode()):
        raise unauthorized("an update needs the endpoint's bearer token (Authorization: Bearer ...)")
    allowed = list(endpoint.config["SERVICE_ALLOW"])
    text = safety.checked_text(sparql.text, "update", allowed, endpoint.route)
    if (sparql.default_graphs or sparql.named_graphs) and names_its_dataset(sparql.text):
        raise HttpError(400, "the request names graphs (using-graph-uri / using-named-graph-uri) "
                             "and the update has its own USING or WITH clause")
    text = apply_dataset(text, sparql.default_graphs, sparql.named_graphs)
    job = Job(text, None, None, [], [], 0, base_iri, operation="update")
    with endpoint.write_lock:
        try:
            endpoint.pool.run(job, _timeout(endpoint, sparql))
        finally:  # a stopped update leaves the store as it was; a finished one changed it
            endpoint.generation += 1
            endpoint.build_id = f"{endpoint.built_from}+update-{endpoint.generation}"  # new ETags everywhere
            endpoint.cache.clear()
            endpoint.store = endpoint._snapshot()
    return Answer(204, b"", {})


def cors_headers(config) -> dict[str, str]:
    """The CORS headers every answer carries (none with CORS off)."""
    if not config["CORS"]:
        return {}
    return {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
            "Access-Control-Allow-Headers": "Accept, Content-Type, Authorization, If-None-Match",
            "Access-Control-Expose-Headers": "ETag, X-Result-Rows, X-Result-Truncated, X-Cache, Retry-After"}


def log_request(method: str, path: str, status: int, duration_ms: float, query_hash: str, rows) -> None:
    if access_log.isEnabledFor(logging.INFO):
        # The record is made here and handed to the logger's handlers: ``access_log.info`` would
        # first walk the stack for the frame that called it (logging's findCaller), for a source
        # line that an access line does not name.
        access_log.handle(access_log.makeRecord(
            access_log.name, logging.INFO, "", 0, "%s %s %d %.1fms query=%s rows=%s",
            (method, path, status, duration_ms, query_hash, "" if rows is None else rows), None))


def query_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _examples() -> list[dict]:
    out = []
    for directory in ("examples", "cq", "federated"):
        if (query_files.QUERIES_DIR / directory).is_dir():
            for q in query_files.load_all(directory):
                out.append({"name": q.name, "title": q.title, "description": q.description, "query": q.text})
    return out


def create_app(config: dict | None = None) -> Flask:
    """Build the app; ``config`` overrides the defaults and the ``ASTANA_KG_*`` environment."""
    app = Flask(__name__, static_folder=str(WEB_DIR / "static"), static_url_path="/static",
                template_folder=str(WEB_DIR / "templates"))
    if not access_log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        access_log.addHandler(handler)
        access_log.setLevel(logging.INFO)
    # A path with doubled slashes is a 404, not a redirect written from the Host header.
    app.url_map.merge_slashes = False
    app.config.update(DEFAULTS)
    app.config.update(config_from_environment())
    app.config.update(config or {})
    state: dict = {}
    state_lock = threading.Lock()

    def endpoint() -> Endpoint:
        with state_lock:  # one Endpoint (one pool of query processes) per app, however many threads ask
            if "endpoint" not in state:
                state["endpoint"] = Endpoint(app.config)
            return state["endpoint"]

    endpoint.made = lambda: "endpoint" in state
    app.extensions["astana_kg"] = endpoint
    if app.config["EAGER"]:
        endpoint()  # open the store and start the query processes before the first request

    # Links shown in the site's navigation bar, as (label, path); blueprints add theirs.
    app.config.setdefault("SITE_NAV", [])
    app.context_processor(lambda: {"site_nav": app.config["SITE_NAV"]})

    @app.before_request
    def start_timer():
        g.started = time.perf_counter()
        g.rows = None
        g.query_hash = ""

    @app.after_request
    def finish(response: Response) -> Response:
        response.headers.update(cors_headers(app.config))
        duration = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        log_request(request.method, request.path, response.status_code, duration, g.get("query_hash", ""), g.get("rows"))
        return response

    @app.errorhandler(HttpError)
    def http_error(error: HttpError):
        status, headers, body = error_answer(error)
        return Response(body, status, headers)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_error):
        return http_error(payload_too_large(int(app.config["MAX_CONTENT_LENGTH"])))

    @app.errorhandler(HTTPException)
    def other_http(error: HTTPException):
        # Keep werkzeug's own headers (a 405's Allow), not its HTML body's Content-Type.
        headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
        return http_error(HttpError(error.code or 500, error.description or error.name, headers))

    @app.route("/sparql", methods=["GET", "POST", "OPTIONS", "HEAD"])
    @app.route("/update", methods=["POST", "OPTIONS"], endpoint="update")
    def sparql():
        if request.method == "OPTIONS":
            return Response(b"", 204)
        if request.method in ("GET", "HEAD") and not request.query_string and request.path == "/sparql":
            return _description_response()
        body = request.get_data(cache=False) if request.method == "POST" else b""
        parsed = protocol.parse(request.method, request.query_string.decode("latin-1"), request.content_type, body)
        g.query_hash = query_hash(parsed.text)
        if parsed.operation == "update":
            answer = answer_update(endpoint(), parsed, request.headers.get("Authorization"),
                                   origin.absolute(request.path))
        elif request.path == "/update":
            raise HttpError(400, "/update takes SPARQL updates; send queries to /sparql")
        else:
            answer = answer_query(endpoint(), parsed, request.headers.get("Accept"), request.headers.get("If-None-Match"),
                                  origin.absolute(request.path))
        g.rows = answer.rows
        return Response(answer.body, answer.status, answer.headers)

    def _description_response():
        accept = negotiation.parse_accept(request.headers.get("Accept"))
        if accept and accept[0][0] in ("text/html", "application/xhtml+xml"):
            # A person opening the endpoint in a browser: the query page is what they are after.
            return Response(b"", 303, {"Location": request.script_root + "/", "Vary": "Accept"})
        fmt = negotiation.choose("graph", request.headers.get("Accept"), request.args.get("format"))
        state_ = endpoint()
        base = origin.absolute("/sparql")
        allowed = [] if state_.store_url else list(app.config["SERVICE_ALLOW"])  # the store's engine calls no one
        triples = description.service_description(base, state_.store, allowed, state_.writable)
        return Response(serialize_graph(triples, fmt), 200, {"Content-Type": fmt.media_type, "Vary": "Accept"})

    @app.get("/health")
    def health():
        state_ = endpoint()
        return {"status": "ok", "build": state_.build_id, "writable": state_.writable,
                "query_workers": state_.pool.size, "network_isolation": bool(state_.pool.isolated)}

    @app.get("/examples.json")
    def examples():
        return Response(json.dumps(_examples(), ensure_ascii=False, indent=1), 200,
                        {"Content-Type": "application/json"})

    @app.get("/")
    def index():
        page = WEB_DIR / "index.html"
        if not page.is_file():
            raise not_found("the web query page is not installed")
        return send_from_directory(WEB_DIR, "index.html")

    # Blueprints: one line each.
    from . import fragments; app.register_blueprint(fragments.blueprint)  # noqa: E702
    from . import api; app.register_blueprint(api.blueprint)  # noqa: E702
    from . import overview; app.register_blueprint(overview.blueprint)  # noqa: E702
    from . import linkeddata; app.register_blueprint(linkeddata.blueprint)  # noqa: E702

    return app
