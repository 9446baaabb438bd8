#!/usr/bin/env bash
# Create (or reuse) the Python virtualenvs of the interop peers:
#   .cache/venvs/tesseract  <- scripts/requirements-tesseract.txt
#   .cache/venvs/truss      <- scripts/requirements-truss.txt
#   .cache/venvs/fastapi    <- scripts/requirements-fastapi.txt, then requirements-fastapi.nodeps.txt
#   .cache/venvs/s3         <- scripts/requirements-s3.txt (moto's S3 server, run by scripts/s3-server.py)
# One venv per peer, because a single pip resolve of both backtracks for many minutes.
# A peer may have a second file requirements-NAME.nodeps.txt: it is installed after the first one
# with `pip install --no-deps` (for a package whose own dependency tree would conflict, e.g. truss
# in the fastapi venv).
# Idempotent: a venv is rebuilt only when the sha256 of its requirements file(s) differs from the
# stamp stored inside it. The venvs are built in parallel (about a minute on a fresh machine).
#
# Usage: scripts/peers-venv.sh            env: PYTHON (default python3), PEERS (default "tesseract truss fastapi s3")
# Prints one "NAME=/path/to/python" line per peer at the end (easy to eval or grep).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$SCRIPT_DIR")"
VENVS="$REPO/.cache/venvs"
PYTHON="${PYTHON:-python3}"
PEERS="${PEERS:-tesseract truss fastapi s3}"
STAMP_NAME=".requirements.sha256"

sha256_of() {
    # python3 instead of sha256sum/shasum: it is the one tool we know exists everywhere.
    "$PYTHON" -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"
}

# stamp_of NAME -> the sha256 of requirements-NAME.txt, followed by " nodeps:<sha256>" of
# requirements-NAME.nodeps.txt when that file exists (so peers without one keep their old stamp).
stamp_of() {
    local req="$SCRIPT_DIR/requirements-$1.txt" nodeps="$SCRIPT_DIR/requirements-$1.nodeps.txt"
    local stamp
    stamp="$(sha256_of "$req")"
    if [[ -f "$nodeps" ]]; then
        stamp="$stamp nodeps:$(sha256_of "$nodeps")"
    fi
    echo "$stamp"
}

# up_to_date NAME -> exit 0 when the venv exists, its python runs and the stamp matches.
up_to_date() {
    local dir="$VENVS/$1"
    [[ -x "$dir/bin/python" && -f "$dir/$STAMP_NAME" ]] || return 1
    "$dir/bin/python" -c '' 2>/dev/null || return 1   # e.g. the base interpreter was removed
    [[ "$(cat "$dir/$STAMP_NAME")" == "$(stamp_of "$1")" ]]
}

# build NAME -> (re)create the venv from scratch and install its requirements, then write the stamp.
build() {
    local name="$1"
    local dir="$VENVS/$name" req="$SCRIPT_DIR/requirements-$name.txt"
    local nodeps="$SCRIPT_DIR/requirements-$name.nodeps.txt"
    local want
    want="$(stamp_of "$name")"
    rm -rf "$dir"
    if ! "$PYTHON" -m venv "$dir" 2>/dev/null; then
        # No ensurepip in this interpreter: make a pip-less venv and let the host pip (>= 22.3
        # knows --python) install pip into it.
        rm -rf "$dir"
        "$PYTHON" -m venv --without-pip "$dir"
        "$PYTHON" -m pip --python "$dir/bin/python" install --quiet --disable-pip-version-check pip
    fi
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$req"
    if [[ -f "$nodeps" ]]; then
        "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-input --no-deps -r "$nodeps"
    fi
    echo "$want" > "$dir/$STAMP_NAME"
}

mkdir -p "$VENVS"
# One run at a time: test binaries call this script from parallel tests, and two runs that both
# found a venv stale would rebuild it in the same folder. The second run waits, then finds it up to date.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$VENVS/.peers-venv.lock"
    flock 9
fi
start=$SECONDS
pids=()
names=()
for name in $PEERS; do
    [[ -f "$SCRIPT_DIR/requirements-$name.txt" ]] || { echo "no requirements-$name.txt" >&2; exit 2; }
    if up_to_date "$name"; then
        echo "[$name] up to date" >&2
        continue
    fi
    echo "[$name] installing (log: $VENVS/$name.log)" >&2
    build "$name" > "$VENVS/$name.log" 2>&1 &
    pids+=("$!")
    names+=("$name")
done

failed=0
for i in "${!pids[@]}"; do
    if wait "${pids[$i]}"; then
        echo "[${names[$i]}] installed" >&2
    else
        echo "[${names[$i]}] FAILED; last lines of $VENVS/${names[$i]}.log:" >&2
        tail -n 30 "$VENVS/${names[$i]}.log" >&2 || true
        failed=1
    fi
done
[[ $failed == 0 ]] || exit 1
if [[ ${#pids[@]} -gt 0 ]]; then
    echo "done in $((SECONDS - start)) s" >&2
fi

for name in $PEERS; do
    echo "$name=$VENVS/$name/bin/python"
done
