//! Create throughput with 1, 2, 4 and 8 threads on one vault, sync on and off, next to
//! SQLCipher with one connection per thread (SQLite has a single writer; RocksDB groups
//! concurrent commits into one WAL write and one fsync). Reported time is wall time per
//! create over all threads, so lower is better and 1/time is the throughput.
//!
//! `cargo bench -p strongroom-benches --bench concurrency`

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use strongroom_benches::peers::SqlCipher;
use strongroom_benches::setup::{BenchVault, create_request};

const THREADS: [u64; 4] = [1, 2, 4, 8];

fn split(iters: u64, threads: u64) -> impl Iterator<Item = u64> {
    (0..threads).map(move |t| iters / threads + u64::from(t < iters % threads))
}

fn creates(c: &mut Criterion) {
    for sync in [false, true] {
        let label = if sync { "create_sync_on" } else { "create_sync_off" };
        let mut group = c.benchmark_group(label);
        group.throughput(Throughput::Elements(1));
        if sync {
            group.sample_size(10);
        }
        let b = BenchVault::new(sync, 64);
        let serial = AtomicU64::new(0);
        for threads in THREADS {
            group.bench_function(BenchmarkId::new("vault", threads), |bench| {
                bench.iter_custom(|iters| {
                    let started = Instant::now();
                    std::thread::scope(|s| {
                        for (t, n) in split(iters, threads).enumerate() {
                            let (b, serial) = (&b, &serial);
                            s.spawn(move || {
                                for _ in 0..n {
                                    let i = serial.fetch_add(1, Ordering::Relaxed);
                                    let customer = &b.customers[(i as usize + t) % b.customers.len()];
                                    b.scope.create_payment_method(create_request(customer, i)).expect("create");
                                }
                            });
                        }
                    });
                    started.elapsed()
                })
            });
        }

        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("peer.db");
        drop(SqlCipher::open(&path, sync));
        let record = vec![0x5Au8; 200];
        for threads in THREADS {
            let mut conns: Vec<SqlCipher> =
                (0..threads).map(|_| SqlCipher::open_sharing_cache(&path, sync, threads as usize)).collect();
            group.bench_function(BenchmarkId::new("sqlcipher", threads), |bench| {
                bench.iter_custom(|iters| {
                    let started = Instant::now();
                    std::thread::scope(|s| {
                        for (conn, n) in conns.iter_mut().zip(split(iters, threads)) {
                            let (serial, record) = (&serial, &record);
                            s.spawn(move || {
                                for _ in 0..n {
                                    let i = serial.fetch_add(1, Ordering::Relaxed);
                                    conn.create_numbered(i, 64, record);
                                }
                            });
                        }
                    });
                    started.elapsed()
                })
            });
        }
        group.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500))
        .sample_size(20)
}

criterion_group! { name = benches; config = config(); targets = creates }
criterion_main!(benches);
