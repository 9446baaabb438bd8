#!/usr/bin/env python3
"""Merges one bench/serve-compare run (WORK/serve.json, WORK/capture.json) into the table,
bench/serve-results.json and bench/serve-results.md (standard library only).

    serve_report.py WORK RESULTS_JSON RESULTS_MD --command CMD [--quick] [--timing "label=N s" ...] [--load L]
        [--fs TYPE] [--malloc-kept TUNABLES]

Server-side time per request = median client time against the server - median client time against the
no-op server (same client, same request, the same answer bytes), per format. Server CPU = CPU time (user +
system) of the server's process tree per request, read from /proc/PID/stat around the timed calls (10 ms
ticks, summed over all calls of a cell). Ratios are tesseract-runtime ÷ Rust (how many times less the Rust
server takes), requests per second Rust ÷ tesseract-runtime.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

TARGET = 10.0
FORMATS = {"json+base64": "json+base64", "json+binref": "json+binref"}
NAMES = {
    "rust": "Rust server (arraymodel `server`, axum)",
    "python": "tesseract-runtime serve (1 worker)",
    "noop": "no-op baseline",
    "rust-malloc-kept": "Rust server, malloc keeping freed memory (diagnostic)",
    "python-blas-default": "tesseract-runtime serve, OpenBLAS default threads (diagnostic)",
}
SHORT = {"rust": "Rust", "python": "tesseract-runtime", "noop": "no-op", "rust-malloc-kept": "Rust, malloc kept",
         "python-blas-default": "t-r, BLAS default"}  # fmt: skip


def machine() -> dict:
    cpu = "unknown CPU"
    try:
        cpu = next(
            x.split(":", 1)[1].strip() for x in Path("/proc/cpuinfo").read_text().splitlines() if x.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    mem = None
    try:
        kb = int(next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")).split()[1])
        mem = round(kb / 1024 / 1024)
    except (OSError, StopIteration, ValueError):
        pass
    try:
        rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        rustc = "rustc ?"
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gib": mem, "kernel": platform.release(), "rustc": rustc}


def ms(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x * 1e3:.{digits}f}"


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    return a / b if b > 0 else float("inf")


def fx(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}×"


def main() -> int:
    work, out_json, out_md = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    rest = sys.argv[4:]

    def opt(name: str, default=None):
        return next((rest[i + 1] for i, a in enumerate(rest) if a == name), default)

    quick = "--quick" in rest
    timings = [rest[i + 1] for i, a in enumerate(rest) if a == "--timing"]
    command, loadavg, fs, malloc_kept = opt("--command", "bench/serve-compare"), opt("--load"), opt("--fs"), opt("--malloc-kept")
    run = json.loads((work / "serve.json").read_text())
    cap = json.loads((work / "capture.json").read_text())
    m = machine()
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    v = run["versions"]
    lat, thr = run["latency"], run["throughput"]
    servers = [s for s in NAMES if s in run["servers"]]

    rows, checks = [], []
    for fmt in FORMATS:
        base = lat[fmt]["noop"]["wall"]["median"]
        side = {s: lat[fmt][s]["wall"]["median"] - base for s in servers if s != "noop"}
        for s in servers:
            x = lat[fmt][s]
            row = {
                "format": fmt, "server": s, "calls": x["calls"],
                "client_median": x["wall"]["median"], "client_p10": x["wall"]["p10"], "client_p90": x["wall"]["p90"],
                "client_max": x["wall"]["max"], "client_cpu_median": x["client_cpu"]["median"],
                "server_side": side.get(s), "server_cpu": x["server_cpu_per_call"],
                "side_ratio": None, "cpu_ratio": None,
            }  # fmt: skip
            if s in ("rust", "rust-malloc-kept"):
                row["side_ratio"] = ratio(side["python"], side[s])
                row["cpu_ratio"] = ratio(lat[fmt]["python"]["server_cpu_per_call"], x["server_cpu_per_call"])
            rows.append(row)
        r = next(x for x in rows if x["format"] == fmt and x["server"] == "rust")
        checks.append({"format": fmt, "side_ratio": r["side_ratio"], "cpu_ratio": r["cpu_ratio"],
                       "met": r["side_ratio"] is not None and r["side_ratio"] >= TARGET})  # fmt: skip

    concs = sorted(thr, key=int)
    trows = []
    for fmt in FORMATS:
        for s in [s for s in servers if s in thr[concs[0]][fmt]]:
            row = {"format": fmt, "server": s}
            for c in concs:
                t = thr[c][fmt][s]
                row[f"rps_{c}"] = t["rps"]
                row[f"completed_{c}"] = t["completed"]
                row[f"latency_median_{c}"] = t["latency"]["median"] if t["latency"] else None
                row[f"server_cpu_{c}"] = t["server_cpu_per_request"]
                row[f"server_cores_{c}"] = t["server_cpu_utilisation"]
            if s == "rust":
                for c in concs:
                    row[f"rps_ratio_{c}"] = ratio(thr[c][fmt]["rust"]["rps"], thr[c][fmt]["python"]["rps"])
            trows.append(row)

    # ---- terminal table
    print(f"\n1 client, sequential calls (median of {lat['json+base64']['rust']['calls']} per cell):")
    print(f"{'format':<12} {'server':<18} {'client ms':>9} {'p10':>7} {'p90':>7} {'server-side ms':>14} "
          f"{'server CPU ms':>13} {'Py/Rust side':>12} {'Py/Rust CPU':>11}")  # fmt: skip
    for x in rows:
        print(f"{x['format']:<12} {SHORT[x['server']]:<18} {ms(x['client_median']):>9} {ms(x['client_p10']):>7} "
              f"{ms(x['client_p90']):>7} {ms(x['server_side']):>14} {ms(x['server_cpu']):>13} "
              f"{fx(x['side_ratio']) if x['side_ratio'] is not None else '':>12} "
              f"{fx(x['cpu_ratio']) if x['cpu_ratio'] is not None else '':>11}")  # fmt: skip
    print(f"\nrequests per second ({', '.join(concs)} concurrent clients, {run['duration']:g} s windows):")
    head = "".join(f" {'req/s x' + c:>10} {'lat ms':>8} {'srv CPU ms':>10} {'srv cores':>9}" for c in concs)
    print(f"{'format':<12} {'server':<18}{head} {'Rust/Py x1':>10} {'Rust/Py x8':>10}")
    for x in trows:
        cells = "".join(f" {x[f'rps_{c}']:>10.1f} {ms(x[f'latency_median_{c}']):>8} {ms(x[f'server_cpu_{c}']):>10} "
                        f"{'-' if x[f'server_cores_{c}'] is None else format(x[f'server_cores_{c}'], '.2f'):>9}"
                        for c in concs)  # fmt: skip
        rr = "".join(f" {fx(x.get(f'rps_ratio_{c}')) if f'rps_ratio_{c}' in x else '':>10}" for c in concs)
        print(f"{x['format']:<12} {SHORT[x['server']]:<18}{cells}{rr}")
    print(f"\ntarget: >= {TARGET:g}x less server-side time than tesseract-runtime serve")
    for c in checks:
        print(f"  {'met    ' if c['met'] else 'NOT met'}  {c['format']:<12} {fx(c['side_ratio'])} "
              f"(server CPU per request: {fx(c['cpu_ratio'])})")  # fmt: skip

    # ---- JSON
    result = {
        "command": command, "date": when, "machine": m, "python": run["python"], "python_versions": v,
        "quick": quick, "load_average": loadavg, "timings": timings, "binref_filesystem": fs,
        "malloc_kept_tunables": malloc_kept, "elements": run["elements"], "dtype": run["dtype"], "s": run["s"],
        "capture": cap, "latency_rows": rows, "throughput_rows": trows, "target": TARGET, "checks": checks,
        "raw": run,
    }  # fmt: skip
    out_json.write_text(json.dumps(result, indent=1) + "\n")

    # ---- Markdown
    sizes = cap["sizes"]
    same = cap.get("identical_to_first", {})

    def same_note(fmt: str) -> str:
        s = same.get(fmt, {}).get("python")
        if not s:
            return ""
        if s["identical"]:
            return "byte-identical answers (binref file names aside)"
        if s["same_length"]:
            return f"answers of the same length, {s['differing_bytes']} bytes apart"
        return "answers of different lengths"

    md = [
        "# Server benchmark: Rust tesseract server vs tesseract-runtime serve",
        "",
        f"`{command}` · {when} · {m['cpu']}, {m['cores']} cores"
        + (f", {m['ram_gib']} GiB RAM" if m["ram_gib"] else "")
        + f" · Linux {m['kernel']} · {m['rustc']} (release) · CPython {run['python']}, tesseract-core "
        f"{v['tesseract_core']}, numpy {v['numpy']}, requests {v['requests']}, orjson {v['orjson']}, pybase64 "
        f"{v['pybase64']}"
        + (f" · binref folders on {fs}" if fs else "")
        + (f" · load average {loadavg} (other processes share these cores)" if loadavg else ""),
        "",
        f"vectoradd (`result = s*a + b`, `norm = |result|`) `/apply` with `a`, `b` = {run['elements']:,} "
        f"{run['dtype']} each and s = {run['s']}, answered with a {run['elements']:,}-element `result`. The Rust "
        "server is `runtime/examples/serve_vectoradd` (feature `server`, release, tokio multi-thread runtime); "
        "tesseract-runtime serve runs `tests/apis/vectoradd/tesseract_api.py` with its default single uvicorn "
        "worker. Both on 127.0.0.1 with their own scratch input and output folders. One Python client for all: "
        "tesseract-core's `Tesseract.from_url(url, server_output_path=OUT).with_encoding(output_format=F).apply(...)` "
        "(for json+binref its `HTTPClient(url, output_path=OUT, input_path=IN)`, which writes the inputs to .bin "
        "files in the server's input folder; the server writes `result` to a .bin file the client reads). "
        "Every answer is checked (`result` equal to `s*a + b` element for element, `norm` to 1e-12).",
        "",
        f"Request and answer sizes: json+base64 {sizes['json+base64']['rust']['request_bytes']:,} B in, "
        f"{sizes['json+base64']['rust']['response_bytes']:,} B out ({same_note('json+base64')}); json+binref "
        f"{sizes['json+binref']['rust']['request_bytes']:,} B in + 2 × 8,000,000 B of input files, "
        f"{sizes['json+binref']['rust']['response_bytes']:,} B out + an 8,000,008 B output file "
        f"({same_note('json+binref')}).",
        "",
        "**Server-side time** = the client's median time per call against the server minus its median against "
        "the no-op baseline. The no-op server (`bench/rust/src/noop_server.rs`, Rust standard library, one "
        "thread per connection) reads every request whole (headers, then exactly `Content-Length` bytes into a "
        "reused buffer) and answers with the exact bytes the Rust server answered for the same request, "
        "captured before the run; for json+binref the .bin file that answer references is in the folder the "
        "client reads from. So a call to it costs the client everything a real call does (encoding the inputs "
        "or writing their files, sending, receiving, decoding the answer or reading its file) and the kernel the "
        "same transfer, and costs the server only reading the bytes and writing canned ones, which both real "
        "servers must also do: it is a lower bound for any server, and subtracting it leaves the work a server "
        "does beyond moving the bytes (its own server CPU column shows how little that is). **server CPU** = "
        "CPU time (user + system) of the server's processes per request, from /proc, a second measure that "
        "does not depend on the baseline.",
        "",
        f"### 1 client, sequential calls",
        "",
        f"{run['rounds']} rounds of {run['calls']} timed calls per server and format (after {run['warmup']} "
        "warm-up calls), the server order rotated each round; client wall time per call, median and p10/p90 "
        "over all rounds. Ratios: tesseract-runtime ÷ Rust.",
        "",
        "| format | server | client ms (median) | p10 | p90 | server-side ms | server CPU ms / request | "
        "tesseract-runtime ÷ Rust, server-side | tesseract-runtime ÷ Rust, server CPU |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for x in rows:
        side = ms(x["server_side"]) if x["server"] != "noop" else "(baseline)"
        sr = f"**{x['side_ratio']:.1f}×**" if x["server"] == "rust" else fx(x["side_ratio"]) if x["side_ratio"] else ""
        md.append(f"| {x['format']} | {NAMES[x['server']]} | {ms(x['client_median'])} | {ms(x['client_p10'])} | "
                  f"{ms(x['client_p90'])} | {side} | {ms(x['server_cpu'])} | {sr} | "
                  f"{fx(x['cpu_ratio']) if x['cpu_ratio'] else ''} |")  # fmt: skip
    md += [
        "",
        f"### Requests per second",
        "",
        f"{' and '.join(concs)} concurrent clients: that many processes, each with its own `Tesseract` (own "
        f"requests session and connection), calling in a loop; completed calls inside a {run['duration']:g} s "
        f"window that opens {run['settle']:g} s after all have started, ÷ {run['duration']:g} s. Each answer "
        "checked inside the loop. The clients run on the same 2 cores as the server, so a fast server is "
        "bounded by its clients: the no-op row is that bound (for json+binref a little above it, since its "
        "clients have no output file to delete). tesseract-runtime serve handles one request at a "
        "time (one worker, and its endpoints run on the event loop); the Rust server runs each request on "
        "tokio's blocking pool.",
        "",
        "| format | server | " + " | ".join(f"req/s, {c} client{'s' if c != '1' else ''} | median latency ms | "
                                          f"server CPU ms / request | server cores busy" for c in concs)
        + " | Rust ÷ tesseract-runtime, req/s |",
        "|---|---|" + "---|---|---|---|" * len(concs) + "---|",
    ]  # fmt: skip
    for x in trows:
        cells = " | ".join(f"{x[f'rps_{c}']:.1f} | {ms(x[f'latency_median_{c}'])} | {ms(x[f'server_cpu_{c}'])} | "
                           f"{'-' if x[f'server_cores_{c}'] is None else format(x[f'server_cores_{c}'], '.2f')}"
                           for c in concs)  # fmt: skip
        rr = " / ".join(f"{fx(x[f'rps_ratio_{c}'])} ({c})" for c in concs) if x["server"] == "rust" else ""
        md.append(f"| {x['format']} | {NAMES[x['server']]} | {cells} | {rr} |")
    md += ["", f"Target: ≥ {TARGET:g}× less server-side time than tesseract-runtime serve.", ""]
    for c in checks:
        md.append(f"- {'met' if c['met'] else '**not met**'}: {c['format']}: {fx(c['side_ratio'])} "
                  f"(server CPU per request: {fx(c['cpu_ratio'])})")  # fmt: skip
    if "rust-malloc-kept" in servers and malloc_kept:
        md += [
            "",
            f"The diagnostic row runs the same Rust server binary with `GLIBC_TUNABLES={malloc_kept}`, so glibc's "
            "malloc keeps freed memory instead of returning it to the kernel after each request: the difference "
            "to the first row is what faulting in (and zeroing) fresh memory for every request's buffers costs the "
            "server as built. serve_vectoradd sets the same with `mallopt` at start (Linux, glibc), so the two "
            "rows now differ by noise only; the row stays to catch a regression of that setting.",
        ]
    if "python-blas-default" in servers:
        md += [
            "",
            "The headline tesseract-runtime rows run it with `OPENBLAS_NUM_THREADS=1`. With OpenBLAS's default "
            "threads (the other diagnostic row), numpy's BLAS threads spin-wait after each `np.linalg.norm`, "
            "burning CPU after the answer is sent that the client and the next request lack on these 2 cores; "
            "that makes tesseract-runtime slower here, so the headline ratios are the conservative ones.",
        ]
    rss = run.get("server_peak_rss_mb") or {}
    if rss:
        md += ["", "Peak RSS over the run: " + "; ".join(
            f"{NAMES[k]} {v:,.0f} MB" for k, v in rss.items() if v is not None and k in NAMES) + " (the diagnostic "
            "servers took no concurrent requests)."]  # fmt: skip
    if timings:
        md += ["", "Run time: " + ", ".join(timings) + ("; quick mode" if quick else "") + "."]
    out_md.write_text("\n".join(md) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
