#!/usr/bin/env python3
"""truss's side of bench/compare, run with the truss venv's python.

    truss_peer.py run WORK [--quick] [--no-rss]   -> WORK/peer-truss.json, WORK/out/peer/*
    truss_peer.py rss-decode CODEC FILE DTYPE    (child) decode FILE once, print peak RSS

truss-json: `NumpyArrayField` with `model_dump_json()` / `Model.model_validate_json(text)`.
msgpack: what a chainlet does with use_binary=True, `truss_msgpack_serialize(model.model_dump(mode="python"))`
and `Model.model_validate(truss_msgpack_deserialize(body))` (msgpack-numpy underneath). The same
decode is the peer of arraymodel's borrowed msgpack decode.
"""

from __future__ import annotations

import json
import logging
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

warnings.filterwarnings("ignore")


def model():
    from pydantic import BaseModel

    logging.getLogger().setLevel(logging.ERROR)  # truss_chains warns about prometheus_client on import
    from truss_chains.pydantic_numpy import NumpyArrayField

    class M(BaseModel):
        x: NumpyArrayField

    return M


def codecs(M):
    from truss.templates.shared.serialization import truss_msgpack_deserialize, truss_msgpack_serialize

    return {
        # codec -> (encode(m), decode(payload), encode path, decode path)
        "truss-json": (
            lambda m: m.model_dump_json(),
            lambda b: M.model_validate_json(b),
            "model_dump_json",
            "model_validate_json",
        ),
        "msgpack": (
            lambda m: truss_msgpack_serialize(m.model_dump(mode="python")),
            lambda b: M.model_validate(truss_msgpack_deserialize(b)),
            "truss_msgpack_serialize(model_dump)",
            "model_validate(truss_msgpack_deserialize)",
        ),
    }


def run(work: Path, quick: bool, do_rss: bool) -> None:
    import numpy as np

    M = model()
    meta = common.load_cases(work)
    reps = common.Reps(quick)
    out_dir = work / "out" / "peer"
    out_dir.mkdir(parents=True, exist_ok=True)
    rss_dir = work / "rss-peer-truss"
    records, rss = [], []
    for case in meta["cases"]:
        arr = common.load_array(case)
        m = M(x=arr)
        for codec, (enc, dec, enc_path, dec_path) in codecs(M).items():
            t, n, payload = reps.best(common.timed(lambda: enc(m)))
            size = len(payload.encode() if isinstance(payload, str) else payload)
            records.append(common.record(case, codec, "encode", enc_path, t, n, size))
            body = payload.encode() if isinstance(payload, str) else payload
            (out_dir / f"{case['name']}.{codec}").write_bytes(body)
            t, n, m2 = reps.best(common.timed(lambda: dec(payload)))
            back = m2.x.array
            assert back.dtype == arr.dtype and np.array_equal(back, arr), (case["name"], codec)
            del back, m2
            records.append(common.record(case, codec, "decode", dec_path, t, n, size))
            if do_rss and case["name"] == meta["rss_case"]:
                rss_dir.mkdir(parents=True, exist_ok=True)
                f = rss_dir / f"{codec}.payload"
                f.write_bytes(body)
                r = common.rss_child(__file__, ["rss-decode", codec, str(f)])
                r.update(codec=codec, op="decode", path=dec_path)
                print(f"  peer rss {codec:<17} decode {r}", file=sys.stderr, flush=True)
                rss.append(r)
                f.unlink()
            del payload, body
    (work / "peer-truss.json").write_text(json.dumps({"timings": records, "rss": rss}, indent=1))


def rss_decode(codec: str, file: str) -> None:
    M = model()
    dec = codecs(M)[codec][1]
    baseline = common.reset_peak()
    payload = Path(file).read_bytes()
    if codec == "truss-json":
        payload = payload.decode()  # what model_dump_json handed over: a str
    m = dec(payload)
    common.peak_since(baseline, input_bytes=len(payload), array_bytes=int(m.x.array.nbytes))


def main() -> None:
    args = sys.argv[1:]
    if args and args[0] == "run":
        run(Path(args[1]), "--quick" in args, "--no-rss" not in args)
    elif args and args[0] == "rss-decode":
        rss_decode(*args[1:3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
