#!/usr/bin/env bash
# Installs what building and testing Strongroom needs on a fresh Debian/Ubuntu machine.
# Idempotent: installs only what is missing.
#   bash scripts/setup.sh             # Rust side: libclang (bindgen for RocksDB), g++, libssl-dev
#   bash scripts/setup.sh --bindings  # also JDK + JNA (apt), kotlinc (npm), maturin + pytest (venv)
set -euo pipefail

apt_need=()
dpkg -s libclang-dev >/dev/null 2>&1 || apt_need+=(libclang-dev)
command -v g++ >/dev/null 2>&1 || apt_need+=(g++)
# SQLCipher (the benchmarks' peer, bundled by rusqlite) links OpenSSL's libcrypto.
dpkg -s libssl-dev >/dev/null 2>&1 || apt_need+=(libssl-dev)
command -v pkg-config >/dev/null 2>&1 || apt_need+=(pkg-config)
# `script` gives the CLI's progress-bar test a pseudo-terminal.
command -v script >/dev/null 2>&1 || apt_need+=(bsdutils)
if [ "${1:-}" = "--bindings" ]; then
    [ -f /usr/share/java/jna.jar ] || apt_need+=(libjna-java)
    need_jdk=""
    command -v javac >/dev/null 2>&1 || need_jdk=1
    command -v npm >/dev/null 2>&1 || apt_need+=(npm)
    # Debian's python3 has `venv` without `ensurepip` until python3-venv is installed.
    python3 -c "import venv, ensurepip" 2>/dev/null || apt_need+=(python3-venv)
fi
if ((${#apt_need[@]})) || [ -n "${need_jdk:-}" ]; then
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    if [ -n "${need_jdk:-}" ]; then
        # JDK 17 where the release has it (Debian 12, Ubuntu 22.04+), else its default JDK.
        if apt-cache show openjdk-17-jdk-headless >/dev/null 2>&1; then
            apt_need+=(openjdk-17-jdk-headless)
        else
            apt_need+=(default-jdk-headless)
        fi
    fi
    echo "setup: installing ${apt_need[*]}"
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${apt_need[@]}" >/dev/null
fi
command -v cargo >/dev/null 2>&1 || { echo "setup: cargo is required (https://rustup.rs)" >&2; exit 1; }

if [ "${1:-}" = "--bindings" ]; then
    npm_dir="$HOME/.cache/strongroom/npm"
    if [ ! -x "$npm_dir/node_modules/kotlin-compiler/bin/kotlinc" ]; then
        echo "setup: installing kotlin-compiler (npm)"
        mkdir -p "$npm_dir"
        npm install --prefix "$npm_dir" --no-audit --no-fund --silent kotlin-compiler@2.4.20
    fi
    venv="$HOME/.cache/strongroom/venv"
    # A venv made without ensurepip has a python but no pip: make it again.
    [ -x "$venv/bin/pip" ] || { rm -rf "$venv"; python3 -m venv "$venv"; }
    "$venv/bin/python" -c "import maturin, pytest" 2>/dev/null || {
        echo "setup: installing maturin and pytest (venv)"
        "$venv/bin/pip" install -q "maturin>=1.8,<2" "pytest>=8"
    }
fi
