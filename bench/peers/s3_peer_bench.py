#!/usr/bin/env python3
"""s3fs's side (what tesseract-core uses for s3:// binref files) of the object-storage benchmark: one float64
array of 16,000,000 elements (128 MB, the large case of bench/compare) written to and read from an S3 server,
median of N runs. Run with the tesseract venv's python, the server's endpoint in the AWS variables:

    AWS_ENDPOINT_URL=http://127.0.0.1:PORT AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \\
    AWS_REGION=us-east-1 .cache/venvs/tesseract/bin/python bench/peers/s3_peer_bench.py \\
        [--prefix s3://arraymodel/bench-s3fs/] [--runs 5] [--elements 16000000] [--raw FILE] [--out FILE]

Prints one JSON object (also written to --out): {"peer", "versions", "endpoint", "elements", "bytes", "runs",
"results": [{"op", "path", "median_s", "seconds", "cpu_median_s", "mb_per_s", "server"}]}. MB/s is array
bytes / 1e6 / median wall seconds; CPU is the whole process (s3fs does its I/O on a thread of its own), user +
system. "server" is what scripts/s3-server.py's counter saw for the op's object during the last run (requests
by op, body bytes in and out), when the endpoint has that counter.

Ops (the object is new for every write run and deleted after it, outside the timed part):
- write:      tesseract's binref writer as the server calls it for a response, dump_binref_arraydict(arr,
              base_dir=PREFIX, ...): a HEAD for the current size (404), then fsspec.open(URL, "ab").write(bytes)
              -> s3fs's S3File: CreateMultipartUpload, ONE UploadPart of all the bytes, CompleteMultipartUpload.
- put:        the same bytes as ONE PutObject (botocore's put_object through s3fs's client).
- pipe:       s3fs pipe_file(URL, bytes): above 100 MiB a multipart upload of 50 MiB parts sent concurrently.
- read:       tesseract's binref reader, load_binref_arraydict({"buffer": "s3://...bin:0"}): fsspec.open(URL, "rb"),
              seek, read(nbytes) -> s3fs: HEAD, then one ranged GET of the whole array; np.frombuffer.
- read_range: s3fs cat_file(URL, start=0, end=nbytes), one ranged GET without the file object.
Every result is checked against the array once, outside the timed runs.
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import json
import os
import statistics
import sys
import time
import urllib.parse
import urllib.request
import uuid


def register_scheme(prefix: str) -> None:
    # tesseract-core 1.15.0 joins paths with urllib's urljoin, which ignores s3:// (see tests/interop/s3_peer.py)
    scheme = urllib.parse.urlparse(prefix).scheme
    for lst in (urllib.parse.uses_relative, urllib.parse.uses_netloc):
        if scheme not in lst:
            lst.append(scheme)


def local_endpoint_env() -> str:
    """The endpoint from the environment; refuses to run without one (s3fs would go to AWS), and fills in the
    test credentials so that botocore never looks for others (its chain ends at the EC2 metadata address)."""
    url = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or os.environ.get("FSSPEC_S3_ENDPOINT_URL")
    if not url:
        sys.exit("set AWS_ENDPOINT_URL to the local S3 server (scripts/s3-server.py prints it)")
    for k, v in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"), ("AWS_REGION", "us-east-1"),
                 ("AWS_DEFAULT_REGION", "us-east-1"), ("AWS_EC2_METADATA_DISABLED", "true")):  # fmt: skip
        os.environ.setdefault(k, v)
    return url


class ServerCounter:
    """scripts/s3-server.py's /__counter__, if the endpoint has one."""

    def __init__(self, endpoint: str | None) -> None:
        self.base = endpoint.rstrip("/") + "/__counter__" if endpoint else None
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1: never a proxy
        if self.base:
            try:
                self._get("")
            except Exception:
                self.base = None

    def _get(self, q: str) -> dict:
        with self.opener.open(self.base + q, timeout=10) as r:
            return json.load(r)

    def reset(self) -> None:
        if self.base:
            self.opener.open(urllib.request.Request(self.base + "/reset", method="POST"), timeout=10).read()

    def key(self, key: str) -> dict | None:
        if not self.base:
            return None
        d = self._get("?key=" + urllib.parse.quote(key))
        return {"requests": d["requests"], "bytes_in": sum(d["bytes_in"].values()),
                "bytes_out": sum(d["bytes_out"].values()), "get_ranges": d["get_ranges"]}  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prefix", default="s3://arraymodel/bench-s3fs/")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--elements", type=int, default=16_000_000)
    ap.add_argument("--raw", help="read the array from this file (C-order little-endian float64) instead of a seeded one")
    ap.add_argument("--out", help="also write the JSON here")
    args = ap.parse_args()
    endpoint = local_endpoint_env()

    import fsspec
    import numpy as np
    from tesseract_core.runtime.array_encoding import dump_binref_arraydict, load_binref_arraydict

    prefix = args.prefix if args.prefix.endswith("/") else args.prefix + "/"
    register_scheme(prefix)
    if args.raw:
        arr = np.fromfile(args.raw, dtype="<f8")
    else:
        arr = np.random.default_rng(6).standard_normal(args.elements)
    nbytes = arr.nbytes
    fs, root = fsspec.core.url_to_fs(prefix)
    counter = ServerCounter(endpoint)
    url_of = lambda key: "s3://" + key  # noqa: E731

    def timed(fn):
        gc.collect()
        c0, t0 = time.process_time(), time.perf_counter()
        r = fn()
        t1, c1 = time.perf_counter(), time.process_time()
        return t1 - t0, c1 - c0, r

    results = []

    def record(op: str, path: str, walls: list[float], cpus: list[float], server: dict | None) -> None:
        med = statistics.median(walls)
        results.append({"op": op, "path": path, "median_s": med, "seconds": walls, "cpu_median_s": statistics.median(cpus),
                        "mb_per_s": nbytes / 1e6 / med, "server": server})  # fmt: skip
        print(f"  s3fs {op:<10} {nbytes / 1e6 / med:>8.1f} MB/s  median {med:.3f} s of {len(walls)}  {path}",
              file=sys.stderr, flush=True)  # fmt: skip

    # write: tesseract's own binref writer, a new <uuid>.bin each run
    walls, cpus, server, doc = [], [], None, None
    for i in range(args.runs):
        name = str(uuid.uuid4())
        counter.reset()
        wall, cpu, (doc, _) = timed(lambda: dump_binref_arraydict(arr, base_dir=prefix, subdir=None, current_binref_uuid=name))
        walls.append(wall)
        cpus.append(cpu)
        key = root.rstrip("/") + f"/{name}.bin"
        server = counter.key(key)
        if i == 0:
            got = fs.cat_file(key)
            assert got == arr.tobytes(), "write: the object differs from the array"
            assert doc["data"]["buffer"] == f"{name}.bin:0", doc
        if i < args.runs - 1:
            fs.rm(key)
    record("write", "tesseract dump_binref_arraydict -> fsspec.open(ab) -> s3fs: HEAD, multipart of one part", walls, cpus, server)
    read_key = key
    read_doc = {**doc, "data": {**doc["data"], "buffer": f"{url_of(read_key)}:0"}}

    # put: one PutObject (botocore through s3fs's client); pipe: s3fs pipe_file, what s3fs does with bytes
    blob = arr.tobytes()  # botocore takes bytes (not a numpy memoryview) as a body
    put_key = root.rstrip("/") + "/put.bin"
    bucket, key_in_bucket, _ = fs.split_path(put_key)
    variants = {
        "put": ("one PutObject (s3fs call_s3 put_object)",
                lambda: fs.call_s3("put_object", Bucket=bucket, Key=key_in_bucket, Body=blob)),
        "pipe": ("s3fs pipe_file: multipart, 50 MiB parts uploaded concurrently", lambda: fs.pipe_file(put_key, blob)),
    }  # fmt: skip
    for op, (path, fn) in variants.items():
        walls, cpus = [], []
        for i in range(args.runs):
            counter.reset()
            wall, cpu, _ = timed(fn)
            walls.append(wall)
            cpus.append(cpu)
            server = counter.key(put_key)
            if i == 0:
                fs.invalidate_cache()
                assert fs.cat_file(put_key) == blob, f"{op}: the object differs from the array"
            fs.rm(put_key)
        record(op, path, walls, cpus, server)
    del blob

    # read: tesseract's own binref reader
    walls, cpus = [], []
    for i in range(args.runs):
        counter.reset()
        fs.invalidate_cache()
        wall, cpu, got = timed(lambda: load_binref_arraydict(read_doc, base_dir=None))
        walls.append(wall)
        cpus.append(cpu)
        server = counter.key(read_key)
        if i == 0:
            assert got.dtype == arr.dtype and got.shape == arr.shape and got.tobytes() == arr.tobytes(), "read differs"
        del got
    record("read", "tesseract load_binref_arraydict -> fsspec.open(rb).read(n) -> s3fs HEAD + ranged GET", walls, cpus, server)

    # read_range: one ranged GET, no file object
    walls, cpus = [], []
    for i in range(args.runs):
        counter.reset()
        wall, cpu, got = timed(lambda: fs.cat_file(read_key, start=0, end=nbytes))
        walls.append(wall)
        cpus.append(cpu)
        server = counter.key(read_key)
        if i == 0:
            assert got == arr.tobytes(), "read_range differs"
        del got
    record("read_range", "s3fs cat_file(start=0, end=n): one ranged GET", walls, cpus, server)
    fs.rm(read_key)

    dists = ("tesseract-core", "fsspec", "s3fs", "aiobotocore", "botocore", "aiohttp", "numpy")
    out = {
        "peer": "s3fs",
        "versions": {"python": sys.version.split()[0], **{d: importlib.metadata.version(d) for d in dists}},
        "endpoint": endpoint,
        "elements": int(arr.size),
        "bytes": nbytes,
        "runs": args.runs,
        "results": results,
    }
    text = json.dumps(out)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
