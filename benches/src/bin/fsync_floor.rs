//! The durability floor of this machine's disk (not criterion): how long appending one
//! create's worth of bytes to a log and making it durable takes, with nothing else around
//! it — the least a synced create can cost, in RocksDB's WAL or SQLite's.
//!
//! `cargo run --release -p strongroom-benches --bin fsync_floor -- [writes] [bytes] [dir]`
//!
//! Three ways, each `writes` times (default 2,000 × 600 bytes, in a temporary directory
//! like the ops bench's): append then `fdatasync` (a growing file: the size changes with
//! every write, so the filesystem journals metadata too; what RocksDB's WAL and SQLite's WAL
//! do), overwrite in place then `fdatasync` (a file written and synced in full first: data
//! only), and append then `fsync`. Prints the median and p99 of each.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::{Duration, Instant};

use strongroom_benches::latency::{micros, percentile};

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "{what:<34} p50 {:>7.1} µs  p99 {:>7.1} µs",
        micros(percentile(&times, 0.5)),
        micros(percentile(&times, 0.99))
    );
}

/// Times `writes` calls of `durable_write(i)` and reports them under `what`.
fn time_each(
    what: &str,
    writes: usize,
    mut durable_write: impl FnMut(usize) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut times = Vec::with_capacity(writes);
    for i in 0..writes {
        let started = Instant::now();
        durable_write(i)?;
        times.push(started.elapsed());
    }
    report(what, times);
    Ok(())
}

fn run(dir: &Path, writes: usize, bytes: usize) -> std::io::Result<()> {
    let record = vec![0x5Au8; bytes];

    let mut append = OpenOptions::new().create(true).append(true).open(dir.join("append.log"))?;
    time_each("append + fdatasync", writes, |_| {
        append.write_all(&record)?;
        append.sync_data()
    })?;

    let overwrite =
        OpenOptions::new().create(true).truncate(true).read(true).write(true).open(dir.join("overwrite.log"))?;
    overwrite.write_all_at(&vec![0u8; writes * bytes], 0)?;
    overwrite.sync_all()?;
    time_each("overwrite in place + fdatasync", writes, |i| {
        overwrite.write_all_at(&record, (i * bytes) as u64)?;
        overwrite.sync_data()
    })?;

    let mut append = OpenOptions::new().create(true).append(true).open(dir.join("append_fsync.log"))?;
    time_each("append + fsync", writes, |_| {
        append.write_all(&record)?;
        append.sync_all()
    })
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let writes = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let bytes = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(600);
    let temp = tempfile::tempdir()?;
    let dir = args.get(3).map_or(temp.path().to_path_buf(), Into::into);
    println!("{writes} writes of {bytes} bytes in {}", dir.display());
    run(&dir, writes, bytes)
}
