#!/usr/bin/env python3
"""The declared `rust-version` stays true: no package in Cargo.lock (dependencies,
build and dev dependencies of every workspace crate, for every platform) declares a
higher `rust-version` than the workspace's. clippy's `incompatible_msrv` lint (run by
.ci/run with warnings denied) checks the workspace's own code against the same version.

    python3 scripts/check-msrv.py     prints the packages closest to the limit; exits 1 on a violation
"""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def version(text: str) -> tuple[int, int, int]:
    """`1.89` and `1.89.0` alike."""
    parts = [int(x) for x in text.split(".")] + [0, 0]
    return parts[0], parts[1], parts[2]


def main() -> int:
    declared = tomllib.loads((ROOT / "Cargo.toml").read_text())["workspace"]["package"]["rust-version"]
    meta = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked", "--all-features"],
            cwd=ROOT, check=True, capture_output=True, text=True,
        ).stdout
    )
    members = set(meta["workspace_members"])
    bad, near = [], []
    for p in meta["packages"]:
        rv = p.get("rust_version")
        if p["id"] in members:
            if rv is not None and version(rv) != version(declared):
                bad.append(f"{p['name']} (workspace crate) declares rust-version {rv}, not the workspace's {declared}")
            continue
        if rv is None:
            continue
        if version(rv) > version(declared):
            bad.append(f"{p['name']} {p['version']} needs Rust {rv}")
        else:
            near.append((version(rv), f"{p['name']} {p['version']} ({rv})"))
    near.sort(reverse=True)
    print(f"check-msrv: rust-version {declared}; highest among dependencies: "
          + ", ".join(n for _, n in near[:4]))
    for b in bad:
        print(f"check-msrv: {b}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
