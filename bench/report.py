#!/usr/bin/env python3
"""Merges the measurements of one bench/compare run into the table, bench/results.json and
bench/results.md (standard library only).

    report.py WORK RESULTS_JSON RESULTS_MD [--quick] [--timing "label=seconds" ...]
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

CODECS = ["json", "json+base64", "json+binref", "json+base64+lz4", "json+binref+lz4", "truss-json", "msgpack",
          "msgpack-borrowed"]  # fmt: skip
TESSERACT = {"json", "json+base64", "json+binref", "json+base64+lz4", "json+binref+lz4"}
# Formats whose bytes the peers write deterministically (binref names files by uuid4).
IDENTITY = ["json", "json+base64", "json+base64+lz4", "truss-json", "msgpack"]
ITEMSIZE = {"float64": 8, "float32": 4, "int8": 1}


def load(path: Path, default):
    return json.loads(path.read_text()) if path.exists() else default


def machine_line() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")).split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    try:
        rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        rustc = "rustc ?"
    return (f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · {cpu}, {os.cpu_count()} cores{mem} · "
            f"Linux {platform.release()} · {rustc} (release, lto off) · tesseract-core 1.15.0, truss 0.18.35, "
            f"msgpack-numpy 0.4.8, numpy 2.4.6 (CPython {platform.python_version()} here)")  # fmt: skip


def rss_limit(x: dict) -> tuple[float, str]:
    """The issue's peak-RSS limit in MB and a description of the sizes it is made of. For binref the
    side file counts as part of the input (decode) or output (encode): it lives in the page cache."""
    side = x.get("side_bytes", 0) / 1e6
    if x["op"] == "decode":
        inp = x["input_bytes"] / 1e6 + side
        return inp + 1.2 * x["array_bytes"] / 1e6, f"input {inp:7.1f}"
    out = x["output_bytes"] / 1e6 + side
    return x["array_bytes"] / 1e6 + 1.2 * out, f"output {out:6.1f}"


def first_diff(a: bytes, b: bytes) -> str:
    n = min(len(a), len(b))
    i = next((k for k in range(0, n, 1 << 16) if a[k : k + (1 << 16)] != b[k : k + (1 << 16)]), None)
    if i is None:
        return f"lengths {len(a)} vs {len(b)}"
    while a[i] == b[i]:
        i += 1
    return f"first difference at byte {i}: ours {a[max(0, i - 20) : i + 20]!r} vs peer {b[max(0, i - 20) : i + 20]!r}"


def main() -> int:
    work, out_json, out_md = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    rest = sys.argv[4:]
    quick = "--quick" in rest
    timings = [rest[i + 1] for i, a in enumerate(rest) if a == "--timing"]
    loadavg = next((rest[i + 1] for i, a in enumerate(rest) if a == "--load"), None)
    meta = load(work / "cases.json", {})
    rust = load(work / "rust.json", [])
    rss_rust = load(work / "rss-rust.json", [])
    peers = {p: load(work / f"peer-{p}.json", {"timings": [], "rss": []}) for p in ("tesseract", "truss")}
    rss_case = meta.get("rss_case")

    def ours(case, codec, op):
        return next((r for r in rust if r["case"] == case and r["codec"] == codec and r["op"] == op), None)

    def peer_of(case, codec, op, path=None):
        name = "tesseract" if codec in TESSERACT else "truss"
        pc = "msgpack" if codec == "msgpack-borrowed" else codec
        for r in peers[name]["timings"]:
            if r["case"] == case and r["codec"] == pc and r["op"] == op:
                if path is None and r["path"] == "model_validate_json" and name == "tesseract":
                    continue  # the server path is the primary figure
                if path is None or r["path"] == path:
                    return name, r
        return name, None

    records, rows, cpu_ratios = [], [], {}
    for case in meta.get("cases", []):
        memcpy = ours(case["name"], "memcpy", "copy")
        memcpy_mb = memcpy["mb_per_s"] if memcpy else None
        for codec in CODECS:
            for op in ("encode", "decode"):
                r = ours(case["name"], codec, op)
                if r is None:
                    continue
                pname, p = peer_of(case["name"], codec, op)
                peer_label = None
                if p is not None:
                    peer_label = ("tesseract-core " if pname == "tesseract" else "truss ") + p["path"]
                rss = None
                if case["name"] == rss_case:
                    rss = next((x for x in rss_rust if x["codec"] == codec and x["op"] == op), None)
                rec = {
                    "codec": codec,
                    "op": op,
                    "dtype": case["dtype"],
                    "elements": case["elements"],
                    "mb_per_s": round(r["mb_per_s"], 1),
                    "peer": peer_label,
                    "peer_mb_per_s": round(p["mb_per_s"], 1) if p else None,
                    "memcpy_mb_per_s": round(memcpy_mb, 1) if memcpy_mb else None,
                    "ratio_to_peer": round(r["mb_per_s"] / p["mb_per_s"], 3) if p else None,
                    "ratio_to_memcpy": round(r["mb_per_s"] / memcpy_mb, 3) if memcpy_mb else None,
                    "peak_rss_mb": round(rss["peak_rss_mb"], 1) if rss else None,
                }
                records.append(rec)
                cpu_ratio = {
                    "peer": r["cpu_mb_per_s"] / p["cpu_mb_per_s"] if p and p.get("cpu_mb_per_s") else None,
                    "memcpy": r["cpu_mb_per_s"] / memcpy["cpu_mb_per_s"] if memcpy else None,
                }
                cpu_ratios[(rec["codec"], rec["op"], rec["dtype"], rec["elements"])] = cpu_ratio
                rows.append((rec, cpu_ratio, rss))
    out_json.write_text(json.dumps(records, indent=1) + "\n")

    # ---- the table
    def f(x, fmt="{:,.0f}"):
        return "-" if x is None else fmt.format(x)

    def short_peer(label):
        if label is None:
            return "-"
        return (label.replace("tesseract-core ", "tess ").replace("json.loads+model_validate", "loads+validate")
                .replace("truss_msgpack_serialize(model_dump)", "msgpack_serialize")
                .replace("model_validate(truss_msgpack_deserialize)", "msgpack_deserialize"))  # fmt: skip

    head = ["codec", "op", "dtype", "elements", "MB/s", "peer", "peer MB/s", "x peer", "x memcpy", "peak RSS MB",
            "cpu: x peer", "cpu: x memcpy"]  # fmt: skip
    lines = []
    for rec, cr, rss in rows:
        lines.append([rec["codec"], rec["op"], rec["dtype"], f"{rec['elements']:,}", f(rec["mb_per_s"]),
                      short_peer(rec["peer"]), f(rec["peer_mb_per_s"]), f(rec["ratio_to_peer"], "{:.2f}"),
                      f(rec["ratio_to_memcpy"], "{:.3f}"), f(rec["peak_rss_mb"], "{:.0f}"),
                      f(cr["peer"], "{:.2f}"), f(cr["memcpy"], "{:.3f}")])  # fmt: skip
    widths = [max(len(str(x)) for x in col) for col in zip(head, *lines)]
    right = {3, 4, 6, 7, 8, 9, 10, 11}

    def fmt_row(cells):
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    mline = machine_line() + (
        f" · load average {loadavg} (other processes share these cores)" if loadavg else "")
    out = [f"arraymodel bench/compare{' --quick' if quick else ''} · {mline}", ""]
    out.append(fmt_row(head))
    out.append("  ".join("-" * w for w in widths))
    out.extend(fmt_row(x) for x in lines)
    md = [f"`bench/compare{' --quick' if quick else ''}` · {mline}", "",
          "| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]  # fmt: skip
    md.extend("| " + " | ".join(str(c) for c in x) + " |" for x in lines)

    table_end = len(out)
    # ---- references: memcpy, fresh memcpy
    out += ["", "memcpy reference (MB/s of the same bytes): warm = copy into a reused buffer (the records' "
            "memcpy_mb_per_s); fresh = into a new Vec (page faults at sizes the allocator maps fresh); "
            "MADV_HUGEPAGE = fresh, advised for transparent huge pages as numpy does from 4 MiB"]  # fmt: skip
    for case in meta.get("cases", []):
        w, fr = ours(case["name"], "memcpy", "copy"), ours(case["name"], "memcpy-fresh", "copy")
        thp = ours(case["name"], "memcpy-fresh-thp", "copy")
        if w and fr:
            line = f"  {case['name']:<17} warm {w['mb_per_s']:>9,.0f}   fresh {fr['mb_per_s']:>9,.0f}"
            if thp:
                line += f"   fresh with MADV_HUGEPAGE {thp['mb_per_s']:>9,.0f}"
            out.append(line)

    # ---- encode into a fresh buffer
    fresh = [r for r in rust if r["op"] == "encode-fresh"]
    if fresh:
        out += ["", "encode into a fresh Vec each time (to_json_vec / to_msgpack_vec; the table's encode reuses "
                "its output buffer, to_json_into / to_msgpack_into), MB/s and x warm memcpy:"]  # fmt: skip
        for r in fresh:
            m = ours(r["case"], "memcpy", "copy")
            reuse = ours(r["case"], r["codec"], "encode")
            ratio = f"{r['mb_per_s'] / m['mb_per_s']:.3f}" if m else "-"
            line = f"  {r['case']:<17} {r['codec']:<17} {r['mb_per_s']:>9,.0f}  x memcpy {ratio}"
            if reuse:
                line += f"   (reused buffer {reuse['mb_per_s']:>9,.0f})"
            out.append(line)

    # ---- the other tesseract decode path
    alt = [r for r in peers["tesseract"]["timings"] if r["path"] == "model_validate_json"]
    if alt:
        out += ["", "tesseract-core decode through Model.model_validate_json (not the server's path), for comparison:"]
        for r in alt:
            o = ours(r["case"], r["codec"], "decode")
            if o:
                out.append(f"  {r['case']:<17} {r['codec']:<17} peer {r['mb_per_s']:>8,.0f} MB/s   ours/peer "
                           f"{o['mb_per_s'] / r['mb_per_s']:.2f}")  # fmt: skip

    # ---- peak RSS
    if rss_rust:
        out += ["", f"peak RSS, {rss_case} (128 MB array), fresh process per case, peak minus baseline "
                "(limit: decode input + 1.2 x array, encode array + 1.2 x output; binref: the side file counts as "
                "input/output)"]  # fmt: skip
        prss = {(x["codec"], x["op"]): x for p in peers.values() for x in p["rss"]}
        for x in rss_rust:
            limit, what = rss_limit(x)
            pr = prss.get(("msgpack" if x["codec"] == "msgpack-borrowed" else x["codec"], x["op"]))
            ptxt = f"   peer {pr['peak_rss_mb']:7.1f}" if pr else ""
            ok = "OK  " if x["peak_rss_mb"] <= limit else "OVER"
            out.append(f"  {x['codec']:<17} {x['op']:<7} {what}  peak {x['peak_rss_mb']:7.1f} MB  "
                       f"limit {limit:7.1f}  {ok}{ptxt}")  # fmt: skip

    # ---- byte identity with the peers
    out += ["", "byte identity with the peers' own output for the same data:"]
    identical = {}
    for case in meta.get("cases", []):
        for codec in IDENTITY:
            a, b = work / "out" / "rust" / f"{case['name']}.{codec}", work / "out" / "peer" / f"{case['name']}.{codec}"
            if not (a.exists() and b.exists()):
                continue
            da, db = a.read_bytes(), b.read_bytes()
            same = da == db
            identical[(case["name"], codec)] = same
            note = ""
            if not same:
                note = "  " + first_diff(da, db)
                if codec.endswith("lz4"):
                    note += " (different LZ4 compressors; both decode to the same array, not required)"
            required = codec == "json" and case["dtype"] == "float64"
            tag = "OK" if same else "MISMATCH"
            out.append(f"  {case['name']:<17} {codec:<17} {tag}{'  (required)' if required else ''}{note}")

    # ---- targets of issue 6 (1M float64; 16M stability)
    def rec_of(codec, op, n=1_000_000, dtype="float64"):
        return next((r for r in records if r["codec"] == codec and r["op"] == op and r["elements"] == n
                     and r["dtype"] == dtype), None)  # fmt: skip

    checks = []

    def chk(label, codec, op, peer_min=None, memcpy_min=None):
        r = rec_of(codec, op)
        if r is None:
            return
        cr = cpu_ratios.get((codec, op, "float64", 1_000_000), {})
        parts, ok = [], True
        if peer_min is not None:
            good = r["ratio_to_peer"] is not None and r["ratio_to_peer"] >= peer_min
            ok &= good
            parts.append(f"x peer {f(r['ratio_to_peer'], '{:.2f}')} (>= {peer_min}; cpu {f(cr.get('peer'), '{:.2f}')})")
        if memcpy_min is not None:
            good = r["ratio_to_memcpy"] is not None and r["ratio_to_memcpy"] >= memcpy_min
            ok &= good
            parts.append(f"x memcpy {f(r['ratio_to_memcpy'], '{:.3f}')} (>= {memcpy_min}; cpu "
                         f"{f(cr.get('memcpy'), '{:.3f}')})")  # fmt: skip
        checks.append((label, ok, ", ".join(parts)))

    chk("tesseract json encode", "json", "encode", peer_min=5)
    same = identical.get(("float64-1000000", "json"))
    checks.append(("tesseract json text identical", bool(same), "OK" if same else "MISMATCH or not compared"))
    chk("tesseract json decode", "json", "decode", peer_min=5)
    chk("json+base64 encode", "json+base64", "encode", peer_min=4, memcpy_min=0.5)
    chk("json+base64 decode", "json+base64", "decode", peer_min=4, memcpy_min=0.5)
    chk("json+binref encode", "json+binref", "encode", memcpy_min=0.5)
    chk("json+binref decode", "json+binref", "decode", memcpy_min=0.5)
    chk("truss JSON encode", "truss-json", "encode", peer_min=10)
    chk("truss JSON decode", "truss-json", "decode", peer_min=10)
    chk("msgpack encode", "msgpack", "encode", peer_min=1, memcpy_min=0.5)
    chk("msgpack decode (owned)", "msgpack", "decode", memcpy_min=0.5)
    checks.append(("msgpack-borrowed decode copies no array data", bool(rec_of("msgpack-borrowed", "decode")),
                   "view points into the input (checked in the run)"))  # fmt: skip
    for codec in CODECS:
        for op in ("encode", "decode"):
            a, b = rec_of(codec, op), rec_of(codec, op, 16_000_000)
            if not (a and b):
                continue
            # A decode writes a new 128 MB array: the reference for that is a memcpy into fresh
            # memory advised for huge pages, shown beside the check (not part of it).
            thp = ours("float64-16000000", "memcpy-fresh-thp", "copy")
            fresh = (f"; {b['mb_per_s'] / thp['mb_per_s']:.2f}x a memcpy into fresh memory"
                     if op == "decode" and thp else "")  # fmt: skip
            for key, name in (("ratio_to_memcpy", "x memcpy"), ("ratio_to_peer", "x peer")):
                if a[key] and b[key] is not None:
                    ok = b[key] >= 0.5 * a[key]
                    checks.append((f"16M {codec} {op} {name}", ok,
                                   f"{b[key]:.3f} vs 1M {a[key]:.3f} (>= half){fresh if key == 'ratio_to_memcpy' else ''}"))  # fmt: skip
    for x in rss_rust:
        limit, _ = rss_limit(x)
        checks.append((f"peak RSS {x['codec']} {x['op']}", x["peak_rss_mb"] <= limit,
                       f"{x['peak_rss_mb']:.1f} MB <= {limit:.1f} MB"))  # fmt: skip
    out += ["", "targets of issue 6 (1M float64 unless said otherwise):"]
    for label, ok, detail in checks:
        out.append(f"  {'MET    ' if ok else 'NOT MET'}  {label:<44} {detail}")
    met = sum(1 for _, ok, _ in checks if ok)
    out.append(f"  {met} of {len(checks)} targets met")
    if timings:
        out += ["", "wall time of this run: " + ", ".join(timings)]

    text = "\n".join(out)
    print(text)
    rest_text = "\n".join(out[table_end:]).strip("\n")
    out_md.write_text("\n".join(md) + "\n\n```text\n" + rest_text + "\n```\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
