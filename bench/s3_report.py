#!/usr/bin/env python3
"""Merges one bench/s3-compare run (WORK/s3fs-r*.json, WORK/arraymodel-CONFIG-r*.json) into the table,
bench/s3-results.json and bench/s3-results.md (standard library only).

    s3_report.py WORK RESULTS_JSON RESULTS_MD --command CMD [--server-python PY] [--quick]
                 [--timing "label=N s" ...] [--load L]

Per op and side, the rounds' timed runs are pooled: median, min and max wall seconds of all of them; MB/s =
array bytes / 1e6 / median; CPU = the median of the rounds' median CPU seconds (the whole client process, user
+ system: Rust CLOCK_PROCESS_CPUTIME_ID, Python time.process_time()). Requests and bytes are what the server's
counter saw for the op's object in its last run (the server's view: "in" = request bodies it read, "out" =
response bodies it sent). Ratios are s3fs time ÷ arraymodel time (write: tesseract's binref writer through
s3fs; read: tesseract's binref reader through s3fs).
"""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET = 2.0
CONFIG_TITLES = {
    "default": "the StoreBase defaults",
    "unsigned": "the defaults with aws_unsigned_payload=true (no SHA-256 of the body in the request signature)",
    "8MiB-parts": "the defaults before commit b9f91f0: every file and array above 8 MiB moved in 8 MiB parts",
}


def describe(st: dict) -> str:
    mib = lambda n: f"{n / 2**20:g} MiB"  # noqa: E731
    return (f"part_size {mib(st['part_size'])}, max_concurrency {st['max_concurrency']}, multipart_threshold "
            f"{mib(st['multipart_threshold'])}" + (", aws_unsigned_payload=true" if st.get("unsigned_payload") else ""))  # fmt: skip


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


def lock_version(name: str) -> str | None:
    """The version of a crate in the workspace's Cargo.lock."""
    try:
        text = (Path(__file__).resolve().parent.parent / "Cargo.lock").read_text()
    except OSError:
        return None
    m = re.search(r'\[\[package\]\]\nname = "' + re.escape(name) + r'"\nversion = "([^"]+)"', text)
    return m.group(1) if m else None


def moto_version(py: str | None) -> str | None:
    if not py:
        return None
    try:
        r = subprocess.run([py, "-c", "import importlib.metadata as m; print(m.version('moto'))"],
                           capture_output=True, text=True, timeout=60)  # fmt: skip
        return r.stdout.strip() or None
    except (OSError, subprocess.TimeoutExpired):
        return None


def pool(rounds: list[dict]) -> dict:
    """op -> pooled figures over the rounds of one side."""
    out: dict[str, dict] = {}
    nbytes = rounds[0]["bytes"]
    for op in [r["op"] for r in rounds[0]["results"]]:
        per = [next(x for x in rd["results"] if x["op"] == op) for rd in rounds]
        secs = [s for x in per for s in x["seconds"]]
        med = statistics.median(secs)
        out[op] = {
            "op": op,
            "path": per[0]["path"],
            "median_s": med,
            "min_s": min(secs),
            "max_s": max(secs),
            "seconds": secs,
            "cpu_median_s": statistics.median(x["cpu_median_s"] for x in per),
            "mb_per_s": nbytes / 1e6 / med,
            "server": per[-1].get("server"),
        }
    return out


def reqs(server: dict | None) -> str:
    if not server:
        return ""
    return ", ".join(f"{n} {op}" for op, n in server["requests"].items())


def mb(n: int | None) -> str:
    return "" if n is None else f"{n / 1e6:.1f}"


def main() -> int:
    work, out_json, out_md = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    rest = sys.argv[4:]

    def opt(name: str, default=None):
        return next((rest[i + 1] for i, a in enumerate(rest) if a == name), default)

    quick = "--quick" in rest
    timings = [rest[i + 1] for i, a in enumerate(rest) if a == "--timing"]
    loadavg = opt("--load")
    command = opt("--command", "bench/s3-compare")
    server_py = opt("--server-python")

    s3fs_files = sorted(work.glob("s3fs-r*.json"))
    configs: dict[str, list[Path]] = {}
    for p in sorted(work.glob("arraymodel-*-r*.json")):
        name = re.fullmatch(r"arraymodel-(.+)-r\d+\.json", p.name).group(1)
        configs.setdefault(name, []).append(p)
    if not s3fs_files or not configs or any(len(v) != len(s3fs_files) for v in configs.values()):
        raise SystemExit(f"s3_report: rounds missing in {work}: s3fs {s3fs_files}, arraymodel {configs}")
    order = [c for c in CONFIG_TITLES if c in configs] + [c for c in configs if c not in CONFIG_TITLES]
    s3fs_raw = [json.loads(p.read_text()) for p in s3fs_files]
    am_raw = {c: [json.loads(p.read_text()) for p in configs[c]] for c in order}
    s3fs = pool(s3fs_raw)
    am = {c: pool(am_raw[c]) for c in order}
    first = am_raw[order[0]][0]
    nbytes, elements = first["bytes"], first["elements"]
    if s3fs_raw[0]["bytes"] != nbytes:
        raise SystemExit("s3_report: the two sides did not move the same number of bytes")
    n_rounds, runs = len(s3fs_files), s3fs_raw[0]["runs"]
    m = machine()
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    v = s3fs_raw[0]["versions"]
    versions = {**v, "moto": moto_version(server_py), "object_store": lock_version("object_store")}
    settings = {c: am_raw[c][0]["settings"] for c in order}

    # One PUT and one GET depend on no setting but aws_unsigned_payload: their runs are pooled over the
    # configurations that sign the body; the others' are shown apart ("solo").
    signed = [c for c in order if not settings[c].get("unsigned_payload")]
    solo = [c for c in order if c not in signed]
    shared = {}
    for op in ("floor_put", "floor_get"):
        per = [am[c][op] for c in signed if op in am[c]]
        if per:
            secs = [x for f in per for x in f["seconds"]]
            shared[op] = {**per[0], "median_s": statistics.median(secs), "min_s": min(secs), "max_s": max(secs),
                          "seconds": secs, "mb_per_s": nbytes / 1e6 / statistics.median(secs),
                          "cpu_median_s": statistics.median(f["cpu_median_s"] for f in per)}  # fmt: skip

    # ---- rows: (kind, client, config, figures)
    rows = []

    def add(kind: str, client: str, how: str, f: dict, ref: dict | None) -> None:
        rows.append({"kind": kind, "client": client, "how": how, **{k: f[k] for k in (
            "op", "median_s", "min_s", "max_s", "mb_per_s", "cpu_median_s", "server")},
            "s3fs_over_this": (ref["median_s"] / f["median_s"]) if ref else None})  # fmt: skip

    for kind in ("write", "read"):
        ref = s3fs[kind]
        add(kind, "s3fs (tesseract-core)", ref["path"], ref, None)
        for c in order:
            add(kind, f"arraymodel, {c}", am[c][kind]["path"], am[c][kind], ref)
        one, parts = ("floor_put", ("floor_multipart",)) if kind == "write" else ("floor_get", ("floor_get_parts", "floor_get_into_array"))
        if one in shared:
            add(kind, f"{one} (object_store alone)", shared[one]["path"], shared[one], ref)
        for c in solo:
            if one in am[c]:
                add(kind, f"{one}, {c}", am[c][one]["path"], am[c][one], ref)
        for op in parts:
            for c in order:
                if op in am[c]:
                    add(kind, f"{op}, {c}", am[c][op]["path"], am[c][op], ref)
        others = ("put", "pipe") if kind == "write" else ("read_range",)
        for op in others:
            if op in s3fs:
                add(kind, f"s3fs {op}", s3fs[op]["path"], s3fs[op], ref)

    checks = []
    for c in order:
        for kind in ("write", "read"):
            r = s3fs[kind]["median_s"] / am[c][kind]["median_s"]
            checks.append({"config": c, "op": kind, "ratio": r, "met": r >= TARGET})
    # The most any client could show through this server: s3fs ÷ the fastest object_store floor.
    ceilings = {}
    for kind, ops in (("write", ("floor_put", "floor_multipart")),
                      ("read", ("floor_get", "floor_get_parts", "floor_get_into_array"))):  # fmt: skip
        cands = [shared[op] for op in ops if op in shared] + [
            am[c][op] for c in order for op in ops if op in am[c] and not (op in shared and c in signed)]
        best = min(cands, key=lambda f: f["median_s"])
        ceilings[kind] = {"op": best["op"], "path": best["path"], "median_s": best["median_s"],
                          "s3fs_over_floor": s3fs[kind]["median_s"] / best["median_s"]}  # fmt: skip
    # arraymodel's own time: its op minus the floor making the same requests.
    overheads = []
    for c in order:
        one_put = settings[c]["write_one_put"]
        for kind, same in (("write", "floor_put" if one_put else "floor_multipart"), ("read", "floor_get_parts"),
                           ("read", "floor_get_into_array")):  # fmt: skip
            if same in am[c]:
                overheads.append({"config": c, "op": kind, "floor": same, "op_s": am[c][kind]["median_s"],
                                  "floor_s": am[c][same]["median_s"],
                                  "extra_s": am[c][kind]["median_s"] - am[c][same]["median_s"],
                                  "op_cpu_s": am[c][kind]["cpu_median_s"], "floor_cpu_s": am[c][same]["cpu_median_s"]})  # fmt: skip
    transferred = []
    for client, f in [("s3fs (tesseract-core)", s3fs["read"])] + [(f"arraymodel, {c}", am[c]["read"]) for c in order]:
        sv = f["server"] or {}
        transferred.append({"client": client, "bytes_out": sv.get("bytes_out"), "requests": sv.get("requests"),
                            "get_ranges": sv.get("get_ranges"),
                            "over_array": (sv["bytes_out"] / nbytes) if sv.get("bytes_out") is not None else None})  # fmt: skip

    # ---- terminal table
    print(f"\n{elements:,} float64 = {nbytes:,} B; {n_rounds} rounds x {runs} runs; ratios = s3fs time / this")
    print(f"{'op':<6} {'client':<50} {'median s':>9} {'min s':>7} {'max s':>7} {'MB/s':>7} {'CPU s':>6} "
          f"{'s3fs/this':>9}  requests")  # fmt: skip
    for x in rows:
        r = "" if x["s3fs_over_this"] is None else f"{x['s3fs_over_this']:.2f}x"
        print(f"{x['kind']:<6} {x['client']:<50} {x['median_s']:>9.3f} {x['min_s']:>7.3f} {x['max_s']:>7.3f} "
              f"{x['mb_per_s']:>7.1f} {x['cpu_median_s']:>6.3f} {r:>9}  {reqs(x['server'])}")  # fmt: skip
    print("\nread: bytes the server sent for the read's object (one run)")
    for t in transferred:
        print(f"  {t['client']:<34} {t['bytes_out']:>13,} B = {t['over_array']:.3f} x the array   {t['requests']}")
    print("\narraymodel's own time: its op minus the object_store floor making the same requests "
          "(floor_get_into_array: the same GETs streamed into the array's buffer)")
    for o in overheads:
        print(f"  {o['config']:<20} {o['op']:<5} {o['op_s']:.3f} s - {o['floor']:<20} {o['floor_s']:.3f} s = {o['extra_s']:+.3f} s "
              f"(CPU {o['op_cpu_s']:.3f} vs {o['floor_cpu_s']:.3f} s)")  # fmt: skip
    print("\nceiling through this server: s3fs / the fastest object_store floor")
    for kind, c in ceilings.items():
        print(f"  {kind:<5} {c['s3fs_over_floor']:.2f}x ({c['op']}: {c['path']}, {c['median_s']:.3f} s)")
    print(f"\ntarget: arraymodel >= {TARGET:g}x faster than s3fs")
    for c in checks:
        print(f"  {'met    ' if c['met'] else 'NOT met'}  {c['op']:<5} {c['config']:<20} {c['ratio']:.2f}x")

    # ---- JSON
    result = {
        "command": command,
        "date": when,
        "machine": m,
        "versions": versions,
        "quick": quick,
        "load_average": loadavg,
        "timings": timings,
        "elements": elements,
        "dtype": "float64",
        "bytes": nbytes,
        "rounds": n_rounds,
        "runs_per_round": runs,
        "arraymodel_settings": settings,
        "rows": rows,
        "read_bytes_transferred": transferred,
        "arraymodel_overheads": overheads,
        "ceilings": ceilings,
        "target": TARGET,
        "checks": checks,
        "raw_rounds": {"s3fs": s3fs_raw, **{f"arraymodel-{c}": am_raw[c] for c in order}},
    }
    out_json.write_text(json.dumps(result, indent=1) + "\n")

    # ---- Markdown
    md = [
        "# Object storage benchmark: arraymodel (binref-store, object_store) vs s3fs (tesseract-core)",
        "",
        f"`{command}` · {when} · {m['cpu']}, {m['cores']} cores"
        + (f", {m['ram_gib']} GiB RAM" if m["ram_gib"] else "")
        + f" · Linux {m['kernel']} · {m['rustc']} (release), object_store {versions['object_store']} · "
        f"CPython {v['python']}, tesseract-core {v['tesseract-core']}, s3fs {v['s3fs']}, fsspec {v['fsspec']}, "
        f"aiobotocore {v['aiobotocore']}, botocore {v['botocore']}, aiohttp {v['aiohttp']}, numpy {v['numpy']} · "
        f"server: scripts/s3-server.py, moto {versions['moto']}"
        + (f" · load average {loadavg} (other processes share these cores)" if loadavg else ""),
        "",
        f"One local S3 server (moto's in-memory S3 behind a byte counter, plain HTTP on 127.0.0.1) for both "
        f"clients; one float64 array of {elements:,} elements ({nbytes / 1e6:.0f} MB) written as a json+binref "
        f"document (the array in a `<uuid>.bin` object) and read back. Median, min and max wall seconds of "
        f"{n_rounds * runs} timed runs: {n_rounds} rounds of {runs}, each round a fresh process per side, the "
        "sides taking turns (s3fs first in odd rounds), so both see the same load of this shared machine. "
        "Every arraymodel read is checked bit for bit against the array, s3fs's first write and read once. "
        "**CPU** = the client process's CPU time (user + system, all threads), median; the server's work is "
        "not in it. **s3fs ÷ this**: s3fs's time (write: tesseract's writer, read: tesseract's reader) "
        "divided by the row's, i.e. how many times faster the row is. Requests: what the server counted for "
        "the op's object in one run.",
        "",
        "| op | client | how | median s | min–max s | MB/s | client CPU s | s3fs ÷ this | requests |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for x in rows:
        r = "" if x["s3fs_over_this"] is None else (
            f"**{x['s3fs_over_this']:.2f}×**" if x["client"].startswith("arraymodel") else f"{x['s3fs_over_this']:.2f}×")  # fmt: skip
        md.append(f"| {x['kind']} | {x['client']} | {x['how']} | {x['median_s']:.3f} | {x['min_s']:.3f}–{x['max_s']:.3f} "
                  f"| {x['mb_per_s']:.0f} | {x['cpu_median_s']:.3f} | {r} | {reqs(x['server'])} |")  # fmt: skip
    md += [
        "",
        "arraymodel configurations: "
        + "; ".join(f"**{c}** = {CONFIG_TITLES.get(c, c)} ({describe(settings[c])})" for c in order)
        + ". The floors are the same bytes through `object_store` alone (same client settings, the bytes ready "
        "in memory, nothing encoded or decoded): `floor_put` one PutObject, `floor_multipart` the writer's "
        "multipart upload, `floor_get` one GET, `floor_get_parts` the reader's ranged GETs with the parts not "
        "assembled, `floor_get_into_array` the same GETs with each body streamed into its slice of the array's "
        "own buffer, which becomes the `Array` without a copy (what the reader could do).",
        "",
        "Bytes the server sent for the read's object (one read):",
        "",
        "| client | bytes | × the array | requests | GET ranges |",
        "|---|---|---|---|---|",
    ]
    for t in transferred:
        rg = t["get_ranges"] or []
        rgs = ", ".join(str(x) for x in rg[:3]) + (f", … ({len(rg)} in all)" if len(rg) > 3 else "")
        md.append(f"| {t['client']} | {t['bytes_out']:,} | {t['over_array']:.3f} | "
                  f"{reqs({'requests': t['requests']}) if t['requests'] else ''} | {rgs} |")  # fmt: skip
    md += [
        "",
        "arraymodel's own time: its op minus the `object_store` floor making the same requests (for the "
        "read also `floor_get_into_array`: the same GETs with each body streamed into the array's own buffer, "
        "what the reader could do without its assembling and filling copies):",
        "",
        "| configuration | op | arraymodel s | floor | floor s | difference s | CPU s (arraymodel / floor) |",
        "|---|---|---|---|---|---|---|",
    ]
    for o in overheads:
        md.append(f"| {o['config']} | {o['op']} | {o['op_s']:.3f} | {o['floor']} | {o['floor_s']:.3f} | {o['extra_s']:+.3f} | "
                  f"{o['op_cpu_s']:.3f} / {o['floor_cpu_s']:.3f} |")  # fmt: skip
    md += [
        "",
        "Ceiling through this server (s3fs's time ÷ the fastest `object_store` floor, the most any client "
        "could show here): "
        + "; ".join(f"{k} {c['s3fs_over_floor']:.2f}× ({c['op']}, {c['median_s']:.3f} s)" for k, c in ceilings.items())
        + ".",
        "",
        f"Target: arraymodel ≥ {TARGET:g}× faster than s3fs.",
        "",
    ]
    for c in checks:
        md.append(f"- {'met' if c['met'] else '**not met**'}: {c['op']}, {c['config']}: {c['ratio']:.2f}×")
    if timings:
        md += ["", "Run time: " + ", ".join(timings) + ("; quick mode" if quick else "") + "."]
    out_md.write_text("\n".join(md) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
