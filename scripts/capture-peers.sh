#!/usr/bin/env bash
# Regenerates the peers' captures in tests/data/peers from the pinned Python peers
# (scripts/peers-venv.sh builds or reuses .cache/venvs/{tesseract,truss}; see tests/data/README.md).
#
#   scripts/capture-peers.sh           rewrite tests/data/peers in place; then `git diff --stat tests/data`
#   scripts/capture-peers.sh --check   regenerate into a temporary copy and compare it with tests/data/peers:
#                                      exit 0 when every file is identical, binref uuids aside
#
# truss: tests/interop/capture_truss.py writes every file (arrays, edge, scalars, models, manifest.json).
# tesseract: tests/interop/capture_tesseract.py starts `tesseract-runtime serve` for tests/apis/{vectoradd,dtypes},
# re-sends each capture's request (NAME.request.json and the method, path and Accept of NAME.meta) and
# rewrites the response bodies, status lines, binref output files, schemas_apply.json and pip-freeze.txt.
# Binref answers name a new uuid4 file each run, so in-place runs rename those .bin files and change the
# uuid inside the bodies that point at them; nothing else changes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

eval "$(bash scripts/peers-venv.sh)"   # sets $tesseract and $truss (the venvs' pythons)

data=tests/data/peers
if [[ $check == 1 ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp -r "$data" "$work/peers"
  out="$work/peers"
else
  out="$data"
fi

"$truss" tests/interop/capture_truss.py "$out/truss"
"$tesseract" tests/interop/capture_tesseract.py "$out/tesseract"

if [[ $check == 0 ]]; then
  git status --short -- "$data" | head -n 40
  exit 0
fi

python3 - "$data" "$out" <<'EOF'
"""Compares the committed captures with regenerated ones: identical bytes, or (binref responses and
their .bin files only) identical once the uuid4 file names are set aside."""
import re
import sys
from pathlib import Path

committed, fresh = Path(sys.argv[1]), Path(sys.argv[2])
uuid = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
files = lambda root: {p.relative_to(root) for p in root.rglob("*") if p.is_file()}
a, b = files(committed), files(fresh)
same, uuid_only, problems, notes = 0, [], [], []
for rel in sorted(a & b):
    x, y = (committed / rel).read_bytes(), (fresh / rel).read_bytes()
    if x == y:
        same += 1
    elif rel.name == "pip-freeze.txt":
        changed = sorted(set(y.decode().splitlines()) ^ set(x.decode().splitlines()))
        notes.append(f"{rel}: the venv differs from the capture venv in {len(changed)} lines (transitive pins): "
                     + ", ".join(changed))
    elif uuid.sub(b"<uuid>", x) == uuid.sub(b"<uuid>", y):
        uuid_only.append(str(rel))
    else:
        problems.append(f"{rel}: differs")
# .bin files under binref_output_dir/run_*/ are named by uuid: compare each run's contents.
bins = lambda s: {p for p in s if p.suffix == ".bin" and "binref_output_dir" in p.parts}
for rel in sorted((a ^ b) - bins(a) - bins(b)):
    problems.append(f"{rel}: only in {'the repository' if rel in a else 'the new capture'}")
runs = {p.parent for p in bins(a) | bins(b)}
for run in sorted(runs):
    x = sorted((committed / run / p.name).read_bytes() for p in bins(a) if p.parent == run)
    y = sorted((fresh / run / p.name).read_bytes() for p in bins(b) if p.parent == run)
    if x == y:
        uuid_only.append(f"{run}/*.bin")
    else:
        problems.append(f"{run}: .bin contents differ")
print(f"{same} files byte-identical; {len(uuid_only)} identical but for binref uuids:")
for f in uuid_only:
    print(f"  {f}")
for n in notes:
    print(f"note: {n}")
for p in problems:
    print(f"DIFFERENT: {p}")
sys.exit(1 if problems else 0)
EOF
