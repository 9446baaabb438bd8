#!/usr/bin/env python3
"""tesseract-core's side of the "binref on object storage" interop: binref side files in an S3 bucket, written
and read by tesseract-core's own encoder and decoder, through fsspec -> s3fs.

Run with the tesseract venv's python (scripts/peers-venv.sh; requirements-tesseract.txt pins s3fs), against a
server such as scripts/s3-server.py, with the endpoint in the standard AWS variables (botocore, and so s3fs,
reads AWS_ENDPOINT_URL; AWS_ALLOW_HTTP is object_store's and ignored here):

    AWS_ENDPOINT_URL=http://127.0.0.1:PORT AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \\
    AWS_REGION=us-east-1 AWS_ALLOW_HTTP=true  .cache/venvs/tesseract/bin/python tests/interop/s3_peer.py ...

    s3_peer.py write PREFIX OUT.json [--paths relative|absolute|both]
        Encodes the 125 seeded cases of peers.py (14 dtypes x 0-d, [0], [2,0,4], [3], [2,3], rank 17, extremes,
        big-endian and Fortran-order sources, NaN/Inf) with tesseract's binref encoder into PREFIX (an s3://
        URL of a "folder", e.g. s3://arraymodel/run1/), uncompressed and with lz4, and writes OUT.json.
        One document per (compression, path style), each holding every case as one field, so that all its
        arrays are appended to ONE <uuid4>.bin object (non-zero offsets), as the tesseract server does for
        one response. Path styles: "relative" = output_to_bytes(base_dir=PREFIX, binref_dir="from-tesseract")
        gives buffers "from-tesseract/<uuid>.bin:OFFSET[:SIZE]" relative to PREFIX; "absolute" =
        binref_dir=PREFIX+"from-tesseract-abs/" gives buffers "s3://BUCKET/.../<uuid>.bin:OFFSET[:SIZE]".
    s3_peer.py write-large PREFIX OUT.json [--mb 24]
        One document of three float64 arrays appended by tesseract to one object: "head" (MB/2 MiB),
        "middle" (1 MiB) and "tail" (MB/2 MiB), for the ranged-read check (a reader of "middle" should GET
        only its 1 MiB; count it with s3-server.py's /__counter__). Documents "large" (all three) and
        "large.middle" (only the middle array) in OUT.json.
    s3_peer.py read DOCS.json PREFIX OUT.json
        Decodes every array of every document of DOCS.json with tesseract's decoder (pydantic validation
        with context {"base_dir": PREFIX}: relative buffers are joined to PREFIX, s3:// buffers read as they
        are), one field at a time, and writes per array {"document", "field", "dtype", "shape", "nbytes",
        "sha256", "hex"} (the values as C-order little-endian bytes; "hex" only up to --hex-limit bytes, default
        4 MiB) or {"document", "field", "error"} to OUT.json. Where DOCS.json has "cases" with "raw_hex" or
        "sha256" (as `write` / `write-large` produce), each decoded array is compared bit-exactly with its case
        (the field's name, or documents[i]["cases"][field]), and an array that does not decode fails; prints
        "N passed, M failed" and exits 1 on a failure or when nothing was compared. Without cases it exits 1
        when an array does not decode.

OUT.json / DOCS.json:
    {"peer": "tesseract", "versions": {...}, "prefix": PREFIX,
     "cases": [{"name", "dtype", "shape", "source_byteorder", "source_order", "raw_hex" | "sha256"}],
                   # raw_hex: the values as C-order little-endian bytes (peers.py's NAME.raw), or their sha256
     "documents": [{"name", "compression": null|"lz4", "buffer_paths": "relative"|"absolute",
                    "objects": [s3 URLs of the .bin objects the document's buffers point into],
                    "body": {FIELD: {"object_type": "array", "shape", "dtype", "data": {"buffer", "encoding",
                                     ["compression"]}}, ...},   # exactly what tesseract wrote
                    "cases": {FIELD: CASE NAME}}]}              # optional; default: FIELD is the case name
A Rust writer hands `read` the same layout (only "documents" with "name" and "body" are required).

tesseract-core 1.15.0 cannot join a relative binref path to an s3:// base: its join_paths uses
urllib.parse.urljoin, which leaves schemes it does not know (s3, gs, az, ...) alone, so
output_to_bytes(base_dir="s3://b/p/") writes "<uuid>.bin" into the CURRENT LOCAL FOLDER and nothing to S3, and a
relative buffer read with base_dir="s3://b/p/" is looked for on the local disk. This script registers the
scheme of PREFIX with urllib.parse (uses_relative, uses_netloc) before encoding or decoding, which makes
urljoin("s3://b/p/", "x.bin") == "s3://b/p/x.bin": everything else is tesseract's own code. Absolute s3://
buffers need no such help to be read.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import sys
import urllib.parse
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peers  # noqa: E402  (the shared seeded cases and the bit-exact comparison)

warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"tesseract_core\.")


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


def register_scheme(prefix: str) -> None:
    """Let urllib.parse.urljoin (tesseract's join_paths) resolve relative paths against PREFIX's scheme."""
    scheme = urllib.parse.urlparse(prefix).scheme
    if not scheme:
        sys.exit(f"PREFIX must be a URL such as s3://bucket/folder/, not {prefix!r}")
    for lst in (urllib.parse.uses_relative, urllib.parse.uses_netloc):
        if scheme not in lst:
            lst.append(scheme)


def folder(prefix: str) -> str:
    return prefix if prefix.endswith("/") else prefix + "/"


def model_of(fields: list[str]):
    from pydantic import create_model
    from tesseract_core.runtime import Array

    # Array[..., None]: any rank (0-d included) and any of the 14 dtypes, as peers.py's model
    return create_model("S3Bundle", **{f: (Array[..., None], ...) for f in fields})


def buffer_objects(body: dict, prefix: str) -> list[str]:
    """The s3 URLs that the buffers of a document point into (relative ones joined to PREFIX)."""
    out = []
    for v in body.values():
        # tesseract's own pattern (load_binref_arraydict): "<path>[:<offset>[:<compressed_size>]]"
        path = re.match(r"^(?P<path>.+?)(\:(?P<offset>\d+)(\:(?P<size>\d+))?)?$", v["data"]["buffer"])["path"]
        url = path if "://" in path else urllib.parse.urljoin(prefix, path)
        if url not in out:
            out.append(url)
    return out


def versions() -> dict:
    return peers.versions("tesseract-core", "numpy", "pydantic", "fsspec", "s3fs", "aiobotocore", "botocore", "lz4")


def write_doc(arrays: dict, prefix: str, binref_dir: str, compression: str | None) -> dict:
    from tesseract_core.runtime.file_interactions import output_to_bytes

    M = model_of(list(arrays))
    body = output_to_bytes(M(**arrays), "json+binref", base_dir=prefix, binref_dir=binref_dir, compression=compression)
    return json.loads(body)


def check_written(objs: list[str]) -> None:
    import fsspec

    for url in objs:
        if not url.startswith(("s3://", "s3a://")):
            sys.exit(f"tesseract wrote a buffer outside the bucket: {url}")
        fs, path = fsspec.core.url_to_fs(url)
        if not fs.exists(path):
            sys.exit(f"{url} was not written")


def cmd_write(prefix: str, out: Path, paths: str) -> int:
    prefix = folder(prefix)
    register_scheme(prefix)
    cases = peers.make_cases()
    arrays = {c["name"]: c["arr"] for c in cases}
    styles = ["relative", "absolute"] if paths == "both" else [paths]

    def one(compression: str | None, style: str) -> dict:
        binref_dir = "from-tesseract" if style == "relative" else prefix + "from-tesseract-abs/"
        body = write_doc(arrays, prefix, binref_dir, compression)
        objs = buffer_objects(body, prefix)
        check_written(objs)
        return {"name": f"binref{'-lz4' if compression else ''}.{style}", "compression": compression,
                "buffer_paths": style, "objects": objs, "body": body}  # fmt: skip

    # Each document appends its 125 arrays to its own object, one request after another (HEAD, GET, PUT of the
    # whole object so far: s3fs's "ab" mode below 5 MiB); the documents are independent, so they go in parallel.
    jobs = [(c, s) for c in (None, "lz4") for s in styles]
    with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
        docs = list(pool.map(lambda j: one(*j), jobs))
    entries = []
    for c in cases:
        e = peers.case_entry(c)
        e.pop("files"), e.pop("raw"), e.pop("json_lossy")
        e["raw_hex"] = peers.le_bytes(c["arr"]).hex()
        entries.append(e)
    doc = {"peer": "tesseract", "versions": versions(), "prefix": prefix, "cases": entries, "documents": docs}
    out.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"tesseract: wrote {len(docs)} documents of {len(cases)} arrays to {prefix} ({out})")
    return 0


def cmd_write_large(prefix: str, out: Path, mb: int) -> int:
    prefix = folder(prefix)
    register_scheme(prefix)
    rng = np.random.default_rng(20261206)
    half = mb * 2**20 // 2 // 8
    arrays = {
        "head": rng.standard_normal(half),
        "middle": rng.standard_normal(2**20 // 8),
        "tail": rng.standard_normal(half),
    }
    body = write_doc(arrays, prefix, "large", None)
    objs = buffer_objects(body, prefix)
    check_written(objs)
    # raw_hex for the 1 MiB middle array, only the sha256 of the bytes of the large ones
    entries = [{"name": k, "dtype": "float64", "shape": list(a.shape), "source_byteorder": "<", "source_order": "C",
                **({"raw_hex": a.tobytes().hex()} if k == "middle" else {"sha256": hashlib.sha256(a.tobytes()).hexdigest()})}
               for k, a in arrays.items()]  # fmt: skip
    docs = [
        {"name": "large", "compression": None, "buffer_paths": "relative", "objects": objs, "body": body},
        {"name": "large.middle", "compression": None, "buffer_paths": "relative", "objects": objs,
         "body": {"middle": body["middle"]}},
    ]  # fmt: skip
    doc = {"peer": "tesseract", "versions": versions(), "prefix": prefix, "cases": entries, "documents": docs}
    out.write_text(json.dumps(doc) + "\n")
    print(f"tesseract: wrote {objs[0]} ({sum(a.nbytes for a in arrays.values())} bytes); middle = {body['middle']['data']['buffer']}")
    return 0


def cmd_read(docs_path: Path, prefix: str, out: Path, hex_limit: int) -> int:
    prefix = folder(prefix)
    register_scheme(prefix)
    docs = json.loads(docs_path.read_text())
    expected = {}  # case name -> the expected array, or (dtype, shape, sha256 of the C-order little-endian bytes)
    for c in docs.get("cases", []):
        if "raw_hex" in c:
            raw = bytes.fromhex(c["raw_hex"])
            expected[c["name"]] = np.frombuffer(raw, dtype=np.dtype(c["dtype"]).newbyteorder("<")).reshape(c["shape"])
        elif "sha256" in c:
            expected[c["name"]] = (c["dtype"], list(c["shape"]), c["sha256"])
    items = []
    for d in docs["documents"]:
        body = d["body"]
        if body.get("object_type") == "array":  # a bare array document
            body = {"array": body}
        items += [(d, field, enc) for field, enc in body.items()]

    def decode(item) -> tuple[dict, np.ndarray | None]:
        d, field, enc = item
        rec = {"document": d["name"], "field": field}
        try:
            M = model_of([field])
            got = np.asarray(getattr(M.model_validate({field: enc}, context={"base_dir": prefix}), field))
            raw = peers.le_bytes(got)
            rec |= {"dtype": got.dtype.name, "shape": list(got.shape), "nbytes": len(raw),
                    "sha256": hashlib.sha256(raw).hexdigest()}  # fmt: skip
            if len(raw) <= hex_limit:
                rec["hex"] = raw.hex()
            return rec, got
        except Exception as e:  # one array's failure is reported, the others still read
            msg = " | ".join(line.strip() for line in str(e).strip().splitlines() if line.strip())
            rec["error"] = f"{type(e).__name__}: {msg[:600]}"
            return rec, None

    # one request (or two) per array, each waiting on the server: a few at a time
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        decoded = list(pool.map(decode, items))
    results, passed, failed = [], 0, 0
    for (d, field, _), (rec, got) in zip(items, decoded):
        case = d.get("cases", {}).get(field, field)
        if expected and case not in expected:  # nothing to compare with, but it must still decode
            if got is None:
                failed += 1
                print(f"FAIL {d['name']} [{field}]: {rec['error']}")
        elif case in expected:
            exp = expected[case]
            if got is None:
                why = rec["error"]
            elif isinstance(exp, tuple):
                want = {"dtype": exp[0], "shape": exp[1], "sha256": exp[2]}
                have = {k: rec[k] for k in want}
                why = None if have == want else f"got {have}, want {want}"
            else:
                why = peers.compare(exp, got, False)
            rec["match"] = why is None
            if why is None:
                passed += 1
            else:
                failed += 1
                rec["why"] = why
                print(f"FAIL {d['name']} [{field}]: {why}")
        results.append(rec)
    out.write_text(json.dumps({"peer": "tesseract", "versions": versions(), "prefix": prefix, "arrays": results}) + "\n")
    errors = sum("error" in r for r in results)
    if expected:
        print(f"{passed} passed, {failed} failed")
        return 1 if failed or passed == 0 else 0
    print(f"tesseract: read {len(results)} arrays ({errors} errors) -> {out}")
    return 1 if errors else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("write")
    w.add_argument("prefix")
    w.add_argument("out", type=Path)
    w.add_argument("--paths", choices=["relative", "absolute", "both"], default="both")
    wl = sub.add_parser("write-large")
    wl.add_argument("prefix")
    wl.add_argument("out", type=Path)
    wl.add_argument("--mb", type=int, default=24, help="head + tail size in MiB (default 24)")
    r = sub.add_parser("read")
    r.add_argument("docs", type=Path)
    r.add_argument("prefix")
    r.add_argument("out", type=Path)
    r.add_argument("--hex-limit", type=int, default=4 << 20, help="report 'hex' for arrays up to this many bytes")
    args = ap.parse_args()
    local_endpoint_env()
    if args.cmd == "write":
        return cmd_write(args.prefix, args.out, args.paths)
    if args.cmd == "write-large":
        return cmd_write_large(args.prefix, args.out, args.mb)
    return cmd_read(args.docs, args.prefix, args.out, args.hex_limit)


if __name__ == "__main__":
    sys.exit(main())
