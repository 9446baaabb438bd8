#!/usr/bin/env python3
"""Merges one bench/client-compare run (WORK/rust.json, WORK/python.json) into the table,
bench/client-results.json and bench/client-results.md (standard library only).

    client_report.py WORK RESULTS_JSON RESULTS_MD --command CMD [--quick] [--timing "label=N s" ...] [--load L]

Figures are medians per call. "client CPU" is the client process's CPU time (user + system) during the
call: Rust clock_gettime(CLOCK_PROCESS_CPUTIME_ID), Python time.process_time(), the same clock; the
server runs in another process, so its work is not in it (the kernel's loopback TCP work done on the
client's behalf is). Ratios are Python ÷ Rust: how many times less time the Rust client takes.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET = 5.0
WIRES = {"json": "JSON (truss `data_b64`)", "msgpack": "msgpack (truss binary mode)"}
PY_CLIENTS = ["requests", "httpx"]


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


def stats(v: list[float]) -> dict:
    return {"median": statistics.median(v), "mean": statistics.fmean(v), "min": min(v), "max": max(v), "samples": v}


def merge(objs: list, key: str | None = None):
    """Pools the rounds of one side: per-call samples concatenated (the statistics recomputed from them),
    per-call means averaged, call counts added, everything else taken from the first round."""
    o0 = objs[0]
    if isinstance(o0, dict):
        if "samples" in o0:
            return stats([x for o in objs for x in o["samples"]])
        return {k: merge([o[k] for o in objs], k) for k in o0}
    if isinstance(o0, (int, float)) and not isinstance(o0, bool):
        if key == "calls":
            return sum(objs)
        if key is not None and key.endswith("_per_call"):
            return statistics.fmean(objs)
    return o0


def ms(x: float) -> str:
    return f"{x * 1e3:.2f}"


def ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("inf")


def main() -> int:
    work, out_json, out_md = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    rest = sys.argv[4:]
    quick = "--quick" in rest
    timings = [rest[i + 1] for i, a in enumerate(rest) if a == "--timing"]
    loadavg = next((rest[i + 1] for i, a in enumerate(rest) if a == "--load"), None)
    command = next((rest[i + 1] for i, a in enumerate(rest) if a == "--command"), "bench/client-compare")
    rounds = {name: sorted(work.glob(f"{name}-r*.json")) for name in ("rust", "python", "rust-malloc-kept")}
    if not rounds["rust"] or len(rounds["rust"]) != len(rounds["python"]):
        raise SystemExit(f"client_report: rounds missing in {work}: {rounds}")
    load_all = lambda paths: merge([json.loads(p.read_text()) for p in paths])  # noqa: E731
    rust, py = load_all(rounds["rust"]), load_all(rounds["python"])
    malloc_kept = load_all(rounds["rust-malloc-kept"]) if rounds["rust-malloc-kept"] else None
    n_rounds = len(rounds["rust"])
    m = machine()
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    v = py["versions"]

    rows, checks = [], []
    floor = rust["memcpy"]["wall"]["median"]
    for mode, key in (("dropped", "calls_by_wire"), ("kept", "calls_by_wire_answer_kept")):
        for wire in WIRES:
            r = rust[key][wire]
            r_cpu, r_wall = r["cpu"]["median"], r["wall"]["median"]
            rows.append(
                {"mode": mode, "wire": wire, "client": "Rust: generated Client (ureq)", "wall": r_wall, "cpu": r_cpu,
                 "user": r["rusage_user_per_call"], "sys": r["rusage_sys_per_call"],
                 "faults": r["minor_faults_per_call"], "cpu_ratio": None,
                 "wall_ratio": None, "calls": r["calls"]}  # fmt: skip
            )
            for c in PY_CLIENTS:
                p = py["clients"][c][key][wire]
                p_cpu, p_wall = p["cpu"]["median"], p["wall"]["median"]
                cr, wr = ratio(p_cpu, r_cpu), ratio(p_wall, r_wall)
                rows.append(
                    {"mode": mode, "wire": wire, "client": f"Python: {c} + pydantic", "wall": p_wall, "cpu": p_cpu,
                     "user": p["rusage_user_per_call"], "sys": p["rusage_sys_per_call"],
                     "faults": p["minor_faults_per_call"], "cpu_ratio": cr,
                     "wall_ratio": wr, "calls": p["calls"]}  # fmt: skip
                )
                if mode == "dropped":
                    checks.append({"wire": wire, "python": c, "cpu_ratio": cr, "met": cr >= TARGET})

    floors = []
    for wire in WIRES:
        f = rust.get("transport_floor", {}).get(wire)
        if f:
            best_py = min(py["clients"][c]["calls_by_wire"][wire]["cpu"]["median"] for c in PY_CLIENTS)
            floors.append(
                {"wire": wire, "wall": f["wall"]["median"], "cpu": f["cpu"]["median"], "user": f["rusage_user_per_call"],
                 "sys": f["rusage_sys_per_call"], "faults": f["minor_faults_per_call"],
                 "faster_python_over_floor": ratio(best_py, f["cpu"]["median"])}  # fmt: skip
            )

    diag = []
    if malloc_kept:
        for wire in WIRES:
            r = malloc_kept["calls_by_wire"][wire]
            best_py = min(py["clients"][c]["calls_by_wire"][wire]["cpu"]["median"] for c in PY_CLIENTS)
            diag.append(
                {"wire": wire, "wall": r["wall"]["median"], "cpu": r["cpu"]["median"],
                 "user": r["rusage_user_per_call"], "sys": r["rusage_sys_per_call"],
                 "faults": r["minor_faults_per_call"], "cpu_ratio_vs_faster_python": ratio(best_py, r["cpu"]["median"]),
                 "default_cpu": rust["calls_by_wire"][wire]["cpu"]["median"]}  # fmt: skip
            )

    steps = []
    for wire in WIRES:
        sides = [("Rust", rust["steps"][wire])] + [(f"Python {c}", py["clients"][c]["steps"][wire]) for c in PY_CLIENTS]
        for side, s in sides:
            steps.append(
                {"wire": wire, "client": side, **{k: s[k]["cpu"]["median"] for k in ("encode", "http", "decode")},
                 "request_bytes": s["request_bytes"], "response_bytes": s["response_bytes"]}  # fmt: skip
            )

    # ---- terminal table
    print(f"\n{'wire':<8} {'client':<32} {'wall ms':>8} {'CPU ms':>8} {'user':>7} {'sys':>7} {'faults':>7} "
          f"{'CPU x memcpy':>12} {'Py/Rust CPU':>11} {'Py/Rust wall':>12}")  # fmt: skip
    for x in rows:
        if x["mode"] == "kept" and x["client"].startswith("Rust") and x["wire"] == "json":
            print("-- the same calls, each answer still alive during the next call:")
        cr = "" if x["cpu_ratio"] is None else f"{x['cpu_ratio']:.2f}"
        wr = "" if x["wall_ratio"] is None else f"{x['wall_ratio']:.2f}"
        print(f"{x['wire']:<8} {x['client']:<32} {ms(x['wall']):>8} {ms(x['cpu']):>8} {ms(x['user']):>7} "
              f"{ms(x['sys']):>7} {x['faults']:>7.0f} {x['cpu'] / floor:>12.1f} {cr:>11} {wr:>12}")  # fmt: skip
    print(f"memcpy of the {rust['memcpy']['bytes']:,} B payload: {floor * 1e3:.3f} ms")
    print("\nclient CPU per step (ms): encode / HTTP exchange / decode")
    for s in steps:
        print(f"  {s['wire']:<8} {s['client']:<16} {ms(s['encode']):>7} {ms(s['http']):>7} {ms(s['decode']):>7}"
              f"   request {s['request_bytes']:,} B, response {s['response_bytes']:,} B")  # fmt: skip
    if floors:
        print("\ntransport floor: raw HTTP/1.1 over std TcpStream, the same bytes, nothing encoded or decoded")
        for f in floors:
            print(f"  {f['wire']:<8} CPU {ms(f['cpu'])} ms (user {ms(f['user'])} sys {ms(f['sys'])}), wall {ms(f['wall'])} ms; "
                  f"faster Python / floor = {f['faster_python_over_floor']:.2f}x (the most any client could reach)")  # fmt: skip
    if diag:
        print(f"\ndiagnostic: Rust with GLIBC_TUNABLES={malloc_kept['glibc_tunables']} (malloc keeps freed memory)")
        for d in diag:
            print(f"  {d['wire']:<8} CPU {ms(d['cpu'])} ms (default malloc {ms(d['default_cpu'])}), {d['faults']:.0f} page faults "
                  f"per call, faster Python / this = {d['cpu_ratio_vs_faster_python']:.2f}x")  # fmt: skip
    print(f"\ntarget: >= {TARGET:g}x less client-side CPU time than Python")
    for c in checks:
        print(f"  {'met    ' if c['met'] else 'NOT met'}  {c['wire']:<8} vs {c['python']:<8} {c['cpu_ratio']:.2f}x")
    if not rust["json_form"].startswith("the field's own form"):
        print(f"\nnote: JSON request written through {rust['json_form']}")

    # ---- JSON
    result = {
        "command": command,
        "date": when,
        "machine": m,
        "python": py["python"],
        "python_versions": v,
        "quick": quick,
        "load_average": loadavg,
        "timings": timings,
        "elements": rust["elements"],
        "dtype": rust["dtype"],
        "rust_json_form": rust["json_form"],
        "memcpy_seconds": floor,
        "rows": rows,
        "steps": steps,
        "transport_floor": floors,
        "diagnostic_rust_malloc_kept": {"glibc_tunables": malloc_kept["glibc_tunables"], "rows": diag}
        if malloc_kept
        else None,
        "target": TARGET,
        "checks": checks,
        "rounds": n_rounds,
        "raw_rounds": {name: [json.loads(p.read_text()) for p in paths] for name, paths in rounds.items()},
    }
    out_json.write_text(json.dumps(result, indent=1) + "\n")

    # ---- Markdown
    md = [
        "# Client benchmark: generated Rust client vs Python (requests / httpx + pydantic)",
        "",
        f"`{command}` · {when} · {m['cpu']}, {m['cores']} cores"
        + (f", {m['ram_gib']} GiB RAM" if m["ram_gib"] else "")
        + f" · Linux {m['kernel']} · {m['rustc']} (release) · CPython {py['python']}, requests {v['requests']}, "
        f"httpx {v['httpx']}, pydantic {v['pydantic']}, numpy {v['numpy']}, msgpack {v['msgpack']}"
        + (f" · load average {loadavg} (other processes share these cores)" if loadavg else ""),
        "",
        f"One uvicorn server (tests/fastapi/app.py, 1 worker) on 127.0.0.1; a `TrussBlock` with `values` = "
        f"{rust['elements']:,} {rust['dtype']} (4 MB) sent and echoed back. Median per call of "
        f"{rust['calls']} timed calls: {n_rounds} rounds of {rust['calls'] // n_rounds}, each round a fresh Rust "
        f"process then a fresh Python process ({rust['warmup']} warm-up calls each), so both sides see the same "
        "load of this shared machine; each answer checked (Rust bit for bit, Python `np.array_equal`) outside "
        "the timed part. **client CPU** = CPU time (user + system) of the "
        "client process during the call (Rust `CLOCK_PROCESS_CPUTIME_ID`, Python `time.process_time()`); the "
        "server's work is in another process and not counted (the kernel's loopback TCP work for the "
        "client's sends and receives is). user/sys and page faults (minor faults, i.e. fresh memory "
        "touched): getrusage over the timed calls, per call. Ratios: Python ÷ Rust. Each answer is freed "
        "after its check, outside the timed part.",
        "",
    ]
    header = [
        "| wire | client | wall ms | client CPU ms | user ms | sys ms | page faults | CPU ÷ memcpy | Python/Rust CPU | Python/Rust wall |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]

    def table(mode: str) -> list[str]:
        out = list(header)
        for x in rows:
            if x["mode"] != mode:
                continue
            cr = "" if x["cpu_ratio"] is None else f"**{x['cpu_ratio']:.2f}×**"
            wr = "" if x["wall_ratio"] is None else f"{x['wall_ratio']:.2f}×"
            out.append(f"| {WIRES[x['wire']]} | {x['client']} | {ms(x['wall'])} | {ms(x['cpu'])} | {ms(x['user'])} | "
                       f"{ms(x['sys'])} | {x['faults']:,.0f} | {x['cpu'] / floor:.0f} | {cr} | {wr} |")  # fmt: skip
        return out

    md += table("dropped")
    md += [
        "",
        "The same calls with each answer still alive during the next call and freed inside it (as "
        "`got = call()` in a Python loop frees the previous answer only when the next one is assigned):",
        "",
    ]
    md += table("kept")
    md += [
        "",
        f"memcpy of the {rust['memcpy']['bytes']:,} B payload (warm destination, the floor): "
        f"{floor * 1e3:.3f} ms. A call moves the payload at least twice (out and back).",
        "",
        "Client CPU per step, ms (median; the same calls split as the generated method makes them: Rust "
        "`Request::json`/`msgpack`, `Client::send`, `Client::json`/`msgpack`; Python `model_dump_json()` / "
        "`truss_msgpack_serialize(model_dump())`, `post()` + `.content`, `model_validate_json` / "
        "`model_validate(truss_msgpack_deserialize())`):",
        "",
        "| wire | client | encode | HTTP exchange | decode | request B | response B |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in steps:
        md.append(f"| {s['wire']} | {s['client']} | {ms(s['encode'])} | {ms(s['http'])} | {ms(s['decode'])} | "
                  f"{s['request_bytes']:,} | {s['response_bytes']:,} |")  # fmt: skip
    if floors:
        md += [
            "",
            "Transport floor: the same exchange (same request bytes, same answer) as a minimal HTTP/1.1 "
            "keep-alive client over `std::net::TcpStream`, the request encoded beforehand and the answer read "
            "into a reused buffer, nothing decoded: the kernel's loopback work (copies in and out of the "
            "socket, TCP, wake-ups) that any client pays, Python's included. Python's CPU time divided by it "
            "is the largest ratio any client could show here.",
            "",
            "| wire | floor client CPU ms | user ms | sys ms | wall ms | faster Python ÷ floor |",
            "|---|---|---|---|---|---|",
        ]
        for f in floors:
            md.append(f"| {WIRES[f['wire']]} | {ms(f['cpu'])} | {ms(f['user'])} | {ms(f['sys'])} | {ms(f['wall'])} | "
                      f"{f['faster_python_over_floor']:.2f}× |")  # fmt: skip
    if diag:
        md += [
            "",
            "Diagnostic (not a headline figure): the Rust side run again with glibc's malloc keeping freed "
            f"memory (`GLIBC_TUNABLES={malloc_kept['glibc_tunables']}`), so the per-call buffers are reused "
            "instead of being returned to the kernel and faulted in again:",
            "",
            "| wire | Rust client CPU ms | default malloc | page faults | sys ms | faster Python ÷ this |",
            "|---|---|---|---|---|---|",
        ]
        for d in diag:
            md.append(f"| {WIRES[d['wire']]} | {ms(d['cpu'])} | {ms(d['default_cpu'])} | {d['faults']:,.0f} | "
                      f"{ms(d['sys'])} | {d['cpu_ratio_vs_faster_python']:.2f}× |")  # fmt: skip
    md += ["", f"Target: ≥ {TARGET:g}× less client-side CPU time than Python's.", ""]
    for c in checks:
        md.append(f"- {'met' if c['met'] else '**not met**'}: {c['wire']} vs {c['python']}: {c['cpu_ratio']:.2f}×")
    if not rust["json_form"].startswith("the field's own form"):
        md += ["", f"Note: the Rust JSON request was written through {rust['json_form']}."]
    if timings:
        md += ["", "Run time: " + ", ".join(timings) + ("; quick mode" if quick else "") + "."]
    out_md.write_text("\n".join(md) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
