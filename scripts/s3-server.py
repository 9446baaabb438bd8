#!/usr/bin/env python3
"""A local S3-compatible server for the binref-on-object-storage tests and bench: moto's S3 (server mode,
in memory) behind a WSGI middleware that counts the bytes every request sends and receives.

Run with the s3 venv's python (`scripts/peers-venv.sh` builds .cache/venvs/s3 from requirements-s3.txt):

    .cache/venvs/s3/bin/python scripts/s3-server.py [--port 0] [--bucket arraymodel ...] [--exit-on-stdin-eof]

- Binds 127.0.0.1 (`--host` to change it) on `--port`, default 0 = a free port chosen by the kernel, creates
  every `--bucket` (default `arraymodel`; region us-east-1) through its own S3 API, and only then prints
  `http://127.0.0.1:PORT` as the FIRST line of standard output (flushed). Serves until SIGTERM / SIGINT, or,
  with `--exit-on-stdin-eof`, until its standard input closes (give it a pipe and keep the write end: the
  server then exits with the process that started it, even after a crash).
- Requests are logged to stderr only with `--verbose`.

Clients: path-style addressing (http://127.0.0.1:PORT/BUCKET/KEY; virtual-hosted names such as
BUCKET.127.0.0.1 do not resolve), plain http, any region in the signature (use us-east-1), and ANY access
key and secret: moto checks no signature, but a request WITHOUT an Authorization header is anonymous and gets
403 on the (private) buckets. The conventions of the tests:

    AWS_ENDPOINT_URL=http://127.0.0.1:PORT AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
    AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_ALLOW_HTTP=true AWS_EC2_METADATA_DISABLED=true
    (object_store: AWS_VIRTUAL_HOSTED_STYLE_REQUEST=false is its default). Always give the credentials: a
    client without them (botocore, object_store) falls back to the EC2 metadata address 169.254.169.254.

Byte counter (answered by the middleware, never seen by moto; JSON answers; "KEY" is BUCKET/OBJECT-KEY,
the path-style URL path without its leading "/", percent-decoded):

    GET  /__counter__?key=BUCKET/KEY   one key: {"key", "get_requests", "get_body_bytes", "get_ranges",
                                       "get_statuses" (Range header and status of each GET, in order),
                                       "put_requests", "put_body_bytes", "head_requests", "requests": {OP: n},
                                       "bytes_out": {OP: n}, "bytes_in": {OP: n}}
    GET  /__counter__?prefix=BUCKET/P  the same, summed over every key that starts with P ("key" is null)
    GET  /__counter__                  {"keys": {KEY: <one key>}, "requests": N} for everything since the reset
    GET  /__counter__/log              [{"method", "op", "key", "query", "range", "status", "bytes_in",
                                       "bytes_out", "done"}, ...] every S3 request since the reset, in arrival order
    POST /__counter__/reset            zeroes the counters and the log (objects and buckets stay)

OP is get, head, put, upload_part, upload_part_copy, copy, create_multipart, complete_multipart,
abort_multipart, delete, list (a bucket GET), create_bucket or other. `bytes_out` is the response BODY as moto
produced it and werkzeug wrote it (no status line, headers or chunk framing; a HEAD has none): for a ranged
GET it is exactly the bytes of the 206 answer, so "get_body_bytes" answers "how many body bytes did GETs of
KEY send since the reset" (error answers count too: a 404 or 416 carries a few hundred bytes of XML;
"get_statuses" tells them apart).
`bytes_in` is the request body as read by moto, after werkzeug removed any HTTP chunked framing (an
aws-chunked upload, as recent boto3 sends, still counts its chunk signatures). A request is in the log from
its arrival, and its counts grow while it runs: body bytes are counted just BEFORE werkzeug writes them, so
once a client has received an answer, a counter query that it sends afterwards sees all of that answer
("done" in the log turns true a moment later, when werkzeug closes the response).

Behaviour of moto 5.2.6 that the Rust side should expect (checked when this server was written):
- Range: `bytes=A-B` -> 206 with exactly bytes A..=B and `Content-Range: bytes A-B/SIZE`; an end past the
  object is clamped (206 with fewer bytes, as S3); `bytes=A-` and `bytes=-N` work; a start at or past the end
  -> 416 InvalidRange, and so is every range of an empty object (GET it without Range). ETag and
  Last-Modified come with every GET/HEAD.
- Conditional requests: PutObject with `If-None-Match: *` on an existing key and with a stale `If-Match` ->
  412 PreconditionFailed; GetObject `If-Match` (412) and `If-None-Match` (304) as S3.
- PutObject is atomic (the object appears whole when the PUT completes); a multipart upload is invisible
  until CompleteMultipartUpload; parts other than the last must be >= 5 MiB (EntityTooSmall at completion,
  as S3). ETags: quoted MD5 hex for PutObject, `"<md5 of the part MD5s>-N"` for a multipart object.
- Every answer carries `Connection: close` (werkzeug's dev server has no keep-alive).
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import signal
import sys
import threading
import urllib.parse
from typing import Any

COUNTER = "/__counter__"


def parse_range(header: str | None) -> str | None:
    return header.strip() if header else None


class Counter:
    """Per-request records since the last reset, and per-key sums (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.log: list[dict[str, Any]] = []

    def reset(self) -> None:
        with self.lock:
            self.log = []

    def add(self, rec: dict[str, Any]) -> None:
        with self.lock:
            self.log.append(rec)

    def snapshot(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(r) for r in self.log]

    @staticmethod
    def summarize(recs: list[dict[str, Any]], key: str | None) -> dict[str, Any]:
        requests: dict[str, int] = {}
        bytes_out: dict[str, int] = {}
        bytes_in: dict[str, int] = {}
        ranges, statuses = [], []
        for r in recs:
            op = r["op"]
            requests[op] = requests.get(op, 0) + 1
            bytes_out[op] = bytes_out.get(op, 0) + r["bytes_out"]
            bytes_in[op] = bytes_in.get(op, 0) + r["bytes_in"]
            if op == "get":
                ranges.append(r["range"])
                statuses.append(r["status"])
        return {
            "key": key,
            "get_requests": requests.get("get", 0),
            "get_body_bytes": bytes_out.get("get", 0),
            "get_ranges": ranges,
            "get_statuses": statuses,
            "put_requests": requests.get("put", 0) + requests.get("upload_part", 0),
            "put_body_bytes": bytes_in.get("put", 0) + bytes_in.get("upload_part", 0),
            "head_requests": requests.get("head", 0),
            "requests": requests,
            "bytes_out": bytes_out,
            "bytes_in": bytes_in,
        }


def classify(method: str, key: str, query: dict[str, list[str]], environ: dict[str, Any]) -> str:
    is_object = "/" in key
    if method == "GET":
        return "get" if is_object else "list"
    if method == "HEAD":
        return "head"
    if method == "PUT":
        if "partNumber" in query and "uploadId" in query:
            return "upload_part_copy" if environ.get("HTTP_X_AMZ_COPY_SOURCE") else "upload_part"
        if environ.get("HTTP_X_AMZ_COPY_SOURCE"):
            return "copy"
        return "put" if is_object else "create_bucket"
    if method == "POST":
        if "uploads" in query:
            return "create_multipart"
        if "uploadId" in query:
            return "complete_multipart"
        return "other"
    if method == "DELETE":
        if "uploadId" in query:
            return "abort_multipart"
        return "delete" if is_object else "other"
    return "other"


class CountingInput:
    """wsgi.input that adds the bytes read from it to rec["bytes_in"] as they are read."""

    def __init__(self, inner: Any, rec: dict[str, Any]) -> None:
        self.inner = inner
        self.rec = rec

    def _add(self, n: int) -> None:
        self.rec["bytes_in"] += n

    def read(self, *args: Any) -> bytes:
        data = self.inner.read(*args)
        self._add(len(data))
        return data

    def readinto(self, buf: Any) -> int:  # werkzeug's LimitedStream reads through this
        n = self.inner.readinto(buf)
        self._add(n or 0)
        return n

    def readline(self, *args: Any) -> bytes:
        data = self.inner.readline(*args)
        self._add(len(data))
        return data

    def readlines(self, *args: Any) -> list[bytes]:
        lines = self.inner.readlines(*args)
        self._add(sum(len(x) for x in lines))
        return lines

    def __iter__(self):
        for line in self.inner:
            self._add(len(line))
            yield line

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class CountingBody:
    """The response iterable: adds each chunk to rec["bytes_out"] BEFORE handing it to the server to send, so
    that a client that has received the whole answer and then asks the counter finds all of it counted."""

    def __init__(self, inner: Any, rec: dict[str, Any]) -> None:
        self.inner = inner
        self.rec = rec

    def __iter__(self):
        for chunk in self.inner:
            self.rec["bytes_out"] += len(chunk)
            yield chunk

    def close(self) -> None:
        self.rec["done"] = True
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()


class CountingMiddleware:
    def __init__(self, app: Any, counter: Counter) -> None:
        self.app = app
        self.counter = counter

    @staticmethod
    def _json(start_response, status: str, obj: Any) -> list[bytes]:
        body = (json.dumps(obj) + "\n").encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    def counter_api(self, environ: dict[str, Any], start_response) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ["REQUEST_METHOD"]
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        if path in (COUNTER + "/reset", COUNTER + "/reset/") and method == "POST":
            self.counter.reset()
            return self._json(start_response, "200 OK", {"reset": True})
        if path in (COUNTER + "/log", COUNTER + "/log/") and method == "GET":
            return self._json(start_response, "200 OK", self.counter.snapshot())
        if path in (COUNTER, COUNTER + "/") and method == "GET":
            recs = self.counter.snapshot()
            if "key" in query:
                key = query["key"][0].lstrip("/")
                summary = Counter.summarize([r for r in recs if r["key"] == key], key)
                return self._json(start_response, "200 OK", summary)
            if "prefix" in query:
                prefix = query["prefix"][0].lstrip("/")
                summary = Counter.summarize([r for r in recs if r["key"].startswith(prefix)], None)
                return self._json(start_response, "200 OK", summary)
            keys = sorted({r["key"] for r in recs})
            by_key = {k: Counter.summarize([r for r in recs if r["key"] == k], k) for k in keys}
            return self._json(start_response, "200 OK", {"keys": by_key, "requests": len(recs)})
        return self._json(start_response, "404 Not Found", {"error": f"no counter endpoint {method} {path}"})

    def __call__(self, environ: dict[str, Any], start_response) -> Any:
        raw_path = environ.get("PATH_INFO", "")
        if raw_path == COUNTER or raw_path.startswith(COUNTER + "/"):
            return self.counter_api(environ, start_response)
        # PEP 3333: PATH_INFO holds the percent-decoded bytes as latin-1 characters
        try:
            key = raw_path.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            key = raw_path
        key = key.lstrip("/")
        qs = environ.get("QUERY_STRING", "")
        query = urllib.parse.parse_qs(qs, keep_blank_values=True)
        method = environ["REQUEST_METHOD"]
        rec: dict[str, Any] = {
            "method": method,
            "op": classify(method, key, query, environ),
            "key": key,
            "query": qs,
            "range": parse_range(environ.get("HTTP_RANGE")),
            "status": None,
            "bytes_in": 0,
            "bytes_out": 0,
            "done": False,
        }
        # The record is in the log from the start and its counts grow as the bytes go through (GIL-atomic
        # updates of one thread's own record); the status is set before the first body byte is sent.
        self.counter.add(rec)
        environ["wsgi.input"] = CountingInput(environ["wsgi.input"], rec)

        def start(status: str, headers, exc_info=None):
            rec["status"] = int(status.split(None, 1)[0])
            return start_response(status, headers, exc_info)

        return CountingBody(self.app(environ, start), rec)


def create_bucket(host: str, port: int, bucket: str) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request("PUT", "/" + urllib.parse.quote(bucket), body=b"",
                     headers={"Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request"})  # fmt: skip
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"creating bucket {bucket}: HTTP {resp.status} {body[:500]!r}")
    finally:
        conn.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 (default): a free port")
    ap.add_argument("--bucket", action="append", help="bucket to create (repeatable; default: arraymodel)")
    ap.add_argument("--exit-on-stdin-eof", action="store_true", help="exit when standard input closes")
    ap.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = ap.parse_args()
    buckets = args.bucket or ["arraymodel"]

    # moto reads its settings at import; keep the server's own account and region fixed.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.INFO if args.verbose else logging.WARNING)

    counter = Counter()
    app = CountingMiddleware(DomainDispatcherApplication(create_backend_app), counter)
    server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    host, port = server.server_address[:2]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    for b in buckets:
        create_bucket(host, port, b)
    counter.reset()  # the bucket creations are not the caller's traffic

    url_host = f"[{host}]" if ":" in host else host
    print(f"http://{url_host}:{port}", flush=True)
    print(f"s3-server: moto S3 on http://{url_host}:{port}, buckets {', '.join(buckets)}; counter at {COUNTER}",
          file=sys.stderr, flush=True)  # fmt: skip

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if args.exit_on_stdin_eof:

        def watch_stdin() -> None:
            try:
                while sys.stdin.buffer.read(65536):
                    pass
            except (OSError, ValueError):
                pass
            stop.set()

        threading.Thread(target=watch_stdin, daemon=True).start()
    stop.wait()
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
