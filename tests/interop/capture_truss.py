"""Writes the truss captures of tests/data/peers/truss from the pinned truss venv.

    .cache/venvs/truss/bin/python tests/interop/capture_truss.py OUT

(`scripts/capture-peers.sh` runs it.) Every file comes from truss's own code:

- `*.model.json`      ArrayModel(array=arr).model_dump_json(), ArrayModel having one NumpyArrayField
- `*.model.msgpack`   truss.templates.shared.serialization.truss_msgpack_serialize(model.model_dump(mode="python"))
- `*.bare.msgpack`    msgpack_numpy.packb(arr)
- `scalars/`, `models/`, `edge/reject_*`: numpy scalars, composite pydantic models, negative cases
- `manifest.json`     one entry per case: dtype, shape, values, raw bytes, files, what the peer's decoders did

The program runs under a fixed PYTHONHASHSEED (it re-executes itself so: one manifest entry quotes
a Python set). The output then depends only on the versions of numpy, pydantic, msgpack,
msgpack-numpy and truss (recorded in the manifest): with the pins of scripts/requirements-truss.txt
it is the committed files byte for byte.
"""

import datetime as dt
import decimal
import os
import hashlib
import importlib.metadata as md
import json
import math
import shutil
import sys
import uuid
from pathlib import Path
from typing import Optional

import msgpack
import msgpack_numpy
import numpy as np
import pydantic
from truss.templates.shared import serialization as ts
from truss_chains.pydantic_numpy import NumpyArrayField

GENERATOR = "tests/interop/capture_truss.py"
# Python's string hashing seed. One manifest entry quotes a set of key names, whose order follows
# the hashes; 29 gives the order of the committed capture (which ran under a random seed).
HASH_SEED = "29"

DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float16", "float32", "float64", "complex64", "complex128"]
SHAPES = [(), (0,), (3,), (2, 3), (2, 0, 4)]

# The value patterns each dtype kind cycles through (extremes of the integer types included).
def pattern(dtype):
    d = np.dtype(dtype)
    if d.kind == "b":
        return [True, False, True, True, False, False]
    if d.kind == "i":
        info = np.iinfo(d)
        return [int(info.min), -1, 0, 1, int(info.max), 42]
    if d.kind == "u":
        return [0, 1, int(np.iinfo(d).max), 2, 100, 255]
    if d.kind == "f":
        return [-1.5, 0.0, 1.0, 3.25, 65504.0, -0.0]
    return [complex(1.0, -2.0), complex(0.0, 0.0), complex(-1.5, 3.25), complex(65504.0, -0.0),
            complex(0.5, 0.25), complex(-0.0, 1.0)]


def grid_array(dtype, shape):
    n = int(np.prod(shape)) if shape else 1
    p = pattern(dtype)
    return np.array([p[i % len(p)] for i in range(n)], dtype=dtype).reshape(shape)


def to_json_value(v):
    """A value as the manifest writes it: non-finite floats as strings, complex as [re, im]."""
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (complex, np.complexfloating)):
        return [to_json_value(float(v.real)), to_json_value(float(v.imag))]
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isnan(f):
            return "NaN"
        if math.isinf(f):
            return "Infinity" if f > 0 else "-Infinity"
        return f
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, str):
        return v
    raise TypeError(type(v))


def error_text(e):
    return f"{type(e).__name__}: {e}"


class ArrayModel(pydantic.BaseModel):
    array: NumpyArrayField


class Writer:
    def __init__(self, out):
        self.out = out
        self.cases = []

    def write(self, rel, data):
        (self.out / rel).write_bytes(data)

    def same_array(self, back, arr):
        return bool(back.dtype == arr.dtype and back.shape == arr.shape and back.tobytes() == arr.tobytes())

    def array(self, name, arr, sub="arrays", note=None, values=None):
        """One array through the three writers; records what each did, and whether truss reads it back."""
        kind = arr.dtype.kind
        case = {"name": name, "dtype": str(arr.dtype), "dtype_str": arr.dtype.str, "shape": list(arr.shape)}
        if values is None and kind not in "OV":
            values = [to_json_value(v) for v in np.ascontiguousarray(arr).reshape(-1).tolist()]
        if arr.size > 1000:
            values = None
            case["values_formula"] = note
        case["values_flat"] = values
        case["raw_hex"] = arr.tobytes().hex() if kind != "O" and arr.nbytes <= 1000 else None
        if kind != "O":
            case["raw_sha256"] = hashlib.sha256(arr.tobytes()).hexdigest()
        if note:
            case["note"] = note
        files = {}
        model = ArrayModel(array=arr)

        # truss-chains JSON (not for object arrays: their data_b64 holds PyObject pointers)
        try:
            text = model.model_dump_json().encode()
            if kind == "O":
                case["json_note"] = ("object dtype: data_b64 holds raw PyObject* pointer bytes "
                                     "(nondeterministic, leaks addresses); file not written")
            else:
                rel = f"{sub}/{name}.model.json"
                self.write(rel, text)
                files["model_json"] = rel
                try:
                    back = ArrayModel.model_validate_json(text).array.array
                    case["json_roundtrip_ok"] = self.same_array(back, arr)
                except Exception as e:
                    case["json_roundtrip_ok"] = False
                    case["json_decode_error"] = error_text(e)
        except Exception as e:
            case["json_encode_error"] = error_text(e)

        # truss's binary mode
        try:
            packed = ts.truss_msgpack_serialize(model.model_dump(mode="python"))
            rel = f"{sub}/{name}.model.msgpack"
            self.write(rel, packed)
            files["model_msgpack"] = rel
            assert packed == msgpack_numpy.packb(model.model_dump(mode="python")), name
            try:
                back = ArrayModel.model_validate(ts.truss_msgpack_deserialize(packed)).array.array
                case["msgpack_roundtrip_ok"] = self.same_array(back, arr)
            except Exception as e:
                case["msgpack_roundtrip_ok"] = False
                case["msgpack_decode_error_truss"] = error_text(e)
        except Exception as e:
            case["msgpack_encode_error"] = error_text(e)

        # the ndarray map alone
        try:
            packed = msgpack_numpy.packb(arr)
            rel = f"{sub}/{name}.bare.msgpack"
            self.write(rel, packed)
            files["bare_msgpack"] = rel
        except Exception as e:
            case["bare_msgpack_encode_error"] = error_text(e)

        case["files"] = files
        self.cases.append(case)


def arrays(w):
    for dtype in DTYPES:
        for shape in SHAPES:
            tag = "0d" if shape == () else "x".join(map(str, shape))
            w.array(f"{dtype}_{tag}", grid_array(dtype, shape))


def edge(w):
    for d in ["float16", "float32", "float64"]:
        special = [np.nan, np.inf, -np.inf, -0.0, np.finfo(d).max, np.finfo(d).tiny]
        w.array(f"{d}_special", np.array(special, dtype=d), "edge", note="NaN/inf/-0/max/tiny")
    w.array("complex128_special", np.array([complex(np.nan, np.inf), complex(-np.inf, -0.0)], dtype="complex128"), "edge")

    # byte order, memory layout, msgpack length and shape encodings
    table = [
        ("float64_bigendian_2", np.array([1.0, 2.0], dtype=">f8"),
         "big-endian: JSON dtype '>f8', msgpack type '>f8', bytes stay big-endian"),
        ("int32_bigendian_2", np.array([1, -2], dtype=">i4"), None),
        ("complex128_bigendian_1", np.array([1 + 2j], dtype=">c16"), None),
        ("uint16_bigendian_2x2", np.array([[1, 2], [3, 65535]], dtype=">u2"), None),
        ("int32_fortran_2x3", np.asfortranarray(np.arange(6, dtype=np.int32).reshape(2, 3)),
         "F-ordered input: wire is C order (tobytes)"),
        ("int16_strided_3", np.arange(6, dtype=np.int16)[::2], "non-contiguous view: wire is C order copy"),
        ("uint8_transposed_3x2", np.arange(6, dtype=np.uint8).reshape(2, 3).T, None),
        ("float64_2x3x4", np.arange(24, dtype=np.float64).reshape(2, 3, 4), None),
        ("int8_len40_bin8", np.arange(40, dtype=np.int8), "data length 40 -> bin8"),
        ("uint8_len255_bin8max", (np.arange(255) % 256).astype(np.uint8), "data length 255 -> bin8 (c4 ff)"),
        ("uint8_len256_bin16", (np.arange(256) % 256).astype(np.uint8), "data length 256 -> bin16 (c5 01 00)"),
        ("uint8_len65536_bin32", (np.arange(65536) % 251).astype(np.uint8),
         "values: i % 251 for i in range(65536); data length 65536 -> bin32 (c6 00 01 00 00)"),
        ("int64_shape_20elem_dims", np.zeros((1,) * 17, dtype=np.int64), "17 dims: shape array16 (dc) in msgpack"),
        ("uint8_big_dim_70000x0", np.zeros((70000, 0), dtype=np.uint8),
         "shape entries > 65535 -> uint32 in msgpack (ce)"),
    ]
    for name, arr, note in table:
        w.array(name, arr, "edge", note=note)

    # dtypes outside the 14 (the Rust side refuses them; the files show how)
    w.array("unicode_U3", np.array(["ab", "xyz"]), "edge", values=["ab", "xyz"])
    w.array("bytes_S3", np.array([b"ab", b"xyz"]), "edge", values=[b"ab".hex(), b"xyz".hex()])
    w.array("datetime64_s", np.array(["2020-01-01T00:00:00"], dtype="datetime64[s]"), "edge",
            values=["2020-01-01T00:00:00"],
            note="msgpack: C-contiguous datetime64 fails (memoryview can't export 'M')")
    w.array("structured_i4_f8", np.array([(1, 2.0)], dtype=[("x", "<i4"), ("y", "<f8")]), "edge",
            values=[[1, 2.0]], note="kind b'V', type = descr list; JSON dtype string not parseable back")
    w.array("object_mixed", np.array([1, "a", None], dtype=object), "edge", values=[1, "a", None],
            note="SECURITY: msgpack data is a pickle (kind b'O'); truss decoder rejects; JSON leaks pointer bytes")


def scalars(w):
    values = [np.bool_(True), np.int8(-1), np.int16(-2), np.int32(-3), np.int64(5), np.uint8(255), np.uint16(7),
              np.uint32(8), np.uint64(2**64 - 1), np.float16(1.5), np.float32(1.5), np.float64(1.5),
              np.complex64(1 + 2j), np.complex128(1 - 2j), complex(1, 2), 1.5, 7]
    for s in values:
        packed = msgpack_numpy.packb(s)
        assert packed == ts.truss_msgpack_serialize(s)
        t = type(s)
        name = f"{t.__module__.split('.')[0]}_{t.__name__}"
        w.write(f"scalars/{name}.msgpack", packed)
        w.cases.append({
            "name": name, "kind": "scalar", "python_type": f"{t.__module__}.{t.__name__}",
            "value": to_json_value(s), "dtype_str": getattr(s, "dtype", None) and s.dtype.str,
            "files": {"bare_msgpack": f"scalars/{name}.msgpack"},
            "decodes_to": repr(msgpack_numpy.unpackb(packed)), "hex": packed.hex(),
        })


class Inner(pydantic.BaseModel):
    label: str
    weights: NumpyArrayField


class Composite(pydantic.BaseModel):
    name: str
    blob: bytes
    count: int
    ratio: float
    flag: bool
    nothing: Optional[int] = None
    maybe_array: Optional[NumpyArrayField] = None
    arrays: list[NumpyArrayField]
    named: dict[str, NumpyArrayField]
    inner: Inner
    inners: list[Inner]


COMPOSITE_SOURCE = '''class Inner(BaseModel):
    label: str
    weights: NumpyArrayField
class Composite(BaseModel):
    name: str; blob: bytes; count: int; ratio: float; flag: bool
    nothing: Optional[int] = None
    maybe_array: Optional[NumpyArrayField] = None
    arrays: list[NumpyArrayField]
    named: dict[str, NumpyArrayField]
    inner: Inner
    inners: list[Inner]'''


class BytesOnly(pydantic.BaseModel):
    data: bytes
    text: str


class Bytes64(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")
    data: bytes


class TrussExtras(pydantic.BaseModel):
    when: dt.datetime
    day: dt.date
    at: dt.time
    span: dt.timedelta
    dec: decimal.Decimal
    uid: uuid.UUID


def models(w):
    comp = Composite(
        name="héllo", blob=b"raw\x00bytes", count=-7, ratio=0.5, flag=True,
        arrays=[np.array([1, 2, 3], dtype=np.int32), np.array([[1.5, -2.0]], dtype=np.float32),
                np.zeros((0,), dtype=np.uint8)],
        named={"a": np.array([True, False]), "b": np.array(3.0)},
        inner=Inner(label="in", weights=np.array([0.25, 0.5], dtype=np.float64)),
        inners=[Inner(label="x", weights=np.array([1], dtype=np.uint16)),
                Inner(label="y", weights=np.array([], dtype=np.int64).reshape(0, 2))],
    )
    text = comp.model_dump_json().encode()
    packed = ts.truss_msgpack_serialize(comp.model_dump(mode="python"))
    assert packed == msgpack_numpy.packb(comp.model_dump(mode="python"))
    w.write("models/composite.model.json", text)
    w.write("models/composite.model.msgpack", packed)

    def same_arrays(m):
        return m.blob == comp.blob and all(np.array_equal(a.array, b.array) for a, b in zip(m.arrays, comp.arrays))

    w.cases.append({
        "name": "composite", "kind": "model", "python_source": COMPOSITE_SOURCE, "value_repr": repr(comp),
        "files": {"model_json": "models/composite.model.json", "model_msgpack": "models/composite.model.msgpack"},
        "json_roundtrip_ok": same_arrays(Composite.model_validate_json(text)),
        "msgpack_roundtrip_ok": same_arrays(Composite.model_validate(ts.truss_msgpack_deserialize(packed))),
    })

    ok = BytesOnly(data=b"\x00\x01\x02hello\x7f", text="ok")
    w.write("models/bytes_utf8.model.json", ok.model_dump_json().encode())
    w.write("models/bytes_utf8.model.msgpack", ts.truss_msgpack_serialize(ok.model_dump(mode="python")))
    bad = BytesOnly(data=b"\xff\xfe\x00", text="x")
    try:
        bad.model_dump_json()
        json_error = None
    except Exception as e:
        json_error = error_text(e)
    w.write("models/bytes_nonutf8.model.msgpack", ts.truss_msgpack_serialize(bad.model_dump(mode="python")))
    w.cases.append({
        "name": "bytes_utf8", "kind": "model", "python_source": "class BytesOnly(BaseModel): data: bytes; text: str",
        "value": {"data_hex": ok.data.hex(), "text": ok.text},
        "files": {"model_json": "models/bytes_utf8.model.json", "model_msgpack": "models/bytes_utf8.model.msgpack"},
        "note": "default pydantic ser_json_bytes='utf8': bytes are emitted as a JSON string of the UTF-8 decoded "
                "bytes (control chars \\u-escaped)",
    })
    w.cases.append({
        "name": "bytes_nonutf8", "kind": "model", "value": {"data_hex": bad.data.hex(), "text": bad.text},
        "files": {"model_msgpack": "models/bytes_nonutf8.model.msgpack"}, "json_encode_error": json_error,
        "note": "JSON mode FAILS for non-UTF-8 bytes with default config; msgpack mode emits bin8",
    })

    b64 = Bytes64(data=b"\xff\xfe\xfd\xfb\xef\xbe\x00")
    w.write("models/bytes_base64cfg.model.json", b64.model_dump_json().encode())
    w.cases.append({
        "name": "bytes_base64cfg", "kind": "model",
        "python_source": "ConfigDict(ser_json_bytes='base64', val_json_bytes='base64'); data: bytes",
        "value": {"data_hex": b64.data.hex()}, "files": {"model_json": "models/bytes_base64cfg.model.json"},
        "note": "pydantic's base64 bytes mode emits URL-SAFE alphabet (-_) with padding; NumpyArrayField data_b64 "
                "uses STANDARD alphabet (+/) with padding",
    })

    extras = TrussExtras(when=dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc), day=dt.date(2024, 1, 2),
                         at=dt.time(3, 4, 5), span=dt.timedelta(days=1, seconds=2, microseconds=3),
                         dec=decimal.Decimal("1.25"), uid=uuid.UUID(int=1))
    w.write("models/truss_extras.model.msgpack", ts.truss_msgpack_serialize(extras.model_dump(mode="python")))
    w.write("models/truss_extras.model.json", extras.model_dump_json().encode())
    w.cases.append({
        "name": "truss_extras", "kind": "model", "value_repr": repr(extras),
        "files": {"model_json": "models/truss_extras.model.json", "model_msgpack": "models/truss_extras.model.msgpack"},
        "note": "truss-only msgpack extension maps {b'__dt_datetime_iso__': True, b'data': iso} etc.; "
                "msgpack_numpy.patch() alone CANNOT encode these (TypeError)",
    })


def negative(w):
    """Payloads a decoder must refuse, and what truss itself does with them."""
    pickle = msgpack_numpy.packb({"array": np.array([1, "a"], dtype=object)})
    str_keys = msgpack.Packer(use_bin_type=True).pack(
        {"array": {"nd": True, "type": "<f8", "kind": b"", "shape": [1], "data": b"\x00" * 8}})
    w.write("edge/reject_object_pickle.msgpack", pickle)
    w.write("edge/str_keys_not_ndarray.msgpack", str_keys)
    pickle_case = {
        "name": "reject_object_pickle", "kind": "negative",
        "files": {"model_msgpack": "edge/reject_object_pickle.msgpack"},
        "expect": "truss_msgpack_deserialize raises ValueError('unsupported payload'); plain msgpack_numpy.unpackb "
                  "would pickle.loads() it (RCE risk)",
    }
    str_case = {
        "name": "str_keys_not_ndarray", "kind": "negative",
        "files": {"model_msgpack": "edge/str_keys_not_ndarray.msgpack"},
        "expect": "msgpack_numpy only recognises BIN (bytes) keys b'nd' etc.; with str keys the map stays a plain "
                  "dict and NumpyArrayField validation raises TypeError",
    }
    try:
        ArrayModel.model_validate(ts.truss_msgpack_deserialize(str_keys))
        str_case["observed"] = "accepted?!"
    except Exception as e:
        str_case["observed"] = f"{type(e).__name__}: {str(e)[:120]}"
    try:
        ts.truss_msgpack_deserialize(pickle)
    except Exception as e:
        pickle_case["observed"] = error_text(e)
    w.cases += [pickle_case, str_case]


CONVENTIONS = {
    "model": "class ArrayModel(pydantic.BaseModel): array: NumpyArrayField  (truss_chains.pydantic_numpy)",
    "*.model.json": "ArrayModel(array=arr).model_dump_json()  (bytes exactly as produced, no trailing newline)",
    "*.model.msgpack": "truss.templates.shared.serialization.truss_msgpack_serialize(model.model_dump(mode='python')) "
                       "== msgpack.packb(..., default=truss_encoder->msgpack_numpy.encode); identical to msgpack.packb "
                       "after msgpack_numpy.patch() for these cases",
    "*.bare.msgpack": "msgpack_numpy.packb(arr)  (the bare ndarray map, no model wrapper)",
    "values_flat": "array values in C (row-major) order; complex as [re, im]; non-finite floats as strings "
                   "'NaN'/'Infinity'/'-Infinity'; -0.0 kept",
    "raw_hex": "arr.tobytes() (C order, native byte order of arr.dtype) as hex",
}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: capture_truss.py OUT")
    if os.environ.get("PYTHONHASHSEED") != HASH_SEED:
        os.environ["PYTHONHASHSEED"] = HASH_SEED
        os.execv(sys.executable, [sys.executable, *sys.argv])
    out = Path(sys.argv[1])
    for sub in ["arrays", "edge", "scalars", "models"]:
        shutil.rmtree(out / sub, ignore_errors=True)
        (out / sub).mkdir(parents=True)
    w = Writer(out)
    arrays(w)
    edge(w)
    scalars(w)
    models(w)
    negative(w)
    versions = {p: md.version(p) for p in ["numpy", "pydantic", "pydantic_core", "msgpack", "msgpack-numpy", "truss"]}
    manifest = {"generator": GENERATOR, "versions": versions, "conventions": CONVENTIONS, "cases": w.cases}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    failed = [c["name"] for c in w.cases if c.get("json_roundtrip_ok") is False or c.get("msgpack_roundtrip_ok") is False]
    print(f"truss: {len(w.cases)} cases in {out} (truss {versions['truss']}, numpy {versions['numpy']}); "
          f"round trips that truss itself fails: {failed}")


if __name__ == "__main__":
    main()
