"""The benchmarks' HTTP client: one keep-alive connection to a local server, JSON bodies, a
bearer token; and that local server (:func:`waitress`).

Every bench that drives a real server over the API (``bench/engine/api.py``,
``bench/sidebyside``, ``bench/load`` and ``bench/processes``) talks through :class:`JsonClient`.
It is as cheap in CPU as the standard library allows, because in some runs the clients share
the server's cores and their CPU is counted (``bench/processes``): ``http.client`` on one
connection, kept open while the server allows it (waitress does; gunicorn's sync workers close
it after every answer and the next request opens a new one), the headers built once, no urllib
opener (handler chain, cookie jar, ``Request`` object).  :meth:`JsonClient.request` gives the
body as bytes, for a caller that decodes only what it reads; :meth:`JsonClient.send` decodes it.

Timing stays with the callers: each bench times exactly the span it reports (a request, or a
request and the work on its answer).  Only 127.0.0.1 is meant to be contacted.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class Failed(Exception):
    """A request answered with an error status (:meth:`JsonClient.ok`)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (for a server about to start)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def decoded(raw: bytes) -> Any:
    """A body as JSON, or as text when it is not JSON (an HTML error page); None when empty."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


class JsonClient:
    """One keep-alive connection to ``base`` (``http://127.0.0.1:<port>``, or the port alone).

    ``retry_stale``: when a request on a connection that served an earlier answer fails because
    the server had closed it while idle (RemoteDisconnected, EPIPE, ECONNRESET), send it once
    more on a new connection.  Off by default, where a failed request is what a bench counts:
    the server cannot be told apart from one that died while answering.
    """

    def __init__(
        self,
        base: str | int,
        token: str | None = None,
        *,
        timeout: float = 120,
        retry_stale: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        if isinstance(base, int):
            host, port = "127.0.0.1", base
        else:
            parts = urlsplit(base)
            host, port = parts.hostname or "127.0.0.1", parts.port
        self.conn = http.client.HTTPConnection(host, port, timeout=timeout)
        self.retry_stale = retry_stale
        self.username: str | None = None
        self._extra = dict(headers or {})
        self.token = token

    @property
    def token(self) -> str | None:
        return self._token

    @token.setter
    def token(self, token: str | None) -> None:
        self._token = token
        self._headers = {**self._extra, "Accept": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._json_headers = {**self._headers, "Content-Type": "application/json"}

    def login(self, username: str, password: str) -> JsonClient:
        """A bearer token from ``POST /api/v1/auth/tokens``, used from now on."""
        status, body = self.send(
            "POST", "/api/v1/auth/tokens", {"username": username, "password": password}
        )
        if status != 201:
            raise Failed(f"login {username}: {status} {str(body)[:200]}")
        self.username = username
        self.token = body["token"]
        return self

    def request(self, method: str, path: str, body: object = None) -> tuple[int, bytes]:
        """One request; the status and the body undecoded."""
        data = None
        headers = self._headers
        if body is not None:
            data = json.dumps(body).encode()
            headers = self._json_headers
        reused = self.conn.sock is not None
        try:
            self.conn.request(method, path, data, headers)
            response = self.conn.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            if not (self.retry_stale and reused):
                raise
            # The server closed an idle kept-alive connection before reading the request:
            # send it again on a new one.
            self.conn.close()
            self.conn.request(method, path, data, headers)
            response = self.conn.getresponse()
        raw = response.read()
        if response.will_close:
            self.conn.close()
        return response.status, raw

    def send(self, method: str, path: str, body: object = None) -> tuple[int, Any]:
        """One request; the status and the body decoded (:func:`decoded`)."""
        status, raw = self.request(method, path, body)
        return status, decoded(raw)

    def ok(self, method: str, path: str, body: object = None) -> Any:
        """The decoded body of a 1xx/2xx answer; :class:`Failed` for any other."""
        status, answer = self.send(method, path, body)
        if status >= 300:
            raise Failed(f"{method} {path}: {status} {str(answer)[:200]}")
        return answer

    def close(self) -> None:
        self.conn.close()


def waitress(
    root: Path, database_url: str, instance: Path | str, log: Path, *, threads: int, app: str
) -> tuple[subprocess.Popen[bytes], int]:
    """The app of the checkout ``root`` under ``waitress-serve --threads=<threads> <app>`` on a
    free port of 127.0.0.1, production settings on ``database_url`` (a fresh secret key, no
    Redis: the login limits in memory), its output in ``log``.  Returns the process and the
    port once the server answers ``GET /login``."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "HQR_DATABASE_URL": database_url,
        "HQR_INSTANCE_PATH": str(instance),
        "HQR_SECRET_KEY": secrets.token_hex(32),
        "HQR_REDIS_URL": "",
    }
    serve = Path(sys.executable).with_name("waitress-serve")
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(serve), f"--listen=127.0.0.1:{port}", f"--threads={threads}", app],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request("GET", "/login")
            conn.getresponse().read()
            return process, port
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"the server did not start: see {log}") from None
            time.sleep(0.2)
        finally:
            conn.close()
