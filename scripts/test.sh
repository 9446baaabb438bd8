#!/usr/bin/env bash
# The whole test suite: builds (or reuses) the pinned Python peers in .cache/venvs, then
# runs every Rust test, doctest and example build of the workspace, including the live
# interop tests against tesseract-core, truss and msgpack-numpy (which fail, never skip,
# when a peer is missing).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/peers-venv.sh >/dev/null
cargo test --workspace --all-features --locked "$@"
# Default features: the base64 decoder without simdutf (as under Miri) must accept exactly
# the same text (its unit tests compare both against base64-simd), without the `binref`
# feature a binref buffer is an error naming it, and without `schema` the derive compiles
# no JsonSchema impl (model:: derives models, the derive's doc example and the README run).
if [ $# -eq 0 ]; then
  cargo test -p arraymodel --locked --lib -- codec::base64 codec::binref model::
  cargo test -p arraymodel --locked --doc -- ArrayModel ReadmeDoctests
fi
