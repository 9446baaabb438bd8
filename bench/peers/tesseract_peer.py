#!/usr/bin/env python3
"""tesseract-core's side of bench/compare, run with the tesseract venv's python.

    tesseract_peer.py run WORK [--quick] [--no-rss]   -> WORK/peer-tesseract.json, WORK/out/peer/*
    tesseract_peer.py rss-decode FMT FILE BASEDIR    (child) decode FILE once, print peak RSS

Encoding is what the server does for a response (serve.create_response): `output_to_bytes(model,
format, base_dir=..., binref_dir=None, compression=...)`, i.e. `dump_python(mode="json")` + orjson.
Decoding is what the server does for a request: FastAPI's `json.loads` of the body, then
`Model.model_validate(obj, context={"base_dir": ...})` in python mode (the primary figure, "server").
`Model.model_validate_json(body, context=...)` is timed as well ("validate_json", full mode only).
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

warnings.filterwarnings("ignore")

FORMATS = {
    # codec -> (output_to_bytes format, compression)
    "json": ("json", None),
    "json+base64": ("json+base64", None),
    "json+binref": ("json+binref", None),
    "json+base64+lz4": ("json+base64", "lz4"),
    "json+binref+lz4": ("json+binref", "lz4"),
}


def model_for(dtype: str):
    from pydantic import BaseModel
    from tesseract_core.runtime import Array, Float32, Float64, Int8

    T = {"float64": Float64, "float32": Float32, "int8": Int8}[dtype]

    class M(BaseModel):
        x: Array[(None,), T]

    return M


def run(work: Path, quick: bool, do_rss: bool) -> None:
    import numpy as np
    from tesseract_core.runtime.file_interactions import output_to_bytes

    meta = common.load_cases(work)
    reps = common.Reps(quick)
    out_dir = work / "out" / "peer"
    out_dir.mkdir(parents=True, exist_ok=True)
    rss_dir = work / "rss-peer-tesseract"
    records, rss = [], []
    for case in meta["cases"]:
        arr = common.load_array(case)
        M = model_for(case["dtype"])
        m = M(x=arr)
        for codec, (fmt, compression) in FORMATS.items():
            base = work / "binref-peer" / case["name"] / codec
            common.clear_dir(base)
            binref = fmt == "json+binref"

            def enc():
                return output_to_bytes(m, fmt, base_dir=str(base), binref_dir=None, compression=compression)

            def enc_once():
                dt, r = common.timed(enc)()
                if binref:
                    common.clear_dir(base)
                return dt, r

            t, n, payload = reps.best(enc_once)
            records.append(common.record(case, codec, "encode", "output_to_bytes", t, n, len(payload)))
            if binref:  # the timed encodes' side files are gone: write the decode input once more
                common.clear_dir(base)
                payload = enc()
            else:
                (out_dir / f"{case['name']}.{codec}").write_bytes(payload)
            ctx = {"base_dir": str(base)}
            t, n, m2 = reps.best(common.timed(lambda: M.model_validate(json.loads(payload), context=ctx)))
            back = np.asarray(m2.x)
            assert back.dtype == arr.dtype and np.array_equal(back, arr), (case["name"], codec)
            del back, m2
            records.append(common.record(case, codec, "decode", "json.loads+model_validate", t, n, len(payload)))
            if not quick:
                t, n, _ = reps.best(common.timed(lambda: M.model_validate_json(payload, context=ctx)))
                records.append(common.record(case, codec, "decode", "model_validate_json", t, n, len(payload)))
            if do_rss and case["name"] == meta["rss_case"]:
                rss_dir.mkdir(parents=True, exist_ok=True)
                f = rss_dir / f"{codec}.payload"
                f.write_bytes(payload)
                r = common.rss_child(__file__, ["rss-decode", codec, str(f), str(base), case["dtype"]])
                r.update(codec=codec, op="decode", path="json.loads+model_validate")
                print(f"  peer rss {codec:<17} decode {r}", file=sys.stderr, flush=True)
                rss.append(r)
                f.unlink()
            del payload
            common.clear_dir(base)
    (work / "peer-tesseract.json").write_text(json.dumps({"timings": records, "rss": rss}, indent=1))


def rss_decode(codec: str, file: str, base: str, dtype: str) -> None:
    M = model_for(dtype)
    baseline = common.reset_peak()
    payload = Path(file).read_bytes()
    m = M.model_validate(json.loads(payload), context={"base_dir": base})
    common.peak_since(baseline, input_bytes=len(payload), array_bytes=int(m.x.nbytes))


def main() -> None:
    args = sys.argv[1:]
    if args and args[0] == "run":
        run(Path(args[1]), "--quick" in args, "--no-rss" not in args)
    elif args and args[0] == "rss-decode":
        rss_decode(*args[1:5])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
