"""An HTTP server on 127.0.0.1 for download tests, with Range support and scripted faults."""

import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SEND_CHUNK = 64 * 1024  # bytes per socket write


@dataclass
class Behaviour:
    """What the server does; tests change fields between requests."""

    files: dict[str, bytes] = field(default_factory=dict)  # URL path → body
    redirects: dict[str, str] = field(default_factory=dict)  # URL path → path to redirect to
    ignore_range: bool = False  # reply to every request with 200 and the whole file
    drop_after: int | None = None  # close the connection after this many body bytes
    drops_left: int = 0  # how many responses still drop; 0 = none
    content_type: str = "application/octet-stream"
    send_length: bool = True  # False: no Content-Length, the body ends when the connection closes
    delay_per_chunk: float = 0.0  # seconds slept before each chunk (slow server)
    stall: float = 0.0  # seconds slept before sending headers (stalled server)
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path, Range header) per request


class Handler(BaseHTTPRequestHandler):
    server: "FileServer"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (signature of the base class)
        pass  # keep pytest's output clean

    def do_GET(self) -> None:  # noqa: N802 (name fixed by http.server)
        behaviour = self.server.behaviour
        range_header = self.headers.get("Range")
        behaviour.requests.append((self.path, range_header))
        if behaviour.stall:
            time.sleep(behaviour.stall)

        if self.path in behaviour.redirects:
            self.send_response(302)
            self.send_header("Location", behaviour.redirects[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path not in behaviour.files:
            self.send_error(404)
            return

        body = behaviour.files[self.path]
        start = 0
        match = re.fullmatch(r"bytes=(\d+)-", range_header or "")
        if match and not behaviour.ignore_range:
            start = int(match.group(1))
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Type", behaviour.content_type)
        if behaviour.send_length:
            self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        self.send_body(body[start:])

    def send_body(self, body: bytes) -> None:
        behaviour = self.server.behaviour
        limit = len(body)
        if behaviour.drops_left and behaviour.drop_after is not None:
            behaviour.drops_left -= 1
            limit = min(limit, behaviour.drop_after)
        try:
            for offset in range(0, limit, SEND_CHUNK):
                if behaviour.delay_per_chunk:
                    time.sleep(behaviour.delay_per_chunk)
                self.wfile.write(body[offset : min(offset + SEND_CHUNK, limit)])
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away, as in the stop tests
        self.close_connection = True


class FileServer(ThreadingHTTPServer):
    """Serve `Behaviour.files` on 127.0.0.1 at an ephemeral port; use as a context manager."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.behaviour = Behaviour()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def __enter__(self) -> "FileServer":
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()
        self.server_close()
