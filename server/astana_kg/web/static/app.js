// The astana-kg query page: YASGUI pointed at this server's /sparql, the example queries of
// /examples.json, and a download link for every result format of the query in the editor.
// Everything it loads comes from this server (YASGUI is copied into static/vendor/ by vendor.py).
// Results link the graph's IRIs to this server's own pages and show typed literals compactly;
// error answers (problem details) are shown as sentences; and when Wikidata's part of an answer
// came from the server's offline cache, a note says so, from which graph, and what it lacks.
"use strict";

(() => {
  const ENDPOINT = new URL("sparql", document.baseURI).href;
  // gunicorn refuses request lines over 4094 bytes: a longer download link is sent as a POST form.
  const MAX_GET_URL = 4000;
  const FORMATS = {
    solutions: [["json", "JSON", "srj"], ["xml", "XML", "srx"], ["csv", "CSV", "csv"], ["tsv", "TSV", "tsv"]],
    graph: [["ttl", "Turtle", "ttl"], ["nt", "N-Triples", "nt"], ["nq", "N-Quads", "nq"], ["trig", "TriG", "trig"],
            ["jsonld", "JSON-LD", "jsonld"], ["rdfxml", "RDF/XML", "rdf"]],
  };
  const KIND = { SELECT: "solutions", ASK: "solutions", CONSTRUCT: "graph", DESCRIBE: "graph" };
  const GROUPS = { examples: "Examples", cq: "Competency questions" };
  // The base of the graph's own IRIs: each is answered at the same path on this server.
  const IRI_BASE = document.body.dataset.iriBase;
  const WIKIDATA = "https://query.wikidata.org/sparql";
  const WIKIDATA_DIRECT = "http://www.wikidata.org/prop/direct/";
  // The offline cache describes itself; live Wikidata holds none of these triples, so this query
  // finds rows only when the SERVICE calls to Wikidata are answered from the cache.
  const CACHE_QUERY = `PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX void: <http://rdfs.org/ns/void#>
SELECT ?graph ?label ?comment ?generated (GROUP_CONCAT(DISTINCT STR(?source); SEPARATOR=" ") AS ?sources)
       (GROUP_CONCAT(DISTINCT STR(?property); SEPARATOR=" ") AS ?properties) WHERE {
  SERVICE <${WIKIDATA}> {
    VALUES ?graph { <https://w3id.org/astana-kg/graph/cache/wikidata> <https://w3id.org/astana-kg/graph/cache/wikidata-checked> }
    ?graph rdfs:label ?label .
    OPTIONAL { ?graph rdfs:comment ?comment }
    OPTIONAL { ?graph prov:generatedAtTime ?generated }
    OPTIONAL { ?graph prov:wasDerivedFrom ?source }
    OPTIONAL { ?graph void:propertyPartition/void:property ?property }
  }
}
GROUP BY ?graph ?label ?comment ?generated`;

  const $ = (id) => document.getElementById(id);

  function el(tag, props = {}, ...children) {
    const element = Object.assign(document.createElement(tag), props);
    element.append(...children);
    return element;
  }

  function showError(message) {
    $("page-error").textContent = message;
    $("page-error").hidden = false;
  }

  // Where a link to an IRI leads: this server's page for an IRI under the graph's base (unless
  // this page is served at that base), the IRI itself for another http(s) IRI, else nowhere.
  function linkTarget(iri) {
    if (IRI_BASE && iri.startsWith(IRI_BASE) && !document.baseURI.startsWith(IRI_BASE)) {
      return new URL(`./${iri.slice(IRI_BASE.length)}`, document.baseURI).href;
    }
    return /^https?:/i.test(iri) ? iri : null;
  }

  function compactIri(iri, prefixes) {
    for (const [prefix, namespace] of Object.entries(prefixes || {})) {
      if (namespace && iri.startsWith(namespace)) return `${prefix}:${iri.slice(namespace.length)}`;
    }
    return null;
  }

  // One result cell as YASR's table draws it (an HTML string), but with the links and the typed
  // literals of this page. Made with the DOM, so that every value is escaped.
  function cellHtml(binding, prefixes, compact) {
    const cell = el("div");
    if (binding.type === "uri") {
      const compactName = compactIri(binding.value, prefixes);
      const text = compactName || (compact ? binding.value : `<${binding.value}>`);
      const href = linkTarget(binding.value);
      const link = href ? el("a", { className: "iri", href, target: "_blank", rel: "noopener noreferrer",
                                    title: binding.value, textContent: text })
                        : el("span", { className: "iri", title: binding.value, textContent: text });
      cell.append(el("span", {}, link));
      return cell.outerHTML;
    }
    const literal = el("span", { className: "nonIri" });
    if (compact || binding.type === "bnode") {
      literal.textContent = binding.value;
    } else if (binding["xml:lang"]) {
      literal.append(`"${binding.value}"`, el("sup", { textContent: `@${binding["xml:lang"]}` }));
    } else if (binding.datatype) {
      const name = compactIri(binding.datatype, prefixes) || binding.datatype.replace(/^.*[#/]/, "");
      literal.append(binding.value, " ", el("span", { className: "literal-datatype", title: binding.datatype,
                                                      textContent: name }));
      literal.dataset.datatype = binding.datatype;
    } else {
      literal.textContent = binding.value;
    }
    cell.append(literal);
    return cell.outerHTML;
  }

  // YASR's table, drawing its cells with cellHtml.
  function registerTable() {
    const Table = Yasgui.Yasr.plugins.table;
    class LinkedTable extends Table {
      getCellContent(binding, prefixes) {
        return cellHtml(binding, prefixes, this.persistentConfig?.compact === true);
      }
    }
    Yasgui.Yasr.registerPlugin("table", LinkedTable);
  }

  // An error answer in problem details (RFC 9457): its title, status, detail and, for a failed
  // SERVICE call, the endpoint it went to and what to do. Other errors: YASR's own rendering.
  async function renderProblem(error) {
    let problem;
    try {
      problem = JSON.parse(error.text);
    } catch {
      return undefined;
    }
    if (!problem || typeof problem !== "object" || typeof problem.title !== "string") return undefined;
    const box = el("div", { className: "problem" });
    box.dataset.testid = "problem";
    box.append(el("p", { className: "problem-title" }, el("strong", { textContent: problem.title }),
                  problem.status ? ` (HTTP ${problem.status})` : ""));
    if (problem.detail) box.append(el("p", { className: "problem-detail", textContent: String(problem.detail) }));
    if (Number.isInteger(problem.line)) {
      box.append(el("p", { textContent: `At line ${problem.line}, column ${problem.column} of the query.` }));
    }
    if (typeof problem.service === "string") {
      const advice = el("div", { className: "problem-advice" });
      advice.dataset.testid = "problem-advice";
      advice.append(el("p", {}, "The SERVICE call went to ", el("code", { textContent: problem.service }),
                       " (the endpoint named in the query)."));
      if (problem.offline_cache) {
        advice.append(
          el("p", {}, "This server holds an offline cache of Wikidata, the graph ",
             el("code", { textContent: problem.offline_cache }),
             ". It answers from it by itself when Wikidata cannot be reached; this call went to an endpoint " +
             "that answered with an error, or to a configured mirror that could not be reached."),
          el("p", {}, "To answer every SERVICE call to Wikidata from the cache instead, start the server with ",
             el("code", { textContent: "astana-kg serve --wikidata-cache" }), " (or ",
             el("code", { textContent: "python3 dev.py run --wikidata-cache" }), "), or try again later."));
      } else if (problem.service === WIKIDATA) {
        advice.append(el("p", {}, "This build has no offline Wikidata cache: run ",
                         el("code", { textContent: "astana-kg build" }), " (a build holds the checked claims of ",
                         el("code", { textContent: "data/wikidata/" }), "), then ",
                         el("code", { textContent: "astana-kg serve --wikidata-cache" }), "."));
      } else {
        advice.append(el("p", { textContent: "Only Wikidata's endpoint has an offline cache here: check that " +
                                             "this endpoint is up, or try again later." }));
      }
      box.append(advice);
    }
    return box;
  }

  // The Wikidata properties (P numbers) a query asks for by their direct-claim IRIs.
  function askedProperties(query) {
    const found = new Set();
    for (const match of query.matchAll(/\bwdt:(P\d+)\b|<http:\/\/www\.wikidata\.org\/prop\/direct\/(P\d+)>/g)) {
      found.add(match[1] || match[2]);
    }
    return [...found];
  }

  function linked(iri) {
    const href = linkTarget(iri);
    return href ? el("a", { href, textContent: iri }) : el("code", { textContent: iri });
  }

  // After an answer to a query that calls Wikidata: ask whether those calls are answered from the
  // offline cache, and if so say so in #service-note (data-state "offline"), else hide it ("live").
  // Only the answer to the latest query is shown (data-query names its text).
  let noteFor = 0;
  async function showServiceNote(tab) {
    const note = $("service-note");
    const query = tab.getQuery();
    const ticket = ++noteFor;
    note.hidden = true;
    note.replaceChildren();
    note.dataset.state = "pending";
    note.dataset.query = query;
    await null; // YASR takes the response after this event: then it knows whether it is an error
    if (ticket !== noteFor) return;
    if (!query.includes(WIKIDATA) || tab.getYasr()?.results?.hasError?.()) {
      note.dataset.state = query.includes(WIKIDATA) ? "error" : "none";
      return;
    }
    let rows = [];
    try {
      const response = await fetch(ENDPOINT, {
        method: "POST", body: new URLSearchParams({ query: CACHE_QUERY }),
        headers: { Accept: "application/sparql-results+json" },
      });
      if (response.ok) rows = (await response.json()).results.bindings;
    } catch {
      rows = [];
    }
    if (ticket !== noteFor) return;
    if (!rows.length) {
      note.dataset.state = "live";
      return;
    }
    const row = rows[0];
    const graph = row.graph.value;
    const held = (row.properties?.value || "").split(" ").filter(Boolean)
      .map((iri) => iri.slice(WIKIDATA_DIRECT.length));
    const missing = askedProperties(query).filter((pid) => held.length && !held.includes(pid));
    note.append(el("p", {}, el("strong", { textContent: "Wikidata's part of this answer came from the offline cache" }),
                   `, not from ${WIKIDATA}: `, el("span", { className: "cache-label", textContent: row.label.value }),
                   " (graph ", linked(graph), ")."));
    const age = row.generated
      ? `Fetched at ${row.generated.value.replace("T", " ")}.`
      : "Made from the claims checked for this graph (data/wikidata/), shipped with it.";
    const about = el("details", {}, el("summary", { textContent: age + " What it holds" }));
    if (row.comment) about.append(el("p", { className: "cache-comment", textContent: row.comment.value }));
    const sources = (row.sources?.value || "").split(" ").filter(Boolean);
    if (sources.length) {
      const list = el("span");
      sources.forEach((iri, index) => list.append(index ? ", " : "", linked(iri)));
      about.append(el("p", {}, "Derived from ", list, "."));
    }
    if (held.length) {
      about.append(el("p", { className: "cache-properties" }, `Claims of ${held.join(", ")} only.`));
    }
    note.append(about);
    if (missing.length) {
      const sentence = el("p", { className: "cache-missing" });
      sentence.dataset.testid = "cache-missing";
      sentence.append(el("strong", { textContent: `Not in the offline cache: ${missing.join(", ")}.` }),
                      " This query asks for them, and their values are missing from this answer; " +
                      "live Wikidata may have them.");
      note.append(sentence);
    }
    note.dataset.graph = graph;
    note.dataset.state = "offline";
    note.hidden = false;
  }

  async function getJson(path) {
    const response = await fetch(new URL(path, document.baseURI), { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return response.json();
  }

  function starterQuery(prefixes) {
    const declarations = Object.entries(prefixes).map(([prefix, iri]) => `PREFIX ${prefix}: <${iri}>`);
    return `${declarations.join("\n")}

SELECT ?party ?label WHERE {
  ?party a akg:Party ; rdfs:label ?label .
}
ORDER BY ?label
LIMIT 100
`;
  }

  function createYasgui(prefixes) {
    // Only the completers that need no other server: LOV's class and property completers call one.
    Yasgui.Yasqe.defaults.autocompleters = ["prefixes", "variables"];
    registerTable();
    Yasgui.Yasr.defaults.errorRenderers = [renderProblem, ...(Yasgui.Yasr.defaults.errorRenderers || [])];
    Yasgui.Yasqe.defaults.prefixCcApi = new URL("static/prefixes.json", document.baseURI).href;
    const yasgui = new Yasgui($("yasgui"), {
      persistenceId: "astana-kg",
      requestConfig: { endpoint: ENDPOINT, method: "POST", acceptHeaderGraph: "text/turtle,*/*;q=0.9" },
      endpointCatalogueOptions: { getData: () => [{ endpoint: ENDPOINT }] },
      copyEndpointOnNewTab: true,
      yasqe: { value: starterQuery(prefixes) },
      yasr: { prefixes, defaultPlugin: "table" },
    });
    // Tabs kept from an earlier visit may name another server's endpoint (another port).
    for (const id of yasgui.persistentConfig.getTabs()) yasgui.getTab(id)?.setEndpoint(ENDPOINT);
    return yasgui;
  }

  // The links are made in this one place, once per query text: #download-links keeps the text they
  // were made for in data-query, so that nothing rebuilds them while the text stays the same (a
  // link someone is about to click stays the same element) and a test can wait for that state.
  function renderDownloads(yasgui) {
    const yasqe = yasgui.getTab()?.getYasqe();
    const list = $("download-links");
    const note = $("downloads-note");
    if (!yasqe) {
      list.replaceChildren();
      delete list.dataset.query;
      return;
    }
    const query = yasqe.getValue();
    if (list.dataset.query === query) return;
    list.replaceChildren();
    list.dataset.query = query;
    const kind = yasqe.getQueryMode() === "query" ? KIND[yasqe.getQueryType()] : undefined;
    if (!kind) {
      note.textContent = yasqe.getQueryMode() === "update"
        ? "An update has no results to download."
        : "Write a SELECT, ASK, CONSTRUCT or DESCRIBE query to download its results.";
      return;
    }
    note.textContent = "Each link runs the query in the editor again and saves the whole answer.";
    for (const [format, label, extension] of FORMATS[kind]) {
      const url = new URL(ENDPOINT);
      url.searchParams.set("query", query);
      url.searchParams.set("format", format);
      const link = el("a", { id: `download-${format}`, href: url.href, download: `results.${extension}`,
                             textContent: label });
      link.dataset.testid = `download-${format}`;
      link.dataset.format = format;
      list.append(el("li", {}, link));
    }
  }

  function postLongDownload(event) {
    const link = event.target.closest("a[data-format]");
    if (!link || link.href.length <= MAX_GET_URL) return;
    event.preventDefault();
    const field = (name, value) => el("input", { type: "hidden", name, value });
    const query = new URL(link.href).searchParams.get("query");
    const form = el("form", { method: "post", action: ENDPOINT, target: "_blank" },
                    field("query", query), field("format", link.dataset.format));
    document.body.append(form);
    form.submit();
    form.remove();
  }

  function watchDownloads(yasgui) {
    // YASQE's own "changes" handler (registered when the editor is made, so before this one) has
    // already read the query type by the time this one runs: the links follow each edit at once.
    const render = () => renderDownloads(yasgui);
    const watched = new WeakSet();
    const watchActiveTab = () => {
      const yasqe = yasgui.getTab()?.getYasqe();
      if (yasqe && !watched.has(yasqe)) {
        watched.add(yasqe);
        yasqe.on("changes", render);
      }
      render();
    };
    // The active tab is known once YASGUI has handled its own event.
    for (const event of ["tabSelect", "tabAdd", "tabClose", "tabChange"]) {
      yasgui.on(event, () => setTimeout(watchActiveTab));
    }
    $("download-links").addEventListener("click", postLongDownload);
    watchActiveTab();
  }

  function renderExamples(examples, yasgui) {
    const list = $("example-list");
    const groups = new Map();
    examples.forEach((example, index) => {
      const group = example.name.includes("/") ? example.name.split("/")[0] : "";
      if (!groups.has(group)) {
        const items = el("ul");
        groups.set(group, items);
        list.append(el("li", { className: "example-group" },
                       el("h3", { textContent: GROUPS[group] ?? (group || "Queries") }), items));
      }
      const button = el("button", { type: "button", id: `example-${index}`, className: "example" },
                        el("span", { className: "example-title", textContent: example.title }),
                        el("span", { className: "example-description", textContent: example.description }));
      button.dataset.testid = "example";
      button.dataset.name = example.name;
      button.setAttribute("aria-pressed", "false");
      button.addEventListener("click", () => {
        yasgui.getTab().setQuery(example.query);
        for (const other of list.querySelectorAll("button.example")) other.setAttribute("aria-pressed", "false");
        button.setAttribute("aria-pressed", "true");
      });
      groups.get(group).append(el("li", {}, button));
    });
    $("examples-status").textContent =
      `${examples.length} queries. Choose one to load it into the editor, then run it with the ▶ button.`;
  }

  async function main() {
    $("endpoint").href = ENDPOINT;
    $("endpoint").firstChild.textContent = ENDPOINT;
    if (typeof Yasgui === "undefined") {
      showError("The query editor is not installed on this server: run " +
                "`npm ci --prefix server/astana_kg/web && python3 server/astana_kg/web/vendor.py`.");
      $("examples-status").textContent = "";
      return;
    }
    const [prefixes, examples] = await Promise.all([
      getJson("static/prefixes.json"),
      getJson("examples.json").catch((error) => error),
    ]);
    const yasgui = createYasgui(prefixes);
    window.yasgui = yasgui; // for the browser's console, and the browser test
    watchDownloads(yasgui);
    yasgui.on("queryResponse", (_yasgui, tab) => {
      showServiceNote(tab).catch((error) => showError(`The offline cache could not be asked: ${error.message}`));
    });
    if (examples instanceof Error) {
      $("examples-status").textContent = `The examples could not be loaded (${examples.message}).`;
    } else {
      renderExamples(examples, yasgui);
    }
    document.body.dataset.ready = "true";
  }

  main().catch((error) => showError(`The page failed to start: ${error.message}`));
})();
