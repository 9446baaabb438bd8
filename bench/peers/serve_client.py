"""The client side of bench/serve-compare: tesseract-core's own client calling ``/apply`` of vectoradd
(``result = s*a + b``, ``norm = |result|``) with two 1M float64 inputs, on several servers.

    python bench/peers/serve_client.py capture --server NAME=URL,IN,OUT ... --canned DIR --noop-out DIR
    python bench/peers/serve_client.py run --server NAME=URL,IN,OUT ... [--pid NAME=PID ...] [--diagnostic NAME ...]
        [--rounds R] [--calls N] [--warmup W] [--duration S] [--settle S] [--concurrency 1,8] --out FILE

Every call goes through ``Tesseract.apply`` of tesseract-core 1.15:

- json+base64: ``Tesseract.from_url(url, server_output_path=OUT).with_encoding(output_format="json+base64")``;
  the inputs travel base64 in the request body, the answer comes back base64.
- json+binref: the same, with the Tesseract's client an ``HTTPClient(url, output_path=OUT, input_path=IN)``
  (``from_url`` takes no input path) and ``output_format="json+binref"``: the client writes each input to a
  ``.bin`` file in the server's input folder (and deletes it after the call), the server writes ``result``
  to a ``.bin`` file in its output folder, and the client reads it from there.

Each call passes ``run_id=b<pid>-<n>`` (unique per call, as the default uuid is) so that the run folder the
server writes under OUT can be deleted after the call: tesseract-core's eager decode leaves binref output
files behind, and 8 MB per call would fill the disk. The deletion and the check of the answer
(``np.array_equal(result, s*a + b)``, the norm to 1e-12, dtype and shape) are outside the timed part in
the latency phase and inside the loop (after the call's end time) in the throughput phase. Any error,
non-200 status or wrong answer stops the run.

capture: one call per format on each server, keeping the exact response bytes (a requests response hook
on the client's session); writes DIR/apply-<format>.json and DIR/openapi.json of the first server for the
no-op server, copies the binref files its answer references into --noop-out, and DIR/capture.json (request
and response sizes per server and format, and whether the servers' answers are byte-identical apart from
binref file names).

run: the latency phase (rounds x servers x formats, the server order rotated each round, N timed calls
each after warm-up: wall time per call and the client process's CPU time; the server process tree's CPU
time per call from /proc), then the throughput phase: for each concurrency C, C forked processes, each
with its own ``Tesseract`` (own requests session and connection), call in a loop; requests per second =
calls completed inside a window of --duration seconds that starts --settle seconds after all C began.
Servers named by --diagnostic are measured in the latency phase only. At the end, each --pid's peak RSS.
"""

from __future__ import annotations

import gc
import json
import multiprocessing as mp
import os
import platform
import re
import shutil
import statistics
import sys
import threading
import time
import traceback
from pathlib import Path

import numpy as np
import orjson
import pybase64
import requests
import tesseract_core
from tesseract_core import Tesseract
from tesseract_core.sdk.tesseract import HTTPClient

ELEMENTS = 1_000_000
S = 2.5
SEED = 20261206
FORMATS = ["json+base64", "json+binref"]
CLK_TCK = os.sysconf("SC_CLK_TCK")


def data() -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    rng = np.random.default_rng(SEED)
    a = rng.standard_normal(ELEMENTS)
    b = rng.standard_normal(ELEMENTS)
    expected = S * a + b
    return a, b, expected, float(np.linalg.norm(expected))


class Server:
    def __init__(self, spec: str) -> None:
        name, rest = spec.split("=", 1)
        url, inp, out = rest.split(",")
        self.name, self.url, self.input, self.output = name, url, Path(inp), Path(out)

    def client(self, fmt: str) -> Tesseract:
        t = Tesseract.from_url(self.url, server_output_path=self.output)
        if fmt == "json+binref":
            # from_url has no input_path; the client that writes binref inputs is an HTTPClient with one.
            t._client.close()
            t._client = HTTPClient(self.url, output_path=self.output, input_path=self.input)
        return t.with_encoding(output_format=fmt)


def check(got: dict, expected: np.ndarray, norm: float, what: str) -> None:
    r = got.get("result")
    n = got.get("norm")
    if not isinstance(r, np.ndarray) or r.dtype != np.float64 or r.shape != expected.shape:
        raise SystemExit(f"{what}: result is not a float64 array of shape {expected.shape}: {type(r)} "
                         f"{getattr(r, 'dtype', None)} {getattr(r, 'shape', None)}")  # fmt: skip
    if not np.array_equal(r, expected):
        bad = int(np.count_nonzero(r != expected))
        raise SystemExit(f"{what}: result differs from s*a + b in {bad} of {r.size} elements")
    n = float(np.asarray(n))
    if not abs(n - norm) <= 1e-12 * norm:
        raise SystemExit(f"{what}: norm {n!r}, expected {norm!r}")
    if set(got) != {"result", "norm"}:
        raise SystemExit(f"{what}: unexpected keys {sorted(got)}")


class Caller:
    """One server, one format, one Tesseract (its own session): calls apply and cleans up after it."""

    def __init__(self, server: Server, fmt: str, a: np.ndarray, b: np.ndarray) -> None:
        self.server, self.fmt = server, fmt
        self.t = server.client(fmt)
        self.inputs = {"a": a, "b": b, "s": S}
        self.n = 0
        self.last_run_id = None

    def call(self) -> dict:
        self.n += 1
        self.last_run_id = f"b{os.getpid()}-{self.n}"
        return self.t.apply(self.inputs, run_id=self.last_run_id)

    def cleanup(self) -> None:
        shutil.rmtree(self.server.output / f"run_{self.last_run_id}", ignore_errors=True)


def tree_pids(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = Path(f"/proc/{d}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def proc_cpu(pid: int | None) -> float:
    """CPU time (user + system, all threads, seconds) of the process tree under pid."""
    if pid is None:
        return float("nan")
    total = 0
    for p in tree_pids(pid):
        try:
            f = Path(f"/proc/{p}/stat").read_text()
        except OSError:
            continue
        fields = f[f.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLK_TCK


def peak_rss_mb(pid: int) -> float | None:
    """Peak resident set (VmHWM) of the process tree's largest member, MB."""
    peaks = []
    for p in tree_pids(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) * 1024 / 1e6)
        except OSError:
            pass
    return max(peaks) if peaks else None


def pct(v: list[float], q: float) -> float:
    s = sorted(v)
    if not s:
        return float("nan")
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summary(v: list[float]) -> dict:
    return {"median": statistics.median(v), "p10": pct(v, 0.1), "p90": pct(v, 0.9), "mean": statistics.fmean(v),
            "min": min(v), "max": max(v), "n": len(v), "samples": v}  # fmt: skip


def parse(argv: list[str]) -> tuple[str, dict, list[Server], dict]:
    mode = argv[0]
    opts: dict = {"--rounds": "3", "--calls": "10", "--warmup": "3", "--duration": "6", "--settle": "1.5",
                  "--concurrency": "1,8", "--out": None, "--canned": None, "--noop-out": None}  # fmt: skip
    servers, pids, diagnostic = [], {}, set()
    args = argv[1:]
    while args:
        a = args.pop(0)
        if a == "--server":
            servers.append(Server(args.pop(0)))
        elif a == "--diagnostic":
            diagnostic.add(args.pop(0))
        elif a == "--pid":
            k, v = args.pop(0).split("=")
            pids[k] = int(v)
        elif a in opts:
            opts[a] = args.pop(0)
        else:
            raise SystemExit(f"serve_client.py: unknown argument {a}")
    opts["diagnostic"] = diagnostic
    return mode, opts, servers, pids


def binrefs(doc) -> list[str]:
    """The binref buffer references in a decoded JSON document."""
    if isinstance(doc, dict):
        data = doc.get("data")
        if isinstance(data, dict) and data.get("encoding") == "binref":
            return [data["buffer"]]
        return [r for v in doc.values() for r in binrefs(v)]
    if isinstance(doc, list):
        return [r for v in doc for r in binrefs(v)]
    return []


def capture(opts: dict, servers: list[Server]) -> None:
    canned, noop_out = Path(opts["--canned"]), Path(opts["--noop-out"])
    canned.mkdir(parents=True, exist_ok=True)
    a, b, expected, norm = data()
    info: dict = {"sizes": {}, "identical_to_first": {}}
    bodies: dict = {}
    for i, server in enumerate(servers):
        for fmt in FORMATS:
            c = Caller(server, fmt, a, b)
            seen = []
            c.t._client._session.hooks["response"].append(lambda r, *args, **kw: seen.append(r))
            c.n = 0
            c.last_run_id = "canned"
            got = c.t.apply(c.inputs, run_id="canned")
            check(got, expected, norm, f"capture {server.name} {fmt}")
            resp = [r for r in seen if r.request.path_url.startswith("/apply")][-1]
            if resp.status_code != 200:
                raise SystemExit(f"capture {server.name} {fmt}: status {resp.status_code}")
            body = resp.content
            info["sizes"].setdefault(fmt, {})[server.name] = {
                "request_bytes": len(resp.request.body), "response_bytes": len(body),
                "content_type": resp.headers.get("content-type"),
                "accept": resp.request.headers.get("accept"),
            }  # fmt: skip
            bodies[(server.name, fmt)] = body
            if i == 0:
                (canned / f"apply-{fmt}.json").write_bytes(body)
                if fmt == "json+binref":
                    # The binref files the answer references, where the no-op server's client reads them.
                    for ref in binrefs(json.loads(body)):
                        rel = re.sub(r"(:\d+)+$", "", ref)  # path[:offset[:compressed size]]
                        dst = noop_out / rel
                        dst.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(server.output / rel, dst)
                c.cleanup()
            else:
                c.cleanup()
                first = bodies[(servers[0].name, fmt)]
                strip = lambda x: re.sub(rb'"[^"]*\.bin(:\d+)*"', b'"BIN"', x)  # noqa: E731
                x, y = strip(body), strip(first)
                diff = sum(p != q for p, q in zip(x, y)) if len(x) == len(y) else None
                info["identical_to_first"].setdefault(fmt, {})[server.name] = {
                    "identical": x == y, "same_length": len(x) == len(y), "differing_bytes": diff}
            c.t._client.close()
        if i == 0:
            r = requests.get(server.url + "/openapi.json")
            r.raise_for_status()
            (canned / "openapi.json").write_bytes(r.content)
    (canned / "capture.json").write_text(json.dumps(info, indent=1) + "\n")
    for fmt in FORMATS:
        sizes = ", ".join(f"{k}: request {v['request_bytes']:,} B, response {v['response_bytes']:,} B "
                          f"({v['content_type']})" for k, v in info["sizes"][fmt].items())  # fmt: skip
        print(f"  capture {fmt}: {sizes}", file=sys.stderr)


def latency(opts: dict, servers: list[Server], pids: dict) -> dict:
    a, b, expected, norm = data()
    rounds, calls, warm = int(opts["--rounds"]), int(opts["--calls"]), int(opts["--warmup"])
    callers = {(s.name, f): Caller(s, f, a, b) for s in servers for f in FORMATS}
    res: dict = {f: {s.name: {"wall": [], "client_cpu": [], "server_cpu": 0.0, "server_cpu_calls": 0} for s in servers}
                 for f in FORMATS}  # fmt: skip
    for r in range(rounds):
        order = servers[r % len(servers) :] + servers[: r % len(servers)]
        for fmt in FORMATS:
            for s in order:
                c = callers[(s.name, fmt)]
                for _ in range(warm if r == 0 else 1):
                    check(c.call(), expected, norm, f"{s.name} {fmt} warm-up")
                    c.cleanup()
                gc.collect()
                cpu0 = proc_cpu(pids.get(s.name))
                for _ in range(calls):
                    c0, t0 = time.process_time(), time.perf_counter()
                    got = c.call()
                    t1, c1 = time.perf_counter(), time.process_time()
                    res[fmt][s.name]["wall"].append(t1 - t0)
                    res[fmt][s.name]["client_cpu"].append(c1 - c0)
                    check(got, expected, norm, f"{s.name} {fmt}")
                    got = None
                    c.cleanup()
                res[fmt][s.name]["server_cpu"] += proc_cpu(pids.get(s.name)) - cpu0
                res[fmt][s.name]["server_cpu_calls"] += calls
                w = res[fmt][s.name]["wall"][-calls:]
                print(f"  round {r + 1}/{rounds} {fmt:<12} {s.name:<7} median {statistics.median(w) * 1e3:8.2f} ms "
                      f"(min {min(w) * 1e3:.2f}, max {max(w) * 1e3:.2f})", file=sys.stderr, flush=True)  # fmt: skip
    for c in callers.values():
        c.t._client.close()
    out: dict = {}
    for fmt in FORMATS:
        for s in servers:
            x = res[fmt][s.name]
            out.setdefault(fmt, {})[s.name] = {
                "wall": summary(x["wall"]),
                "client_cpu": summary(x["client_cpu"]),
                "server_cpu_per_call": x["server_cpu"] / x["server_cpu_calls"] if s.name in pids else None,
                "calls": x["server_cpu_calls"],
            }
    return out


def worker(server: Server, fmt: str, ready, go, window, conn) -> None:
    try:
        a, b, expected, norm = data()
        c = Caller(server, fmt, a, b)
        check(c.call(), expected, norm, f"{server.name} {fmt} worker warm-up")
        c.cleanup()
        ready.wait()
        go.wait()
        end = window[1]
        calls = []
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            got = c.call()
            t1 = time.perf_counter()
            check(got, expected, norm, f"{server.name} {fmt} worker")
            got = None
            c.cleanup()
            calls.append((t0, t1))
        c.t._client.close()
        conn.send(("ok", calls))
    except BaseException as e:  # noqa: BLE001 - reported to the parent, which stops the run
        ready.abort()  # a parent still waiting for the start stops waiting
        go.abort()
        conn.send(("error", f"{type(e).__name__}: {e}\n{traceback.format_exc()}"))
    finally:
        conn.close()


def throughput(opts: dict, servers: list[Server], pids: dict) -> dict:
    duration, settle = float(opts["--duration"]), float(opts["--settle"])
    ctx = mp.get_context("fork")
    out: dict = {}
    for conc in [int(x) for x in opts["--concurrency"].split(",")]:
        for fmt in FORMATS:
            for s in [s for s in servers if s.name not in opts["diagnostic"]]:
                ready, go = ctx.Barrier(conc + 1), ctx.Barrier(conc + 1)
                window = ctx.Array("d", 2, lock=False)
                procs, pipes = [], []
                for _ in range(conc):
                    rx, tx = ctx.Pipe(duplex=False)
                    p = ctx.Process(target=worker, args=(s, fmt, ready, go, window, tx))
                    p.start()
                    tx.close()
                    procs.append(p)
                    pipes.append(rx)
                try:
                    ready.wait(timeout=300)
                    t = time.perf_counter()
                    window[0], window[1] = t + settle, t + settle + duration
                    go.wait(timeout=60)
                except threading.BrokenBarrierError:
                    errors = [r[1] for r in (rx.recv() for rx in pipes if rx.poll(5)) if r[0] != "ok"]
                    for p in procs:
                        p.kill()
                    raise SystemExit(f"throughput {s.name} {fmt} x{conc}: a client failed before the start:\n"
                                     f"{errors[0] if errors else '(no message)'}") from None  # fmt: skip
                time.sleep(max(0.0, window[0] - time.perf_counter()))
                cpu0 = proc_cpu(pids.get(s.name))
                time.sleep(max(0.0, window[1] - time.perf_counter()))
                cpu1 = proc_cpu(pids.get(s.name))
                results = [rx.recv() for rx in pipes]
                for p in procs:
                    p.join()
                errors = [r[1] for r in results if r[0] != "ok"]
                if errors:
                    raise SystemExit(f"throughput {s.name} {fmt} x{conc}: a client failed:\n{errors[0]}")
                calls = [c for r in results for c in r[1]]
                inside = [(t0, t1) for t0, t1 in calls if window[0] <= t1 <= window[1]]
                n = len(inside)
                lat = [t1 - t0 for t0, t1 in inside]
                r = {
                    "clients": conc,
                    "window_seconds": duration,
                    "completed": n,
                    "completed_total": len(calls),
                    "rps": n / duration,
                    "latency": summary(lat) if lat else None,
                    "server_cpu_per_request": (cpu1 - cpu0) / n if n and s.name in pids else None,
                    "server_cpu_utilisation": (cpu1 - cpu0) / duration if s.name in pids else None,
                }
                out.setdefault(str(conc), {}).setdefault(fmt, {})[s.name] = r
                med = f"{statistics.median(lat) * 1e3:.1f}" if lat else "-"
                print(f"  {conc} client(s) {fmt:<12} {s.name:<7} {r['rps']:7.2f} requests/s ({n} in {duration:g} s, "
                      f"median latency {med} ms)", file=sys.stderr, flush=True)  # fmt: skip
                if n == 0:
                    raise SystemExit(f"throughput {s.name} {fmt} x{conc}: no call completed inside the window")
    return out


def run(opts: dict, servers: list[Server], pids: dict) -> None:
    result = {
        "python": platform.python_version(),
        "versions": {"tesseract_core": tesseract_core.__version__, "numpy": np.__version__,
                     "requests": requests.__version__, "orjson": orjson.__version__,
                     "pybase64": pybase64.__version__},  # fmt: skip
        "elements": ELEMENTS,
        "dtype": "float64",
        "s": S,
        "servers": [s.name for s in servers],
        "diagnostic_servers": sorted(opts["diagnostic"]),
        "formats": FORMATS,
        "rounds": int(opts["--rounds"]),
        "calls": int(opts["--calls"]),
        "warmup": int(opts["--warmup"]),
        "duration": float(opts["--duration"]),
        "settle": float(opts["--settle"]),
    }
    print("latency, 1 client, sequential calls", file=sys.stderr, flush=True)
    result["latency"] = latency(opts, servers, pids)
    print("throughput", file=sys.stderr, flush=True)
    result["throughput"] = throughput(opts, servers, pids)
    result["server_peak_rss_mb"] = {name: peak_rss_mb(pid) for name, pid in pids.items()}
    Path(opts["--out"]).write_text(json.dumps(result, indent=1) + "\n")


def main() -> None:
    mode, opts, servers, pids = parse(sys.argv[1:])
    if mode == "capture":
        capture(opts, servers)
    elif mode == "run":
        run(opts, servers, pids)
    else:
        raise SystemExit("usage: serve_client.py capture|run ...")


if __name__ == "__main__":
    main()
