#!/usr/bin/env bash
# Runs the seed's server-to-server flow on a temporary vault (`strongroom demo`; pass
# `--vault DIR` with STRONGROOM_MASTER_KEY set to keep the vault).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh
cargo run --release -q -p strongroom-cli -- demo "$@"
