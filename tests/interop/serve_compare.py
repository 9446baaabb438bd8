"""Calls two servers of the same tesseract API with tesseract-core's own client and compares
their answers bit for bit: the Rust server ("rust") against tesseract-runtime ("python").

Run with the python of the tesseract venv (scripts/peers-venv.sh):

    serve_compare.py --api vectoradd|nested
                     --rust URL --rust-input DIR --rust-output DIR
                     --python URL --python-input DIR --python-output DIR
                     --report FILE [--request-encodings json,base64,binref,plain]

URL is a served tesseract (`http://127.0.0.1:PORT`); DIR are that server's --input-path and
--output-path (the driver writes binref request files into the input dir and the client reads
json+binref answers from the output dir). --api names the API in tests/apis/ both servers serve.

Every call of vectoradd_calls() / nested_calls() (apply, jacobian, jacobian_vector_product,
vector_jacobian_product with seeded inputs and several input/output path subsets) is made on
both servers for every request encoding x response encoding:

  request  json    every array a pre-encoded {"object_type": "array", "shape", "dtype",
                   "data": {"buffer": nested list, "encoding": "json"}} dict (the client passes
                   dicts through unchanged: `_encode_payload` only encodes leaves with __array__)
           base64  numpy arrays, encoded by the client (HTTPClient without input_path)
           binref  json+binref responses: numpy arrays, encoded by the client itself
                   (HTTPClient with input_path = the server's input dir, one .bin per array);
                   other responses: pre-encoded binref dicts, all arrays of a request in one
                   file `driver/req-UUID.bin` under the input dir, the first without an
                   offset suffix, the others as `PATH:OFFSET` (empty arrays included)
           plain   bare JSON (nested lists, numbers, booleans) instead of array dicts
  response json, json+base64, json+base64 lz4, json+binref, json+binref lz4
           (Tesseract.with_encoding; json leaves the compression unset, the others send
           compression=none or compression=lz4)

plus abstract_eval (ShapeDType dicts, and client-encoded arrays), health, available_endpoints,
server_capabilities and the invalid requests listed there, each of which must raise pydantic's
ValidationError (the client's 422 path) on both servers with the same multiset of (type, loc).
With all four request encodings that is 271 cases for vectoradd and 333 for nested.

Answers are compared after the client decoded them: same dict keys, numpy arrays equal in
dtype, shape and bytes, other values of the same type and equal (floats bitwise, NaN == NaN).
A call that raises on either server is a mismatch. Writes FILE =
{"api", "cases", "expected_cases", "mismatches": [...], "per_endpoint": {...}}, prints one
summary line and exits 1 on any mismatch or when fewer cases ran than expected.
"""

from __future__ import annotations

import argparse
import json
import math
import struct
import sys
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError
from tesseract_core import Tesseract
from tesseract_core.sdk.tesseract import HTTPClient

REQUEST_ENCODINGS = ("json", "base64", "binref", "plain")
RESPONSE_ENCODINGS = (
    ("json", None),
    ("json+base64", "none"),
    ("json+base64", "lz4"),
    ("json+binref", "none"),
    ("json+binref", "lz4"),
)
TIMEOUT = 120.0
SEED = 20240917


# ---------------------------------------------------------------------------------------------
# Calls


@dataclass
class Call:
    endpoint: str
    name: str
    inputs: dict
    # jac_inputs/jac_outputs, jvp_inputs/..., vjp_inputs/... as lists
    paths: dict = field(default_factory=dict)
    # tangent_vector or cotangent_vector
    vector: dict | None = None


def f64(v: float) -> np.ndarray:
    return np.array(v, dtype=np.float64)


def vectoradd_calls() -> tuple[list[Call], list[tuple[str, dict]], list[tuple[str, str, dict]]]:
    rng = np.random.default_rng(SEED)
    n = 5
    a, b = rng.normal(size=n), rng.normal(size=n)
    s = f64(1.25)
    full = {"a": a, "b": b, "s": s}
    edges = {
        "a": np.array([0.0, -0.0, 5e-324, 1e150, -2.5]),
        "b": np.array([-0.0, 0.0, 5e-324, -1e150, 3.25]),
        "s": f64(3.0),
    }
    no_s = {"a": rng.normal(size=n), "b": rng.normal(size=n)}
    # Values for which numpy's norm (sqrt of OpenBLAS ddot, which on x86-64 with FMA
    # accumulates with fused multiply-adds) and a plain left-to-right sum of squares
    # round differently (0x1.9ac2bb26de525p+1 vs 0x1.9ac2bb26de524p+1).
    norm_rounding = {
        "a": np.array([-1.627266621424972, -0.36682154388667176, -0.19460113478524824, -1.361610998844022, -0.5888797687544955]),
        "b": np.array([0.47696433919972936, -0.5835234268025469, -0.9372641054273814, -0.5407765926108421, 0.13285690256580354]),
        "s": f64(1.25),
    }  # fmt: skip
    ta, tb, ts = rng.normal(size=n), rng.normal(size=n), f64(-0.75)
    tangents = {"a": ta, "b": tb, "s": ts}
    cot = {"result": rng.normal(size=n)}

    calls = [
        Call("apply", "random", full),
        Call("apply", "edge-values", edges),
        Call("apply", "default-s", no_s),
        Call("apply", "norm-rounding", norm_rounding),
    ]
    for name, ins in (("all", ["a", "b", "s"]), ("single", ["a"]), ("scalar", ["s"])):
        calls.append(Call("jacobian", name, full, {"jac_inputs": ins, "jac_outputs": ["result"]}))
    for name, ins in (("all", ["a", "b", "s"]), ("single", ["b"]), ("scalar", ["s"])):
        calls.append(
            Call(
                "jacobian_vector_product",
                name,
                full,
                {"jvp_inputs": ins, "jvp_outputs": ["result"]},
                {k: tangents[k] for k in ins},
            )
        )
    for name, ins in (("all", ["a", "b", "s"]), ("single", ["a"]), ("scalar", ["s"])):
        calls.append(
            Call(
                "vector_jacobian_product",
                name,
                full,
                {"vjp_inputs": ins, "vjp_outputs": ["result"]},
                cot,
            )
        )

    abstract = [
        (
            "shapedtype",
            {
                "a": {"shape": [n], "dtype": "float64"},
                "b": {"shape": [n], "dtype": "float64"},
                "s": {"shape": [], "dtype": "float64"},
            },
        ),
        ("client-encoded-arrays", full),
    ]

    invalid = [
        ("wrong-rank", "apply", {"inputs": {**full, "a": a.reshape(n, 1)}}),
        ("missing-field", "apply", {"inputs": {"a": a, "s": s}}),
        ("extra-field", "apply", {"inputs": {**full, "c": a}}),
        (
            "unknown-jac-input",
            "jacobian",
            {"inputs": full, "jac_inputs": ["c"], "jac_outputs": ["result"]},
        ),
        (
            "non-differentiable-jac-output",
            "jacobian",
            {"inputs": full, "jac_inputs": ["a"], "jac_outputs": ["norm"]},
        ),
        (
            "tangent-keys",
            "jacobian_vector_product",
            {
                "inputs": full,
                "jvp_inputs": ["a", "b"],
                "jvp_outputs": ["result"],
                "tangent_vector": {"a": ta},
            },
        ),
    ]
    return calls, abstract, invalid


def nested_calls() -> tuple[list[Call], list[tuple[str, dict]], list[tuple[str, str, dict]]]:
    rng = np.random.default_rng(SEED + 1)
    n = 4

    def weights() -> dict:
        return {"w.1": rng.normal(size=n).astype(np.float32), "empty": np.zeros(0, np.float32)}

    # A: offset and mask present; B: both absent (defaults for mode and label too);
    # C: mask only (all False); D: offset only.
    A = {
        "x": rng.normal(size=(n, 3)),
        "settings": {"mode": "accurate", "scale": f64(1.75)},
        "weights": weights(),
        "offset": rng.normal(size=3),
        "mask": np.array([True, False, True, True]),
        "label": "alpha",
    }
    B = {"x": rng.normal(size=(n, 3)), "settings": {"scale": f64(-0.5)}, "weights": weights()}
    C = {
        "x": rng.normal(size=(n, 3)),
        "settings": {"mode": "fast", "scale": f64(2.0)},
        "weights": weights(),
        "mask": np.zeros(n, dtype=bool),
        "label": "gamma",
    }
    D = {
        "x": rng.normal(size=(n, 3)),
        "settings": {"mode": "fast", "scale": f64(0.3)},
        "weights": weights(),
        "offset": rng.normal(size=3),
    }
    tangents = {"x": rng.normal(size=(n, 3)), "settings.scale": f64(0.625), "offset": rng.normal(size=3)}
    cots = {"y": rng.normal(size=(n, 3)), "first_row_sum": f64(-1.5)}

    calls = [
        Call("apply", "A-offset-mask", A),
        Call("apply", "B-defaults", B),
        Call("apply", "C-mask-all-false", C),
        Call("apply", "D-offset", D),
    ]
    all_in = ["x", "settings.scale", "offset"]
    all_out = ["y", "first_row_sum"]
    for name, ins, outs, inp in (
        ("A-all", all_in, all_out, A),
        ("B-single", ["x"], ["y"], B),
        ("C-nested", ["settings.scale"], all_out, C),
        ("D-offset", ["offset"], ["first_row_sum"], D),
    ):
        calls.append(Call("jacobian", name, inp, {"jac_inputs": ins, "jac_outputs": outs}))
    for name, ins, outs, inp in (
        ("A-all", all_in, all_out, A),
        ("B-single", ["x"], ["first_row_sum"], B),
        ("C-nested", ["settings.scale"], ["y"], C),
        ("D-offset-scale", ["offset", "settings.scale"], all_out, D),
    ):
        calls.append(
            Call(
                "jacobian_vector_product",
                name,
                inp,
                {"jvp_inputs": ins, "jvp_outputs": outs},
                {k: tangents[k] for k in ins},
            )
        )
    for name, ins, outs, inp in (
        ("A-all", all_in, all_out, A),
        ("B-nested", ["settings.scale"], ["y"], B),
        ("C-single", ["x"], ["first_row_sum"], C),
        ("D-offset", ["offset"], all_out, D),
    ):
        calls.append(
            Call(
                "vector_jacobian_product",
                name,
                inp,
                {"vjp_inputs": ins, "vjp_outputs": outs},
                {k: cots[k] for k in outs},
            )
        )

    abstract = [
        (
            "shapedtype",
            {
                "x": {"shape": [n, 3], "dtype": "float64"},
                "settings": {"mode": "accurate", "scale": {"shape": [], "dtype": "float64"}},
                "weights": {
                    "w.1": {"shape": [n], "dtype": "float32"},
                    "empty": {"shape": [0], "dtype": "float32"},
                },
                "offset": {"shape": [3], "dtype": "float64"},
                "label": "abs",
            },
        ),
        ("client-encoded-arrays", B),
    ]

    invalid = [
        ("wrong-rank", "apply", {"inputs": {**A, "x": A["x"][0]}}),
        ("missing-nested-field", "apply", {"inputs": {**A, "settings": {"mode": "fast"}}}),
        (
            "bad-literal",
            "apply",
            {"inputs": {**A, "settings": {"mode": "slow", "scale": f64(1.0)}}},
        ),
        ("extra-field", "apply", {"inputs": {**A, "bogus": 1}}),
        ("wrong-fixed-dim", "apply", {"inputs": {**A, "offset": np.ones(4)}}),
        (
            "unknown-jac-input",
            "jacobian",
            {"inputs": A, "jac_inputs": ["settings.mode"], "jac_outputs": ["y"]},
        ),
        (
            "non-differentiable-jac-output",
            "jacobian",
            {"inputs": A, "jac_inputs": ["x"], "jac_outputs": ["doubled"]},
        ),
        (
            "cotangent-keys",
            "vector_jacobian_product",
            {
                "inputs": A,
                "vjp_inputs": ["x"],
                "vjp_outputs": ["y", "first_row_sum"],
                "cotangent_vector": {"y": cots["y"]},
            },
        ),
    ]
    return calls, abstract, invalid


APIS = {"vectoradd": vectoradd_calls, "nested": nested_calls}


# ---------------------------------------------------------------------------------------------
# Request encoding


def is_array(x: Any) -> bool:
    return isinstance(x, np.ndarray | np.generic)


def map_arrays(func, tree: Any) -> Any:
    if is_array(tree):
        return func(np.asarray(tree))
    if isinstance(tree, dict):
        return {k: map_arrays(func, v) for k, v in tree.items()}
    if isinstance(tree, list | tuple):
        return type(tree)(map_arrays(func, v) for v in tree)
    return tree


class BinrefBlob:
    """All arrays of one request in one file, written into each server's input dir."""

    def __init__(self) -> None:
        self.rel = f"driver/req-{uuid.uuid4()}.bin"
        self.data = bytearray()

    def add(self, arr: np.ndarray) -> dict:
        offset = len(self.data)
        self.data += np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()
        buffer = self.rel if offset == 0 else f"{self.rel}:{offset}"
        return {
            "object_type": "array",
            "shape": list(arr.shape),
            "dtype": arr.dtype.name,
            "data": {"buffer": buffer, "encoding": "binref"},
        }

    def write(self, input_dir: Path) -> Path:
        path = input_dir / self.rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(bytes(self.data))
        return path


def encode_request(payload: dict, encoding: str, blob: BinrefBlob | None) -> dict:
    """The payload with its arrays in `encoding` (base64: left to the client)."""
    if encoding == "base64":
        return payload
    if encoding == "plain":
        return map_arrays(lambda a: a.tolist(), payload)
    if encoding == "json":
        return map_arrays(
            lambda a: {
                "object_type": "array",
                "shape": list(a.shape),
                "dtype": a.dtype.name,
                "data": {"buffer": a.tolist(), "encoding": "json"},
            },
            payload,
        )
    if encoding == "binref":
        assert blob is not None
        return map_arrays(blob.add, payload)
    raise ValueError(encoding)


# ---------------------------------------------------------------------------------------------
# Servers


class Server:
    def __init__(self, label: str, url: str, input_dir: str, output_dir: str) -> None:
        self.label = label
        self.url = url
        self.input_dir = Path(input_dir).resolve()
        self.output_dir = Path(output_dir).resolve()
        # Client without input_path: numpy arrays go out as base64.
        self.plain = Tesseract.from_url(url, server_output_path=self.output_dir, timeout=TIMEOUT)
        # Client with input_path: under json+binref, numpy arrays go out as binref files
        # written into the server's input dir (tesseract-core's own binref encoder).
        self.binref = Tesseract.from_url(url, server_output_path=self.output_dir, timeout=TIMEOUT)
        self.binref._client = HTTPClient(
            url, output_path=self.output_dir, input_path=self.input_dir, timeout=TIMEOUT
        )


def invoke(tess: Tesseract, endpoint: str, payload: dict) -> Any:
    if endpoint == "apply":
        return tess.apply(payload["inputs"])
    if endpoint == "abstract_eval":
        return tess.abstract_eval(payload["inputs"])
    if endpoint == "jacobian":
        return tess.jacobian(payload["inputs"], payload["jac_inputs"], payload["jac_outputs"])
    if endpoint == "jacobian_vector_product":
        return tess.jacobian_vector_product(
            payload["inputs"], payload["jvp_inputs"], payload["jvp_outputs"], payload["tangent_vector"]
        )
    if endpoint == "vector_jacobian_product":
        return tess.vector_jacobian_product(
            payload["inputs"],
            payload["vjp_inputs"],
            payload["vjp_outputs"],
            payload["cotangent_vector"],
        )
    raise ValueError(endpoint)


def call_payload(call: Call) -> dict:
    payload = {"inputs": call.inputs, **call.paths}
    if call.endpoint == "jacobian_vector_product":
        payload["tangent_vector"] = call.vector
    elif call.endpoint == "vector_jacobian_product":
        payload["cotangent_vector"] = call.vector
    return payload


@dataclass
class Outcome:
    ok: bool
    value: Any = None
    error: str | None = None


def run_on(server: Server, call: Call, req_enc: str, fmt: str | None, comp: str | None) -> Outcome:
    payload = call_payload(call)
    blob = None
    written = None
    try:
        if req_enc == "binref" and fmt == "json+binref":
            tess, sent = server.binref, payload
        else:
            tess = server.plain
            blob = BinrefBlob() if req_enc == "binref" else None
            sent = encode_request(payload, req_enc, blob)
            if blob is not None:
                written = blob.write(server.input_dir)
        if fmt is not None:
            tess = tess.with_encoding(output_format=fmt, compression=comp)
        return Outcome(True, invoke(tess, call.endpoint, sent))
    except Exception as exc:  # noqa: BLE001 - a failing call is a reported mismatch
        return Outcome(False, error=describe_exception(exc))
    finally:
        if written is not None:
            written.unlink(missing_ok=True)


def describe_exception(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return f"ValidationError {errors_of(exc)}"
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return text[:4000]


def errors_of(exc: ValidationError) -> list[tuple[str, tuple]]:
    return [(e["type"], tuple(e["loc"])) for e in exc.errors()]


# ---------------------------------------------------------------------------------------------
# Comparison


def float_bits_equal(a: float, b: float) -> bool:
    if math.isnan(a) and math.isnan(b):
        return True
    return struct.pack("<d", a) == struct.pack("<d", b)


def fmt_elem(x: Any) -> str:
    if isinstance(x, float | np.floating):
        return f"{float(x)!r} ({float(x).hex()})"
    return repr(x.item() if isinstance(x, np.generic) else x)


def diff(a: Any, b: Any, path: str = "") -> list[str]:
    """Differences between the rust answer `a` and the python answer `b`."""
    where = path or "<root>"
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return [f"{where}: rust {type(a).__name__} vs python {type(b).__name__}"]
        out = []
        if a.dtype != b.dtype:
            out.append(f"{where}: dtype rust {a.dtype} vs python {b.dtype}")
        if a.shape != b.shape:
            out.append(f"{where}: shape rust {a.shape} vs python {b.shape}")
        if out:
            return out
        if a.tobytes() != b.tobytes():
            fa, fb = a.reshape(-1), b.reshape(-1)
            bad = [
                i
                for i in range(fa.size)
                if fa[i : i + 1].tobytes() != fb[i : i + 1].tobytes()
                and not (
                    np.issubdtype(a.dtype, np.floating) and np.isnan(fa[i]) and np.isnan(fb[i])
                )
            ]
            if bad:
                i = bad[0]
                idx = np.unravel_index(i, a.shape) if a.shape else ()
                out.append(
                    f"{where}: {len(bad)} of {fa.size} elements differ, first at {tuple(int(j) for j in idx)}: "
                    f"rust {fmt_elem(fa[i])} vs python {fmt_elem(fb[i])}"
                )
        return out
    if isinstance(a, dict) or isinstance(b, dict):
        if not (isinstance(a, dict) and isinstance(b, dict)):
            return [f"{where}: rust {type(a).__name__} vs python {type(b).__name__}"]
        out = []
        if set(a) != set(b):
            out.append(
                f"{where}: keys only in rust {sorted(set(a) - set(b))}, only in python {sorted(set(b) - set(a))}"
            )
        for k in a:
            if k in b:
                out += diff(a[k], b[k], f"{path}/{k}" if path else str(k))
        return out
    if isinstance(a, list | tuple) or isinstance(b, list | tuple):
        if type(a) is not type(b):
            return [f"{where}: rust {type(a).__name__} vs python {type(b).__name__}"]
        if len(a) != len(b):
            return [f"{where}: length rust {len(a)} vs python {len(b)}"]
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out += diff(x, y, f"{path}[{i}]")
        return out
    if type(a) is not type(b):
        return [f"{where}: rust {type(a).__name__} {a!r} vs python {type(b).__name__} {b!r}"]
    if isinstance(a, float):
        return [] if float_bits_equal(a, b) else [f"{where}: rust {fmt_elem(a)} vs python {fmt_elem(b)}"]
    return [] if a == b else [f"{where}: rust {a!r} vs python {b!r}"]


def jsonable(v: Any) -> Any:
    """A JSON-safe rendering of a request or answer for the report."""
    if isinstance(v, np.ndarray | np.generic):
        a = np.asarray(v)
        return {"array": a.dtype.name, "shape": list(a.shape), "values": jsonable(a.tolist())}
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple | set):
        return [jsonable(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return repr(v)
    if v is None or isinstance(v, bool | int | float | str):
        return v
    return repr(v)


# ---------------------------------------------------------------------------------------------
# Driver


class Report:
    def __init__(self) -> None:
        self.cases = 0
        self.mismatches: list[dict] = []
        self.per_endpoint: dict[str, dict[str, int]] = {}

    def record(self, endpoint: str, case: str, problems: list[str], **details: Any) -> None:
        self.cases += 1
        stats = self.per_endpoint.setdefault(endpoint, {"cases": 0, "mismatches": 0})
        stats["cases"] += 1
        if problems:
            stats["mismatches"] += 1
            self.mismatches.append({"case": case, "endpoint": endpoint, "problems": problems, **details})


def compare_outcomes(report: Report, endpoint: str, case: str, request: Any, r: Outcome, p: Outcome) -> None:
    problems = []
    if not r.ok:
        problems.append(f"rust raised: {r.error}")
    if not p.ok:
        problems.append(f"python raised: {p.error}")
    if r.ok and p.ok:
        try:
            problems += diff(r.value, p.value)
        except Exception as exc:  # noqa: BLE001 - a driver bug must not hide the other cases
            problems.append(f"comparison failed: {describe_exception(exc)}")
    details = {}
    if problems:
        details = {
            "request": jsonable(request),
            "rust": jsonable(r.value) if r.ok else {"error": r.error},
            "python": jsonable(p.value) if p.ok else {"error": p.error},
        }
    report.record(endpoint, case, problems, **details)


def run(args: argparse.Namespace) -> int:
    req_encodings = [e for e in args.request_encodings.split(",") if e]
    unknown = set(req_encodings) - set(REQUEST_ENCODINGS)
    if unknown or not req_encodings:
        sys.exit(f"unknown request encodings {sorted(unknown)} (known: {REQUEST_ENCODINGS})")

    calls, abstract, invalid = APIS[args.api]()
    rust = Server("rust", args.rust, args.rust_input, args.rust_output)
    python = Server("python", args.python, args.python_input, args.python_output)
    report = Report()
    expected = len(calls) * len(req_encodings) * len(RESPONSE_ENCODINGS) + len(abstract) + 3 + len(invalid)

    # Metadata: endpoints, capabilities, health.
    for name, getter in (
        ("available_endpoints", lambda s: s.plain.available_endpoints),
        ("server_capabilities", lambda s: s.plain.server_capabilities.__dict__),
        ("health", lambda s: s.plain.health()),
    ):
        outs = []
        for s in (rust, python):
            try:
                outs.append(Outcome(True, getter(s)))
            except Exception as exc:  # noqa: BLE001
                outs.append(Outcome(False, error=describe_exception(exc)))
        compare_outcomes(report, name, name, None, *outs)

    for call in calls:
        payload = call_payload(call)
        for req_enc in req_encodings:
            for fmt, comp in RESPONSE_ENCODINGS:
                case = f"{call.endpoint}/{call.name} request={req_enc} response={fmt}" + (
                    f" compression={comp}" if comp else ""
                )
                r = run_on(rust, call, req_enc, fmt, comp)
                p = run_on(python, call, req_enc, fmt, comp)
                compare_outcomes(report, call.endpoint, case, payload, r, p)

    for name, inputs in abstract:
        call = Call("abstract_eval", name, inputs)
        r = run_on(rust, call, "base64", None, None)
        p = run_on(python, call, "base64", None, None)
        compare_outcomes(report, "abstract_eval", f"abstract_eval/{name}", {"inputs": inputs}, r, p)

    for name, endpoint, payload in invalid:
        errs = []
        for s in (rust, python):
            try:
                value = invoke(s.plain, endpoint, payload)
                errs.append(("no error", jsonable(value)))
            except ValidationError as exc:
                errs.append(("ValidationError", sorted(errors_of(exc), key=repr)))
            except Exception as exc:  # noqa: BLE001
                errs.append(("other", describe_exception(exc)))
        problems = []
        for (kind, what), label in zip(errs, ("rust", "python"), strict=True):
            if kind != "ValidationError":
                problems.append(f"{label} did not raise ValidationError: {kind} {what}")
        if not problems and errs[0][1] != errs[1][1]:
            problems.append("ValidationError (type, loc) differ")
        details = {}
        if problems:
            details = {
                "request": jsonable({"endpoint": endpoint, **payload}),
                "rust": jsonable(errs[0]),
                "python": jsonable(errs[1]),
            }
        report.record(f"{endpoint} (422)", f"invalid/{name} {endpoint}", problems, **details)

    out = {
        "api": args.api,
        "rust": args.rust,
        "python": args.python,
        "request_encodings": req_encodings,
        "cases": report.cases,
        "expected_cases": expected,
        "mismatches": report.mismatches,
        "per_endpoint": report.per_endpoint,
    }
    Path(args.report).parent.mkdir(parents=True, exist_ok=True)
    Path(args.report).write_text(json.dumps(out, indent=1) + "\n")
    failed = bool(report.mismatches) or report.cases < expected
    print(
        f"serve_compare {args.api}: {report.cases}/{expected} cases, "
        f"{len(report.mismatches)} mismatches -> {'FAIL' if failed else 'ok'} (report {args.report})"
    )
    return 1 if failed else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--api", required=True, choices=sorted(APIS))
    ap.add_argument("--rust", required=True, help="URL of the Rust server")
    ap.add_argument("--rust-input", required=True, help="the Rust server's --input-path")
    ap.add_argument("--rust-output", required=True, help="the Rust server's --output-path")
    ap.add_argument("--python", required=True, help="URL of tesseract-runtime serve")
    ap.add_argument("--python-input", required=True, help="tesseract-runtime's --input-path")
    ap.add_argument("--python-output", required=True, help="tesseract-runtime's --output-path")
    ap.add_argument("--report", required=True, help="JSON report to write")
    ap.add_argument(
        "--request-encodings",
        default=",".join(REQUEST_ENCODINGS),
        help=f"comma-separated subset of {','.join(REQUEST_ENCODINGS)} (default: all)",
    )
    sys.exit(run(ap.parse_args()))


if __name__ == "__main__":
    main()
