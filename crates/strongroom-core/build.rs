//! No build step: this script exists only so that Cargo resolves the `[build-dependencies]`
//! of Cargo.toml, which pin the build-time features RocksDB's bindings generator is
//! compiled with (see the comment there).

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
}
