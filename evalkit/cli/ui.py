"""``evalkit ui``: browse and compare the runs of the store in a local web page.

Pages: ``/`` lists the runs (pick two to compare), ``/runs/<id>`` is a run's report and
``/compare?a=<id>&b=<id>`` compares two runs; each is the same self-contained page that
``evalkit report`` writes. Standard library HTTP server, one thread per request.

MERGE: the ui work (issue 17) replaces the server below with ``evalkit.ui``; this module
then keeps only ``add_parser`` and a ``run`` that calls ``evalkit.ui.serve(...)``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from evalkit.cli import store
from evalkit.cli.common import EXIT_OK, Subcommands, experiment
from evalkit.cli.config import ProjectConfig
from evalkit.errors import EvalkitError

__all__ = ["add_parser", "index_page", "make_server", "run"]


def add_parser(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    """Declare ``evalkit ui`` and its options."""
    ui = commands.add_parser(
        "ui", parents=[common], help="browse and compare every run in a web page"
    )
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=8765, help="0 picks a free port")


def run(args: argparse.Namespace, config: ProjectConfig) -> int:
    """Serve the pages until Ctrl-C."""
    store.tracking()
    try:
        server = make_server(args.host, args.port, experiment(args, config))
    except OSError as exc:
        raise EvalkitError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    port = server.server_address[1]
    sys.stdout.write(f"evalkit ui: serving http://{args.host}:{port}/ (Ctrl-C to stop)\n")
    sys.stdout.flush()
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return EXIT_OK


def index_page(runs: list[dict[str, Any]]) -> str:
    """The run list: a link per run and a form to compare two."""
    from evalkit.report.render import _environment

    return _environment().get_template("index.html.j2").render(runs=runs)


def _handler(experiment: str | None) -> type[BaseHTTPRequestHandler]:
    from evalkit.report import render_report

    routes: dict[str, Callable[[str, dict[str, list[str]]], str]] = {}

    def index(_: str, __: dict[str, list[str]]) -> str:
        return index_page(store.list_runs(experiment, max_results=500))

    def run(rest: str, _: dict[str, list[str]]) -> str:
        return render_report(store.load_run(unquote(rest), experiment))

    def compare(_: str, query: dict[str, list[str]]) -> str:
        a, b = query.get("a", [""])[0], query.get("b", [""])[0]
        if not a or not b:
            raise EvalkitError("compare needs two runs: /compare?a=RUN_A&b=RUN_B")
        return render_report(store.load_run(b, experiment), store.load_run(a, experiment))

    routes.update({"": index, "runs": run, "compare": compare})

    class Handler(BaseHTTPRequestHandler):
        server_version = "evalkit-ui"

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            head, _, rest = url.path.strip("/").partition("/")
            route = routes.get(head)
            if route is None or (head == "runs" and not rest):
                self._send(HTTPStatus.NOT_FOUND, f"no page at {url.path}")
                return
            try:
                page = route(rest, parse_qs(url.query))
            except EvalkitError as exc:
                status = HTTPStatus.NOT_FOUND if "not found" in str(exc) else HTTPStatus.BAD_REQUEST
                self._send(status, str(exc))
                return
            self._send(HTTPStatus.OK, page, "text/html; charset=utf-8")

        def _send(
            self, status: HTTPStatus, body: str, kind: str = "text/plain; charset=utf-8"
        ) -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            sys.stderr.write(f"evalkit ui: {self.address_string()} {format % args}\n")

    return Handler


def make_server(host: str, port: int, experiment: str | None = None) -> ThreadingHTTPServer:
    """A server for the run pages, bound but not yet serving (``port=0`` picks a free one)."""
    server = ThreadingHTTPServer((host, port), _handler(experiment))
    server.daemon_threads = True
    return server
