#!/usr/bin/env bash
# Runs the seed's server-to-server flow on a temporary vault.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh
cargo run --release -q -p strongroom-core --example seed_flow
