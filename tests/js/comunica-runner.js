// Runs SPARQL queries with Comunica (its JavaScript API, the engine the comunica-sparql command
// runs) for the tests, in one long-lived Node.js process: loading Comunica takes longer than most
// of the queries.
//
// Reads one JSON request per line on stdin: {"sources": ["URL", "brtpf@URL", "sparql@URL", ...],
// "query": "...", "httpRetryCount": N (optional)}. A source is written as on comunica-sparql's
// command line: an optional type, then "@", then the URL. Each request runs on a fresh engine
// (nothing cached from the last one). Writes one JSON line per request, in order:
// {"ok": true, "results": "<the SPARQL JSON results>", "seconds": S} or
// {"ok": false, "error": "<message>"}.
'use strict';

const readline = require('node:readline');
const { QueryEngine } = require('@comunica/query-sparql');

function source(text) {
  const typed = /^([^:]*)@/u.exec(text);
  return typed ? { type: typed[1], value: text.slice(typed[1].length + 1) } : { value: text };
}

async function answer(request) {
  const started = process.hrtime.bigint();
  const context = { sources: request.sources.map(source) };
  if (request.httpRetryCount) {
    context.httpRetryCount = request.httpRetryCount;
  }
  const engine = new QueryEngine();
  const result = await engine.query(request.query, context);
  const { data } = await engine.resultToString(result, 'application/sparql-results+json');
  let text = '';
  for await (const chunk of data) {
    text += chunk;
  }
  return { ok: true, results: text, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

async function main() {
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) {
      continue;
    }
    let reply;
    try {
      reply = await answer(JSON.parse(line));
    } catch (error) {
      reply = { ok: false, error: String(error && error.stack ? error.stack : error) };
    }
    process.stdout.write(`${JSON.stringify(reply)}\n`);
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
