"""Stand-ins for a remote SPARQL endpoint that fails, on loopback: one that refuses every
connection (as an unreachable Wikidata does), and one that answers every request with an error
(as an overloaded Wikidata does)."""

from __future__ import annotations

import contextlib
import http.server
import socket
import threading


@contextlib.contextmanager
def refusing_port():
    """A 127.0.0.1 port that refuses every connection (bound, never listening) while the block runs."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@contextlib.contextmanager
def failing_endpoint(status: int = 500, body: bytes = b"java.util.concurrent.TimeoutException\n" * 100):
    """A loopback endpoint answering every request with ``status`` and a long plain-text ``body``;
    yields its URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    finally:
        server.shutdown()
        server.server_close()
