//! Vault operations on a temporary directory, sync off and on, next to raw RocksDB (same
//! options, same write set, unencrypted) and SQLCipher doing the same job.
//!
//! `cargo bench -p strongroom-benches --bench ops`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use strongroom_benches::peers::{self, SqlCipher, WriteSet};
use strongroom_benches::setup::{self, BenchVault, create_request};
use strongroom_core::{PageRequest, PaymentMethodUpdate};

/// Cards stored before reads are measured.
const STORED: u64 = 10_000;

fn sync_label(sync: bool) -> &'static str {
    if sync { "sync_on" } else { "sync_off" }
}

fn create(c: &mut Criterion) {
    let write_set = WriteSet::of_create(500);
    eprintln!("write set of one create: {}", write_set.describe());
    let mut group = c.benchmark_group("create");
    for sync in [false, true] {
        if sync {
            group.sample_size(10);
        }
        let label = sync_label(sync);
        let b = BenchVault::new(sync, 100);
        let mut serial = 1_000_000u64;
        group.bench_function(BenchmarkId::new("vault", label), |bench| {
            bench.iter(|| {
                serial += 1;
                let customer = &b.customers[(serial % 100) as usize];
                b.scope.create_payment_method(create_request(customer, serial)).expect("create")
            })
        });

        let dir = tempfile::tempdir().expect("temp dir");
        let db = peers::open_raw(dir.path());
        let write = peers::write_options(sync);
        let mut serial = 0u64;
        group.bench_function(BenchmarkId::new("raw_rocksdb_batch", label), |bench| {
            bench.iter(|| {
                serial += 1;
                db.write_opt(write_set.batch(&db, serial), &write).expect("write")
            })
        });

        let dir = tempfile::tempdir().expect("temp dir");
        let mut sql = SqlCipher::open(&dir.path().join("peer.db"), sync);
        let (_, record_len) = write_set.record_shape();
        let record = vec![0x5Au8; record_len];
        let mut serial = 0u64;
        group.bench_function(BenchmarkId::new("sqlcipher", label), |bench| {
            bench.iter(|| {
                serial += 1;
                sql.create_numbered(serial, 100, &record)
            })
        });
    }
    group.finish();
}

/// Synced creates in stores that have run a while, which is where a production vault
/// spends its life. RocksDB reuses a retired write-ahead log (overwriting blocks the
/// filesystem already holds) only once it has retired one while open, which a fresh vault
/// never has; SQLite restarts its WAL from the start after each checkpoint. So each peer
/// first takes as many creates as the vault needed before RocksDB reported reusing a log;
/// a vault that never reuses logs runs next to it.
fn create_settled(c: &mut Criterion) {
    // `cargo test --benches` (CI's smoke run) passes no `--bench`: a token preload there.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let write_set = WriteSet::of_create(500);
    let mut group = c.benchmark_group("create_settled");
    group.sample_size(10);

    let b = BenchVault::new(true, 100);
    let mut serial = 0u64;
    let preloaded = setup::settle(&b, &mut serial, smoke);
    eprintln!("vault reused a write-ahead log after {preloaded} synced creates");
    group.bench_function(BenchmarkId::new("vault", "sync_on"), |bench| bench.iter(|| b.preload(&mut serial, 1)));
    drop(b);

    // The same vault as it was before this configuration: every log appended anew.
    let b = BenchVault::without_log_reuse(true, 100);
    let mut serial = 0u64;
    b.preload(&mut serial, preloaded);
    group.bench_function(BenchmarkId::new("vault_no_log_reuse", "sync_on"), |bench| {
        bench.iter(|| b.preload(&mut serial, 1))
    });
    drop(b);

    let dir = tempfile::tempdir().expect("temp dir");
    let db = peers::open_raw(dir.path());
    // Sync is per write here, so the preload runs unsynced: the logs retire the same way.
    let mut serial = if smoke { 0 } else { peers::settle_raw(&db, dir.path(), &write_set, preloaded) };
    let synced = peers::write_options(true);
    group.bench_function(BenchmarkId::new("raw_rocksdb_batch", "sync_on"), |bench| {
        bench.iter(|| {
            serial += 1;
            db.write_opt(write_set.batch(&db, serial), &synced).expect("write")
        })
    });

    let dir = tempfile::tempdir().expect("temp dir");
    // SQLite's durability is a per-connection setting: preload without fsync, then turn it on.
    let mut sql = SqlCipher::open(&dir.path().join("peer.db"), false);
    let (_, record_len) = write_set.record_shape();
    let record = vec![0x5Au8; record_len];
    let mut serial = 0u64;
    let mut create = |sql: &mut SqlCipher| {
        serial += 1;
        sql.create_numbered(serial, 100, &record)
    };
    for _ in 0..preloaded {
        create(&mut sql);
    }
    sql.set_sync(true);
    group.bench_function(BenchmarkId::new("sqlcipher", "sync_on"), |bench| bench.iter(|| create(&mut sql)));
    group.finish();
}

fn reads(c: &mut Criterion) {
    let write_set = WriteSet::of_create(200);
    let b = BenchVault::new(false, 1000);
    let ids = b.fill(0, STORED);
    let mut group = c.benchmark_group("retrieve");
    let mut i = 0usize;
    group.bench_function("vault", |bench| {
        bench.iter(|| {
            i = (i + 7919) % ids.len();
            b.scope.retrieve_payment_method(&ids[i]).expect("retrieve")
        })
    });

    let dir = tempfile::tempdir().expect("temp dir");
    let db = peers::open_raw(dir.path());
    let raw_keys = peers::fill_raw_records(&db, &write_set, STORED);
    let cf = db.cf_handle("payment_methods").expect("cf");
    group.bench_function("raw_rocksdb_get", |bench| {
        bench.iter(|| {
            i = (i + 7919) % raw_keys.len();
            db.get_pinned_cf(cf, &raw_keys[i]).expect("get").map(|v| v.len())
        })
    });

    let dir = tempfile::tempdir().expect("temp dir");
    let mut sql = SqlCipher::open(&dir.path().join("peer.db"), false);
    // Ids made beforehand, as the vault's are: the loop times the lookup alone.
    let sql_ids = sql.fill(STORED, write_set.record_shape().1);
    group.bench_function("sqlcipher", |bench| {
        bench.iter(|| {
            i = (i + 7919) % sql_ids.len();
            sql.retrieve(&sql_ids[i])
        })
    });
    group.finish();

    c.bench_function("reveal/vault", |bench| {
        bench.iter(|| {
            i = (i + 7919) % ids.len();
            b.scope.reveal_payment_method(&ids[i]).expect("reveal")
        })
    });

    // One customer with exactly 10 cards.
    let lister = BenchVault::new(false, 1);
    lister.fill(0, 10);
    let page = PageRequest::first(10);
    c.bench_function("list_10/vault", |bench| {
        bench.iter(|| lister.scope.list_payment_methods(&lister.customers[0], black_box(&page)).expect("list"))
    });

    let mut flip = false;
    c.bench_function("update/vault", |bench| {
        bench.iter(|| {
            i = (i + 7919) % ids.len();
            flip = !flip;
            let update = PaymentMethodUpdate {
                nick_name: Some(if flip { "travel" } else { "work" }.into()),
                card_holder_name: Some("Bench Holder".into()),
                ..Default::default()
            };
            b.scope.update_payment_method(&ids[i], update).expect("update")
        })
    });

    let mut next = STORED;
    c.bench_function("delete/vault", |bench| {
        bench.iter_custom(|iters| {
            let victims = b.fill(next, iters);
            next += iters;
            let started = Instant::now();
            for id in &victims {
                b.scope.delete_payment_method(id).expect("delete");
            }
            started.elapsed()
        })
    });
}

fn raw_sizes(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = peers::open_raw(dir.path());
    let cf = db.cf_handle("payment_methods").expect("cf");
    let write = peers::write_options(false);
    let mut group = c.benchmark_group("raw_rocksdb");
    for size in [64usize, 128, 256, 1024] {
        let value = vec![0x5Au8; size];
        let mut n = 0u64;
        group.bench_function(BenchmarkId::new("put", size), |bench| {
            bench.iter(|| {
                n += 1;
                db.put_cf_opt(cf, format!("{size}/pm_{n:032x}"), &value, &write).expect("put")
            })
        });
        let stored = n.max(1);
        let mut m = 0u64;
        group.bench_function(BenchmarkId::new("get", size), |bench| {
            bench.iter(|| {
                m = (m + 7919) % stored + 1;
                db.get_pinned_cf(cf, format!("{size}/pm_{m:032x}")).expect("get").map(|v| v.len())
            })
        });
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500))
        .sample_size(30)
}

criterion_group! { name = benches; config = config(); targets = create, create_settled, reads, raw_sizes }
criterion_main!(benches);
