//! Durable creates, one thread, in stores that have run a while (not criterion): the
//! vault, the same vault without write-ahead log reuse, raw RocksDB writing the same batch
//! unencrypted, and SQLCipher with `synchronous=FULL`. Each create is timed alone, and the
//! peers take turns in rounds (the order rotating), so a disk that gets slower or faster
//! during the run moves every peer alike.
//!
//! `cargo run --release -p strongroom-benches --bin durable -- [creates per round] [rounds]`
//!
//! Default 2,000 creates × 5 rounds. Before the rounds the vault takes synced creates until
//! RocksDB reports reusing a retired log (a fresh RocksDB never does, and a vault spends
//! its life past that point), and every other peer takes as many (SQLCipher has by then
//! checkpointed and restarted its WAL many times). Prints p50, mean and p99 per peer and
//! round, then over all rounds, and SQLCipher's p50 over the vault's.

use std::time::{Duration, Instant};

use strongroom_benches::latency::{micros, percentile};
use strongroom_benches::peers::{self, SqlCipher, WriteSet};
use strongroom_benches::setup::{self, BenchVault};

/// A store taking durable creates.
trait Peer {
    fn name(&self) -> &'static str;
    fn create(&mut self);
}

struct VaultPeer {
    name: &'static str,
    vault: BenchVault,
    serial: u64,
}

impl Peer for VaultPeer {
    fn name(&self) -> &'static str {
        self.name
    }

    fn create(&mut self) {
        self.vault.preload(&mut self.serial, 1);
    }
}

struct RawPeer {
    _dir: tempfile::TempDir,
    db: rocksdb::DB,
    write_set: WriteSet,
    synced: rocksdb::WriteOptions,
    serial: u64,
}

impl Peer for RawPeer {
    fn name(&self) -> &'static str {
        "raw RocksDB batch"
    }

    fn create(&mut self) {
        self.serial += 1;
        self.db.write_opt(self.write_set.batch(&self.db, self.serial), &self.synced).expect("write");
    }
}

struct SqlPeer {
    _dir: tempfile::TempDir,
    sql: SqlCipher,
    record: Vec<u8>,
    serial: u64,
}

impl Peer for SqlPeer {
    fn name(&self) -> &'static str {
        "SQLCipher"
    }

    fn create(&mut self) {
        self.serial += 1;
        self.sql.create_numbered(self.serial, 100, &self.record);
    }
}

/// Runs `n` more creates of `peer` with RocksDB's per-thread timers on, and prints their
/// means per create: the whole call, RocksDB's write-ahead log append and sync, its
/// memtable inserts, and the rest of RocksDB's write path.
fn profile(peer: &mut dyn Peer, n: usize) {
    use rocksdb::perf::{PerfContext, PerfMetric, PerfStatsLevel, set_perf_stats};
    set_perf_stats(PerfStatsLevel::EnableTime);
    let mut context = PerfContext::default();
    context.reset();
    let started = Instant::now();
    for _ in 0..n {
        peer.create();
    }
    let whole = micros(started.elapsed()) / n as f64;
    set_perf_stats(PerfStatsLevel::Disable);
    let per_create = |metric| context.metric(metric) as f64 / 1e3 / n as f64;
    let wal = per_create(PerfMetric::WriteWalTime);
    let memtable = per_create(PerfMetric::WriteMemtableTime);
    let around = per_create(PerfMetric::WritePreAndPostProcessTime) + per_create(PerfMetric::WriteDelayTime);
    println!(
        "  {:<20} whole {whole:>6.1} µs = log write + sync {wal:>6.1} + memtables {memtable:>4.1} + rest of the \
         write {around:>4.1} + outside RocksDB's write {:>5.1}",
        peer.name(),
        whole - wal - memtable - around
    );
}

fn stats(times: &mut [Duration]) -> (f64, f64, f64) {
    times.sort();
    let mean = times.iter().sum::<Duration>() / times.len().max(1) as u32;
    (micros(percentile(times, 0.5)), micros(mean), micros(percentile(times, 0.99)))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let per_round: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let rounds: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(5);

    let vault = BenchVault::new(true, 100);
    let mut serial = 0;
    let preloaded = setup::settle(&vault, &mut serial, false);
    println!("the vault reused a write-ahead log after {preloaded} synced creates; every peer takes as many");
    let reusing = VaultPeer { name: "vault", vault, serial };

    let vault = BenchVault::without_log_reuse(true, 100);
    let mut serial = 0;
    vault.preload(&mut serial, preloaded);
    let appending = VaultPeer { name: "vault, no log reuse", vault, serial };

    // Sync is per write in RocksDB and per connection in SQLite: both preload without it.
    let write_set = WriteSet::of_create(500);
    let dir = tempfile::tempdir().expect("temp dir");
    let db = peers::open_raw(dir.path());
    // At least as many as the vault took, and on until this store has reused a log too.
    let serial = peers::settle_raw(&db, dir.path(), &write_set, preloaded);
    println!("raw RocksDB reused a write-ahead log after {serial} batches");
    let (_, record_len) = write_set.record_shape();
    let raw = RawPeer { _dir: dir, db, write_set, synced: peers::write_options(true), serial };

    let dir = tempfile::tempdir().expect("temp dir");
    let mut sql = SqlPeer {
        sql: SqlCipher::open(&dir.path().join("peer.db"), false),
        _dir: dir,
        record: vec![0x5A; record_len],
        serial: 0,
    };
    for _ in 0..preloaded {
        sql.create();
    }
    sql.sql.set_sync(true);
    // The vaults' preloads were synced, so their flushes and compactions kept up; give the
    // last of them time to finish (the raw peer waited for its own above).
    std::thread::sleep(Duration::from_secs(3));

    // The vault first and SQLCipher last: the ratio below reads them by position.
    let mut peers: Vec<Box<dyn Peer>> = vec![Box::new(reusing), Box::new(appending), Box::new(raw), Box::new(sql)];
    let (vault_at, sqlcipher_at) = (0, peers.len() - 1);
    let mut all: Vec<Vec<Duration>> = vec![Vec::new(); peers.len()];
    let mut ratios = Vec::new();
    for round in 0..rounds {
        let mut p50 = vec![0.0; peers.len()];
        for turn in 0..peers.len() {
            let i = (turn + round) % peers.len();
            let mut times = Vec::with_capacity(per_round);
            for _ in 0..per_round {
                let started = Instant::now();
                peers[i].create();
                times.push(started.elapsed());
            }
            all[i].extend_from_slice(&times);
            let (median, mean, p99) = stats(&mut times);
            p50[i] = median;
            println!(
                "round {round} {:<20} p50 {median:>6.1} µs  mean {mean:>6.1} µs  p99 {p99:>7.1} µs",
                peers[i].name()
            );
        }
        let ratio = p50[sqlcipher_at] / p50[vault_at];
        ratios.push(ratio);
        println!("round {round} SQLCipher p50 / vault p50 = {ratio:.2}×");
    }
    println!("all {rounds} rounds, {per_round} creates per peer and round:");
    for (peer, times) in peers.iter().zip(&mut all) {
        let (median, mean, p99) = stats(times);
        println!("  {:<20} p50 {median:>6.1} µs  mean {mean:>6.1} µs  p99 {p99:>7.1} µs", peer.name());
    }
    let mut sorted = ratios.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "SQLCipher p50 / vault p50, round by round: {} (median {:.2}×)",
        ratios.iter().map(|r| format!("{r:.2}×")).collect::<Vec<_>>().join(" "),
        sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
    );

    println!("where a durable create's time goes (RocksDB's perf context, means per create):");
    for peer in peers.iter_mut().take(sqlcipher_at) {
        profile(peer.as_mut(), per_round);
    }
}
