#!/usr/bin/env python3
"""Python side of the array interop harness: golden files made, and files checked, by the peers' own code.

Run with the python of ONE peer venv (see scripts/peers-venv.sh); only numpy and the standard library are
imported at module level, tesseract_core / truss only inside their subcommands.

    peers.py gen-tesseract OUTDIR        # tesseract venv: NAME.tesseract-FMT.json, FMT in
                                         #   json, base64, base64-lz4, binref, binref-lz4
    peers.py gen-truss OUTDIR            # truss venv:     NAME.truss-json.json, NAME.msgpack
    peers.py check OUTDIR [--peer P]     # decode every file of OUTDIR/manifest.json that peer P can read and
                                         # compare bit-exactly with NAME.raw; prints "N passed, M failed"

Layout of OUTDIR (the same whether written here or by the Rust side):
    manifest.json   {"peer", "versions", "cases": [{"name", "dtype", "shape", "source_byteorder",
                     "source_order", "json_lossy", "raw", "files": {FORMAT: FILE, ...}}]}
    NAME.raw        expected values: C order, little-endian bytes
    binref/         .bin files of the binref formats; their buffer paths are relative to this folder
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import sys
import zlib
from pathlib import Path

import numpy as np

DTYPES = [
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128",
]  # fmt: skip

# Random-valued cases made for every dtype: tag -> shape.
SHAPES = {
    "scalar": [],
    "empty": [0],
    "empty3d": [2, 0, 4],
    "v3": [3],
    "m2x3": [2, 3],
    "rank17": [1, 2] + [1] * 14 + [2],
}

TESSERACT_FORMATS = {
    # manifest key -> (tesseract output format, compression)
    "tesseract-json": ("json", None),
    "tesseract-base64": ("json+base64", None),
    "tesseract-base64-lz4": ("json+base64", "lz4"),
    "tesseract-binref": ("json+binref", None),
    "tesseract-binref-lz4": ("json+binref", "lz4"),
}
TRUSS_FORMATS = ("truss-json", "msgpack")
FILE_SUFFIX = {fmt: f".{fmt}.json" for fmt in TESSERACT_FORMATS} | {
    "truss-json": ".truss-json.json",
    "msgpack": ".msgpack",
}

NATIVE = "<" if sys.byteorder == "little" else ">"


# --------------------------------------------------------------------------------------------------
# Test values (numpy only)


def _float_extremes(dt: np.dtype) -> list[float]:
    """Finite values that stress a float dtype: signed zeros, max, smallest normal, subnormals and a few
    numbers that sit on the fixed/exponent boundaries of JSON float printers (1e-5, 1e16)."""
    fi = np.finfo(dt)
    vals = [
        -0.0, 0.0, 1.0, -1.5, 0.1, 1 / 3,
        float(fi.max), -float(fi.max), float(fi.tiny), -float(fi.tiny),
        float(fi.smallest_subnormal), -float(fi.smallest_subnormal),
        float(fi.tiny) - float(fi.smallest_subnormal),  # largest subnormal
        float(fi.eps), 65504.0, 1e-5, 9.999999999999999e-6, 1e-7, 1e16, 9999999999999998.0,
        123456789012345680.0, 1.5e300, 5e-324,
    ]  # fmt: skip
    out, seen = [], set()
    with np.errstate(over="ignore", under="ignore"):
        for v in vals:
            c = np.array(v, dtype=np.float64).astype(dt)
            # drop what overflows to inf or flushes a nonzero value to zero in this dtype; dedupe by bits
            if np.isfinite(c) and (c != 0 or v == 0) and c.tobytes() not in seen:
                seen.add(c.tobytes())
                out.append(c[()])
    return out


def _extremes(dt: np.dtype) -> list:
    """Values every array of dtype `dt` starts with (as many as fit), in C order."""
    if dt.kind == "b":
        return [True, False]
    if dt.kind in "iu":
        ii = np.iinfo(dt)
        vals = [ii.min, ii.max, 0, 1, ii.min + 1, ii.max - 1]
        vals += [-1] if dt.kind == "i" else [ii.max >> 1, (ii.max >> 1) + 1]
        if dt.itemsize == 8:  # integers past 2**53 break any parser that goes through float64
            vals += [2**53 + 1] + ([-(2**53) - 1] if dt.kind == "i" else [2**63 + 12345])
        return vals
    if dt.kind == "f":
        return _float_extremes(dt)
    comp = _float_extremes(np.dtype(f"f{dt.itemsize // 2}"))
    pairs = list(zip(comp, reversed(comp)))
    # comp starts with -0.0; move that pair to the back, with the other signed-zero pairs, so that short
    # random arrays do not all start with a -0.0 real part (tesseract json loses its sign, see KNOWN_PEER_BUGS)
    pairs = pairs[1:] + pairs[:1] + [(-0.0, -0.0), (0.0, -0.0), (-0.0, 0.0)]
    return [complex(float(r), float(i)) for r, i in pairs]


def _random(dt: np.dtype, n: int, rng: np.random.Generator) -> np.ndarray:
    """n random values over the whole range of dt (floats from random bit patterns, non-finite removed)."""
    if dt.kind == "b":
        return rng.integers(0, 2, n).astype(bool)
    if dt.kind in "iu":
        ii = np.iinfo(dt)
        return rng.integers(ii.min, ii.max, n, dtype=dt, endpoint=True)
    if dt.kind == "f":
        bits = np.dtype(f"u{dt.itemsize}")
        arr = rng.integers(0, np.iinfo(bits).max, n, dtype=bits, endpoint=True).view(dt)
        bad = ~np.isfinite(arr)
        arr[bad] = rng.standard_normal(int(bad.sum())).astype(dt)
        return arr
    comp = np.dtype(f"f{dt.itemsize // 2}")
    out = np.empty(n, dtype=dt)
    out.real, out.imag = _random(comp, n, rng), _random(comp, n, rng)
    return out


def _special(dt: np.dtype) -> np.ndarray:
    """NaN and ±Inf, mixed with a few finite values."""
    nan, inf = float("nan"), float("inf")
    if dt.kind == "f":
        return np.array([nan, inf, -inf, 1.0, -0.0, -nan], dtype=dt)
    vals = [complex(nan, 0), complex(inf, -inf), complex(1.0, nan), complex(-inf, 2.5),
            complex(0.0, inf), complex(nan, nan), complex(1.0, -0.0)]  # fmt: skip
    return np.array(vals, dtype=dt)


def make_cases() -> list[dict]:
    """All test cases: dicts with name, arr (with the source byte order / memory order) and json_lossy."""
    cases = []
    for name in DTYPES:
        dt = np.dtype(name)

        def values(case: str, shape: list[int]) -> np.ndarray:
            # One generator per case, seeded from its name: a case keeps its values when others change.
            rng = np.random.default_rng(zlib.crc32(case.encode()))
            n = int(np.prod(shape, dtype=np.int64))
            flat = _random(dt, n, rng)
            ext = np.array(_extremes(dt), dtype=dt)[:n]
            flat[: len(ext)] = ext
            return flat.reshape(shape)

        for tag, shape in SHAPES.items():
            cases.append({"name": f"{name}_{tag}", "arr": values(f"{name}_{tag}", shape)})
        ext = np.array(_extremes(dt), dtype=dt)
        cases.append({"name": f"{name}_extremes", "arr": ext})
        if dt.itemsize > 1:
            be = values(f"{name}_be4", [4]).astype(dt.newbyteorder(">"))
            cases.append({"name": f"{name}_be4", "arr": be})
            cases.append({"name": f"{name}_f3x2", "arr": np.asfortranarray(values(f"{name}_f3x2", [3, 2]))})
        if dt.kind in "fc":
            cases.append({"name": f"{name}_special", "arr": _special(dt), "json_lossy": True})
    for c in cases:
        c.setdefault("json_lossy", False)
    return cases


def le_bytes(arr: np.ndarray) -> bytes:
    """The values of arr as C-order little-endian bytes (the NAME.raw format)."""
    arr = np.asarray(arr)
    return arr.astype(arr.dtype.newbyteorder("<")).tobytes(order="C")


def case_entry(case: dict) -> dict:
    """Manifest entry of a case (without "files")."""
    arr = case["arr"]
    bo = arr.dtype.byteorder
    return {
        "name": case["name"],
        "dtype": arr.dtype.name,
        "shape": list(arr.shape),
        "source_byteorder": {"=": NATIVE}.get(bo, bo),  # "<", ">" or "|" (itemsize 1)
        "source_order": "F" if arr.ndim > 1 and not arr.flags.c_contiguous else "C",
        "json_lossy": case["json_lossy"],
        "raw": f"{case['name']}.raw",
        "files": {},
    }


def versions(*dists: str) -> dict:
    out = {"python": sys.version.split()[0]}
    for d in dists:
        out[d] = importlib.metadata.version(d)
    return out


# --------------------------------------------------------------------------------------------------
# tesseract-core


def tesseract_model():
    from pydantic import BaseModel
    from tesseract_core.runtime import Array

    class M(BaseModel):
        # Array[..., None]: any rank (incl. 0-d) and any of the 14 allowed dtypes
        x: Array[..., None]

    return M


def gen_tesseract(outdir: Path) -> None:
    from tesseract_core.runtime.file_interactions import output_to_bytes

    M = tesseract_model()
    bindir = outdir / "binref"
    bindir.mkdir(parents=True, exist_ok=True)
    # binref appends to <uuid4>.bin files; start from an empty folder so reruns do not pile up files
    for old in bindir.glob("*.bin"):
        old.unlink()

    entries = []
    for case in make_cases():
        entry = case_entry(case)
        (outdir / entry["raw"]).write_bytes(le_bytes(case["arr"]))
        m = M(x=case["arr"])
        for key, (fmt, compression) in TESSERACT_FORMATS.items():
            # Exactly what the server does for a response (serve.create_response): dump_python(mode="json")
            # with context {"array_encoding", "base_dir", "binref_dir", "compression"}, then orjson.
            # base_dir=OUTDIR/binref and binref_dir=None give buffer paths "<uuid4>.bin:OFFSET[:SIZE]".
            body = output_to_bytes(m, fmt, base_dir=str(bindir), binref_dir=None, compression=compression)
            fname = case["name"] + FILE_SUFFIX[key]
            (outdir / fname).write_bytes(body)
            entry["files"][key] = fname
        entries.append(entry)
    write_manifest(outdir, "tesseract", versions("tesseract-core", "numpy", "pydantic", "orjson", "lz4"), entries)


def tesseract_decoder(outdir: Path):
    import warnings

    # uint64 json (a KNOWN_PEER_BUGS case) makes numpy warn about an invalid cast inside tesseract
    warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"tesseract_core\.")
    M = tesseract_model()
    base_dir = str(outdir / "binref")

    def decode(fmt: str, body: bytes) -> np.ndarray:
        # As the server validates a request: the parsed JSON validated in pydantic *python* mode.
        # The binref base folder comes from context["base_dir"] (the CLI passes its --input-path that way;
        # over HTTP there is no context and the decoder falls back to get_config().input_path).
        return np.asarray(M.model_validate(json.loads(body), context={"base_dir": base_dir}).x)

    return [k for k in TESSERACT_FORMATS], decode


# --------------------------------------------------------------------------------------------------
# truss


def truss_model():
    import logging

    from pydantic import BaseModel

    logging.getLogger().setLevel(logging.ERROR)  # truss_chains warns about prometheus_client on import
    from truss_chains.pydantic_numpy import NumpyArrayField

    class M(BaseModel):
        x: NumpyArrayField

    return M


def gen_truss(outdir: Path) -> None:
    from truss.templates.shared.serialization import truss_msgpack_serialize

    M = truss_model()
    entries = []
    for case in make_cases():
        entry = case_entry(case)
        (outdir / entry["raw"]).write_bytes(le_bytes(case["arr"]))
        m = M(x=case["arr"])
        bodies = {
            "truss-json": m.model_dump_json().encode(),
            # what a chainlet sends with use_binary=True (the field serializer yields the raw ndarray)
            "msgpack": truss_msgpack_serialize(m.model_dump(mode="python")),
        }
        for key, body in bodies.items():
            fname = case["name"] + FILE_SUFFIX[key]
            (outdir / fname).write_bytes(body)
            entry["files"][key] = fname
        entries.append(entry)
    write_manifest(outdir, "truss", versions("truss", "numpy", "pydantic", "msgpack", "msgpack-numpy"), entries)


def truss_decoder(outdir: Path):
    from truss.templates.shared.serialization import truss_msgpack_deserialize

    M = truss_model()

    def decode(fmt: str, body: bytes) -> np.ndarray:
        if fmt == "truss-json":
            m = M.model_validate_json(body)
        else:  # the chainlet server: msgpack -> python objects -> model_validate
            m = M.model_validate(truss_msgpack_deserialize(body))
        return m.x.array

    return list(TRUSS_FORMATS), decode


# --------------------------------------------------------------------------------------------------
# Shared


def write_manifest(outdir: Path, peer: str, vers: dict, entries: list[dict]) -> None:
    manifest = {"peer": peer, "versions": vers, "cases": entries}
    (outdir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    nfiles = sum(len(e["files"]) for e in entries)
    print(f"{peer}: wrote {len(entries)} cases, {nfiles} files to {outdir}")


# Known peer bugs, as (peer, format, applies(expected), fixup(expected) or None, reason). A failing file whose
# case matches is reported as KNOWN and counted in neither "passed" nor "failed", but only if it equals
# fixup(expected) bit-exactly (so the rest of the array is still checked) or, without a fixup, at all.
def _u64_mixed(a: np.ndarray) -> bool:
    # np.asarray([<int >= 2**63>, <int < 2**63>]) promotes the uint64 and int64 it infers to float64
    return a.dtype == np.uint64 and bool((a >= 2**63).any()) and bool((a < 2**63).any())


def _neg_zero_real(a: np.ndarray) -> bool:
    return a.dtype.kind == "c" and bool((np.signbit(a.real) & (a.real == 0)).any())


def _drop_neg_zero_real(a: np.ndarray) -> np.ndarray:
    out = a.copy()
    out.real[out.real == 0] = 0.0
    return out


KNOWN_PEER_BUGS = [
    ("tesseract", "tesseract-json", _u64_mixed, None,
     "decoder: np.asarray(list) makes float64 of uint64 values on both sides of 2**63"),
    ("tesseract", "tesseract-json", _neg_zero_real, _drop_neg_zero_real,
     "encoder: pydantic writes complex(-0.0, y) as 'yj', dropping the sign of a zero real part"),
]  # fmt: skip


def compare(exp: np.ndarray, got: np.ndarray, lossy: bool) -> str | None:
    """None when got matches exp (dtype name, shape, bits), else a short reason."""
    if got.dtype.name != exp.dtype.name:
        return f"dtype {got.dtype.str} != {exp.dtype.name}"
    if list(got.shape) != list(exp.shape):
        return f"shape {list(got.shape)} != {list(exp.shape)}"
    got = np.ascontiguousarray(got.astype(got.dtype.newbyteorder("<")))
    if got.tobytes() == exp.tobytes():
        return None
    if lossy and exp.dtype.kind in "fc":
        # Non-finite expected values may come back as NaN (json null); everything else must be bit-exact.
        comp = f"<f{exp.itemsize // 2}" if exp.dtype.kind == "c" else exp.dtype.str
        e, g = exp.reshape(-1).view(comp), got.reshape(-1).view(comp)
        ints = f"<u{e.itemsize}"
        finite = np.isfinite(e)
        ok_fin = (e[finite].view(ints) == g[finite].view(ints)).all()
        ok_nonfin = (np.isnan(g[~finite]) | (g[~finite] == e[~finite])).all()
        if ok_fin and ok_nonfin:
            return None
    # differing elements, compared as rows of bytes (works for every itemsize, including 16)
    as_rows = lambda a: a.reshape(-1).view(np.uint8).reshape(-1, exp.itemsize)  # noqa: E731
    diff = np.flatnonzero((as_rows(exp) != as_rows(got)).any(axis=1))
    if diff.size == 0:
        return "bytes differ"
    i = int(diff[0])
    g, e = got.reshape(-1)[i], exp.reshape(-1)[i]
    return f"values differ at {diff.size} element(s), first flat index {i}: got {g!r}, want {e!r}"


def check(outdir: Path, peer: str) -> int:
    manifest = json.loads((outdir / "manifest.json").read_text())
    formats, decode = (tesseract_decoder if peer == "tesseract" else truss_decoder)(outdir)
    passed = failed = known = 0
    for case in manifest["cases"]:
        name = case["name"]
        raw = (outdir / case["raw"]).read_bytes()
        exp = np.frombuffer(raw, dtype=np.dtype(case["dtype"]).newbyteorder("<")).reshape(case["shape"])
        for fmt in formats:
            fname = case["files"].get(fmt)
            if fname is None:
                continue
            try:
                got = decode(fmt, (outdir / fname).read_bytes())
                why = compare(exp, got, case["json_lossy"] and fmt == "tesseract-json")
            except Exception as e:  # any decoder error is a failure of this one file
                why = f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"
            if why is None:
                passed += 1
                continue
            bug = next(
                (r for p, f, applies, fixup, r in KNOWN_PEER_BUGS
                 if p == peer and f == fmt and applies(exp)
                 and (fixup is None or compare(fixup(exp), got, case["json_lossy"]) is None)),
                None,
            )  # fmt: skip
            if bug:
                known += 1
                print(f"KNOWN {name} [{fmt}] {fname}: {why} ({bug})")
            else:
                failed += 1
                print(f"FAIL {name} [{fmt}] {fname}: {why}")
    if known:
        print(f"{known} known peer bug(s), counted in neither total")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed + failed == 0 else 0


def detect_peer() -> str:
    import importlib.util

    mods = (("tesseract", "tesseract_core"), ("truss", "truss_chains"))
    found = [peer for peer, mod in mods if importlib.util.find_spec(mod)]
    if len(found) != 1:
        sys.exit(f"cannot tell the peer from this python (found {found or 'none'}); pass --peer")
    return found[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for cmd in ("gen-tesseract", "gen-truss"):
        sub.add_parser(cmd).add_argument("outdir", type=Path)
    chk = sub.add_parser("check")
    chk.add_argument("outdir", type=Path)
    chk.add_argument("--peer", choices=["tesseract", "truss"], help="default: the peer installed in this python")
    args = ap.parse_args()

    if args.cmd == "check":
        return check(args.outdir.resolve(), args.peer or detect_peer())
    args.outdir.mkdir(parents=True, exist_ok=True)
    (gen_tesseract if args.cmd == "gen-tesseract" else gen_truss)(args.outdir.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
