"""The Python side of bench/client-compare: what a Python user of the FastAPI test app does, per call.

    python bench/peers/client_peer.py URL DIR [--calls N] [--warmup N] [--out NAME.json]   -> DIR/python.json

Same data as the Rust side (DIR/values-f32.raw, 1M float32 written by `client-bench gen`), same server,
the app's own pydantic model (``TrussBlock`` from tests/fastapi/app.py, truss's ``NumpyArrayField``) and
truss's own msgpack functions (loaded by app.py from the installed truss, as reference.py does):

- JSON:    ``post(url, content=block.model_dump_json())`` then ``TrussBlock.model_validate_json(resp.content)``
- msgpack: ``post(url, content=truss_msgpack_serialize(block.model_dump(mode="python")))`` then
           ``TrussBlock.model_validate(truss_msgpack_deserialize(resp.content))``

through both ``requests.Session`` and ``httpx.Client`` (each keeps its connection open, as the Rust client's
agent does). The block is built once, before the loop, as on the Rust side. Per call: wall time
(``perf_counter``) and the process's CPU time (``process_time``: user + system of this process only; the
server is another process). Every answer is checked (label, dtype, ``np.array_equal``).
"""

from __future__ import annotations

import json
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "fastapi"))

import httpx  # noqa: E402
import requests  # noqa: E402
from app import TrussBlock, truss_msgpack_deserialize, truss_msgpack_serialize  # noqa: E402

ELEMENTS = 1_000_000
LABEL = "bench"
JSON = {"content-type": "application/json", "accept": "application/json"}
OCTET = {"content-type": "application/octet-stream", "accept": "application/octet-stream"}


def check(got: TrussBlock, values: np.ndarray, what: str) -> None:
    arr = got.values.array
    if got.label != LABEL or got.weights is not None or arr.dtype != values.dtype or not np.array_equal(arr, values):
        raise SystemExit(f"{what}: the echo differs from the input (label {got.label!r}, dtype {arr.dtype})")


def stats(v: list[float]) -> dict:
    return {"median": statistics.median(v), "mean": statistics.fmean(v), "min": min(v), "max": max(v), "samples": v}


def measure(warm: int, n: int, keep: bool, call, check_one) -> dict:
    """`warm` untimed calls, then `n` timed ones; the answer is checked outside the timed part. `keep`: the
    answer stays alive during the next call and is freed when the next one is assigned (inside the timed
    part); otherwise it is freed right after the check, untimed (as on the Rust side)."""
    for _ in range(warm):
        check_one(call())
    wall, cpu = [], []
    got = None
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(n):
        c0, t0 = time.process_time(), time.perf_counter()
        got = call()
        t1, c1 = time.perf_counter(), time.process_time()
        wall.append(t1 - t0)
        cpu.append(c1 - c0)
        check_one(got)
        if not keep:
            got = None
    got = None
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "calls": n,
        "wall": stats(wall),
        "cpu": stats(cpu),
        "rusage_user_per_call": (r1.ru_utime - r0.ru_utime) / n,
        "rusage_sys_per_call": (r1.ru_stime - r0.ru_stime) / n,
        "minor_faults_per_call": (r1.ru_minflt - r0.ru_minflt) / n,
    }


def post_httpx(client: httpx.Client):
    def post(url: str, content, headers: dict) -> bytes:
        resp = client.post(url, content=content, headers=headers)
        if resp.status_code != 200:
            raise SystemExit(f"{url}: status {resp.status_code}: {resp.content[:300]!r}")
        return resp.content

    return post


def post_requests(session: requests.Session):
    def post(url: str, content, headers: dict) -> bytes:
        resp = session.post(url, data=content, headers=headers)
        if resp.status_code != 200:
            raise SystemExit(f"{url}: status {resp.status_code}: {resp.content[:300]!r}")
        return resp.content

    return post


def steps(post, base: str, block: TrussBlock, values: np.ndarray, msgpack: bool, warm: int, n: int) -> dict:
    """The same call split into encode / HTTP / decode, CPU and wall time of each."""
    names = ("encode", "http", "decode")
    wall = {k: [] for k in names}
    cpu = {k: [] for k in names}
    sizes = {}
    for i in range(warm + n):
        marks = [(time.perf_counter(), time.process_time())]
        if msgpack:
            body = truss_msgpack_serialize(block.model_dump(mode="python"))
        else:
            body = block.model_dump_json()
        marks.append((time.perf_counter(), time.process_time()))
        if msgpack:
            content = post(base + "/echo-binary", body, OCTET)
        else:
            content = post(base + "/echo-truss", body, JSON)
        marks.append((time.perf_counter(), time.process_time()))
        if msgpack:
            got = TrussBlock.model_validate(truss_msgpack_deserialize(content))
        else:
            got = TrussBlock.model_validate_json(content)
        marks.append((time.perf_counter(), time.process_time()))
        check(got, values, "steps")
        nbytes = {"request_bytes": len(body), "response_bytes": len(content)}
        del got, content, body  # freed untimed, as on the Rust side
        if i >= warm:
            for k, (a, b) in zip(names, zip(marks, marks[1:])):
                wall[k].append(b[0] - a[0])
                cpu[k].append(b[1] - a[1])
            sizes = nbytes
    return {**{k: {"wall": stats(wall[k]), "cpu": stats(cpu[k])} for k in names}, **sizes}


def main() -> None:
    args = sys.argv[1:]
    opts = {"--calls": "40", "--warmup": "5", "--out": "python.json"}
    rest = []
    while args:
        a = args.pop(0)
        if a in opts and args:
            opts[a] = args.pop(0)
        else:
            rest.append(a)
    if len(rest) != 2:
        raise SystemExit("usage: client_peer.py URL DIR [--calls N] [--warmup N] [--out NAME.json]")
    base, work = rest[0].rstrip("/"), Path(rest[1])
    warm, n = int(opts["--warmup"]), int(opts["--calls"])

    values = np.fromfile(work / "values-f32.raw", dtype="<f4").astype(np.float32)
    assert values.shape == (ELEMENTS,)
    block = TrussBlock(label=LABEL, values=values)

    def json_call(post):
        def call() -> TrussBlock:
            content = post(base + "/echo-truss", block.model_dump_json(), JSON)
            return TrussBlock.model_validate_json(content)

        return call

    def msgpack_call(post):
        def call() -> TrussBlock:
            body = truss_msgpack_serialize(block.model_dump(mode="python"))
            content = post(base + "/echo-binary", body, OCTET)
            return TrussBlock.model_validate(truss_msgpack_deserialize(content))

        return call

    out: dict = {
        "side": "python",
        "python": platform.python_version(),
        "versions": {
            "requests": requests.__version__,
            "httpx": httpx.__version__,
            "pydantic": __import__("pydantic").__version__,
            "numpy": np.__version__,
            "msgpack": ".".join(map(str, __import__("msgpack").version)),
        },
        "elements": ELEMENTS,
        "dtype": "float32",
        "warmup": warm,
        "calls": n,
        "clients": {},
    }
    with requests.Session() as session, httpx.Client(timeout=60.0) as hx:
        for name, post in (("requests", post_requests(session)), ("httpx", post_httpx(hx))):
            by_wire, kept = {}, {}
            for wire, make in (("json", json_call), ("msgpack", msgpack_call)):
                for keep in (False, True):
                    r = measure(
                        warm, n, keep, make(post), lambda got, w=wire, c=name: check(got, values, f"{c} {w} echo")
                    )
                    (kept if keep else by_wire)[wire] = r
                    print(
                        f"  python {name:<8} {wire:<8} {'(answer kept)' if keep else '':<14} "
                        f"wall {r['wall']['median'] * 1e3:.2f} ms cpu {r['cpu']['median'] * 1e3:.2f} ms (median of {n}; "
                        f"user {r['rusage_user_per_call'] * 1e3:.2f} sys {r['rusage_sys_per_call'] * 1e3:.2f} ms per call, "
                        f"{r['minor_faults_per_call']:.0f} page faults)",
                        file=sys.stderr,
                        flush=True,
                    )
            split = {}
            for wire, msgpack in (("json", False), ("msgpack", True)):
                s = steps(post, base, block, values, msgpack, min(warm, 2), n // 2)
                split[wire] = s
                print(
                    f"  python {name:<8} {wire:<8} steps (cpu): encode {s['encode']['cpu']['median'] * 1e3:.2f} ms "
                    f"http {s['http']['cpu']['median'] * 1e3:.2f} ms decode {s['decode']['cpu']['median'] * 1e3:.2f} ms; "
                    f"request {s['request_bytes']} B, response {s['response_bytes']} B",
                    file=sys.stderr,
                    flush=True,
                )
            out["clients"][name] = {"calls_by_wire": by_wire, "calls_by_wire_answer_kept": kept, "steps": split}
    (work / opts["--out"]).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
