"""Misbehaving OpenAI-compatible servers for the tests: a real ThreadingHTTPServer on 127.0.0.1
that answers every POST with a reply function, started and stopped by the test."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Reply = Callable[[BaseHTTPRequestHandler], None]


def sse(handler: BaseHTTPRequestHandler, *events: str) -> None:
    """A 200 event stream of these `data:` events; the connection closes after them."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    handler.end_headers()
    for event in events:
        handler.wfile.write(f"data: {event}\n\n".encode())
        handler.wfile.flush()


@contextmanager
def serving(reply: Reply) -> Iterator[str]:
    """The base URL of a server answering with `reply` while the block runs. A reply that
    writes forever should stop when the client hangs up (the write then fails, which is
    ignored here) or when its test says so."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            # The client may stop reading and close: what a bounded client does.
            with suppress(BrokenPipeError, ConnectionResetError):
                reply(self)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    finally:
        httpd.shutdown()
        httpd.server_close()
