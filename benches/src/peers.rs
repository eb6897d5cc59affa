//! The peers a create and a retrieve are measured against, in the same run:
//!
//! * raw RocksDB with the vault's options, writing the same keys and values a create writes
//!   but unencrypted and without any logic (the storage limit);
//! * SQLCipher (SQLite with page encryption, raw key, WAL), what an application would embed
//!   instead of a vault, storing the same record size with the same indexes.

use std::collections::BTreeMap;
use std::path::Path;

use rocksdb::{DB, WriteBatch, WriteOptions};
use rusqlite::{Connection, params};

use crate::setup;

/// RocksDB opened with the options the vault's store uses (the same function opens both).
pub fn open_raw(path: &Path) -> DB {
    strongroom_core::internals::open_raw_rocksdb(path, &setup::options(false)).expect("open raw RocksDB")
}

pub fn write_options(sync: bool) -> WriteOptions {
    let mut w = WriteOptions::default();
    w.set_sync(sync);
    w
}

/// What one create writes, per column family: (entries, key bytes, value bytes), averaged.
#[derive(Clone, Debug)]
pub struct WriteSet {
    pub entries: Vec<(&'static str, usize, usize)>,
}

fn totals(db: &DB) -> BTreeMap<&'static str, (usize, usize, usize)> {
    let mut out = BTreeMap::new();
    for cf in strongroom_core::internals::column_families() {
        let handle = db.cf_handle(cf).expect("column family");
        let (mut n, mut k, mut v) = (0, 0, 0);
        // In key order over everything, as the vault's own scans read (store/rocks.rs).
        let mut read = rocksdb::ReadOptions::default();
        read.set_total_order_seek(true);
        for item in db.iterator_cf_opt(handle, read, rocksdb::IteratorMode::Start) {
            let (key, value) = item.expect("iterate");
            n += 1;
            k += key.len();
            v += value.len();
        }
        out.insert(cf, (n, k, v));
    }
    out
}

impl WriteSet {
    /// Measures it: creates `samples` payment methods in a scratch vault and compares what
    /// each column family holds before and after. (Overwrites, like the audit chain head,
    /// do not show up: the raw batch is, if anything, a little smaller than the real one.)
    pub fn of_create(samples: u64) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let (vault, scope, customers) = setup::open_at(dir.path(), false, 10);
        vault.close();
        drop(scope);
        let before = totals(&open_raw(dir.path()));
        let (vault, scope) = {
            let vault = strongroom_core::Vault::open(dir.path(), setup::options(false)).expect("reopen");
            let scope = vault.profile(&strongroom_core::ProfileId::parse("pro_bench").expect("id")).expect("profile");
            (vault, scope)
        };
        for i in 0..samples {
            scope.create_payment_method(setup::create_request(&customers[(i % 10) as usize], i)).expect("create");
        }
        vault.close();
        let after = totals(&open_raw(dir.path()));
        let samples = samples as usize;
        let entries = strongroom_core::internals::column_families()
            .iter()
            .filter_map(|cf| {
                let (n0, k0, v0) = before[cf];
                let (n1, k1, v1) = after[cf];
                let n = n1 - n0;
                (n > 0).then(|| (*cf, n / samples, (k1 - k0) / n, (v1 - v0) / n))
            })
            .flat_map(|(cf, per, k, v)| std::iter::repeat_n((cf, k, v), per))
            .collect();
        Self { entries }
    }

    /// The write batch of the `serial`-th create: the same shapes, plain bytes.
    pub fn batch(&self, db: &DB, serial: u64) -> WriteBatch {
        let mut batch = WriteBatch::default();
        for (i, (cf, key_len, value_len)) in self.entries.iter().enumerate() {
            let handle = db.cf_handle(cf).expect("column family");
            let mut key = format!("{serial:016}/{i}").into_bytes();
            key.resize((*key_len).max(key.len()), b'k');
            batch.put_cf(handle, key, vec![0x5A; *value_len]);
        }
        batch
    }

    pub fn describe(&self) -> String {
        self.entries.iter().map(|(cf, k, v)| format!("{cf}:{k}+{v}B")).collect::<Vec<_>>().join(" ")
    }

    /// Key and value of the payment method record itself (what a retrieve reads).
    pub fn record_shape(&self) -> (usize, usize) {
        self.entries.iter().find(|(cf, ..)| *cf == "payment_methods").map_or((40, 300), |(_, k, v)| (*k, *v))
    }
}

/// Writes the create batches numbered from `serial + 1` on, unsynced (the logs retire the
/// same way), until RocksDB in `dir` has written at least `at_least` and reused a retired
/// write-ahead log, then waits for its flushes and compactions to finish. Returns the last
/// number written.
/// Puts `count` records of the payment method record's shape (`write_set`'s key and value
/// sizes, unencrypted) into raw RocksDB's `payment_methods` family, for the retrieve
/// benches' raw get; returns their keys.
pub fn fill_raw_records(db: &DB, write_set: &WriteSet, count: u64) -> Vec<Vec<u8>> {
    let (key_len, value_len) = write_set.record_shape();
    let cf = db.cf_handle("payment_methods").expect("cf");
    let keys: Vec<Vec<u8>> = (0..count)
        .map(|n| {
            let mut key = format!("pro_bench/pm_{n:032x}").into_bytes();
            key.resize(key_len.max(key.len()), b'k');
            key
        })
        .collect();
    for key in &keys {
        db.put_cf(cf, key, vec![0x5A; value_len]).expect("put");
    }
    keys
}

pub fn settle_raw(db: &DB, dir: &Path, write_set: &WriteSet, at_least: u64) -> u64 {
    let unsynced = write_options(false);
    let mut serial = 0;
    while serial < at_least || !setup::reused_a_log(dir) {
        assert!(serial < 10 * at_least.max(1000), "raw RocksDB reused no write-ahead log");
        for _ in 0..1000 {
            serial += 1;
            db.write_opt(write_set.batch(db, serial), &unsynced).expect("write");
        }
    }
    wait_until_idle(db);
    serial
}

/// Waits (at most a minute) until RocksDB runs and owes no flush or compaction, so what is
/// measured next does not share the cores with a backlog of earlier writes.
pub fn wait_until_idle(db: &DB) {
    const BUSY: [&str; 4] = [
        "rocksdb.num-running-flushes",
        "rocksdb.num-running-compactions",
        "rocksdb.mem-table-flush-pending",
        "rocksdb.compaction-pending",
    ];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let busy = |cf: &str| {
        let handle = db.cf_handle(cf).expect("column family");
        BUSY.iter().any(|p| db.property_int_value_cf(handle, *p).ok().flatten().unwrap_or(0) > 0)
    };
    while std::time::Instant::now() < deadline
        && strongroom_core::internals::column_families().iter().any(|cf| busy(cf))
    {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// SQLCipher with a raw 256-bit key, WAL, and the vault's indexes: cards by id, by customer,
/// and unique per (customer, fingerprint); CVCs in their own table.
pub struct SqlCipher {
    pub conn: Connection,
}

pub const SQLCIPHER_KEY: &str = "x'000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'";

impl SqlCipher {
    /// `sync`: `synchronous=FULL` (an fsync per commit, like the vault's `sync_writes`) or OFF.
    pub fn open(path: &Path, sync: bool) -> Self {
        Self::open_sharing_cache(path, sync, 1)
    }

    /// One of `connections` connections to the database at `path`: each gets its share of
    /// the memory the vault's block cache has (SQLite's page cache is per connection).
    pub fn open_sharing_cache(path: &Path, sync: bool, connections: usize) -> Self {
        let conn = Connection::open(path).expect("open SQLCipher");
        conn.pragma_update(None, "key", SQLCIPHER_KEY).expect("key");
        conn.pragma_update(None, "journal_mode", "WAL").expect("WAL");
        let cache_kib = setup::options(false).block_cache_bytes / 1024 / connections.max(1);
        // Negative: a size in KiB rather than in pages.
        conn.pragma_update(None, "cache_size", -(cache_kib as i64)).expect("cache size");
        conn.busy_timeout(std::time::Duration::from_secs(30)).expect("busy timeout");
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS payment_methods (
                 id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, fingerprint BLOB NOT NULL, record BLOB NOT NULL
             ) WITHOUT ROWID;
             CREATE INDEX IF NOT EXISTS pm_by_customer ON payment_methods (customer_id, id);
             CREATE UNIQUE INDEX IF NOT EXISTS pm_fingerprint ON payment_methods (customer_id, fingerprint);
             CREATE TABLE IF NOT EXISTS cvc (id TEXT PRIMARY KEY, expires_at INTEGER, value BLOB) WITHOUT ROWID;",
        )
        .expect("schema");
        let sql = Self { conn };
        sql.set_sync(sync);
        sql
    }

    /// `synchronous=FULL` or `OFF` from now on.
    pub fn set_sync(&self, sync: bool) {
        self.conn.pragma_update(None, "synchronous", if sync { "FULL" } else { "OFF" }).expect("synchronous");
    }

    /// One create: the record (same size as the vault's), its fingerprint, a CVC, in one
    /// transaction.
    pub fn create(&mut self, id: &str, customer: &str, fingerprint: &[u8], record: &[u8]) {
        let tx = self.conn.transaction().expect("begin");
        tx.prepare_cached("INSERT INTO payment_methods VALUES (?1, ?2, ?3, ?4)")
            .and_then(|mut s| s.execute(params![id, customer, fingerprint, record]))
            .expect("insert");
        tx.prepare_cached("INSERT INTO cvc VALUES (?1, ?2, ?3)")
            .and_then(|mut s| s.execute(params![id, 0i64, &[0x33u8; 3][..]]))
            .expect("insert cvc");
        tx.commit().expect("commit");
    }

    /// The `n`-th create of a run: id [`sqlcipher_id`]`(n)`, customer `n % customers`,
    /// fingerprint `n`.
    pub fn create_numbered(&mut self, n: u64, customers: u64, record: &[u8]) {
        self.create(&sqlcipher_id(n), &format!("cus_{:032x}", n % customers), &n.to_be_bytes(), record)
    }

    /// Creates payment methods 0 to `count - 1` (for 1,000 customers) with records of
    /// `record_len` bytes; returns their ids, made once so a timed loop only looks them up.
    pub fn fill(&mut self, count: u64, record_len: usize) -> Vec<String> {
        let record = vec![0x5Au8; record_len];
        (0..count)
            .map(|n| {
                self.create_numbered(n, 1000, &record);
                sqlcipher_id(n)
            })
            .collect()
    }

    pub fn retrieve(&self, id: &str) -> Vec<u8> {
        self.conn
            .prepare_cached("SELECT record FROM payment_methods WHERE id = ?1")
            .and_then(|mut s| s.query_row(params![id], |row| row.get(0)))
            .expect("select")
    }
}

/// The id of the `n`-th payment method [`SqlCipher::create_numbered`] stores.
pub fn sqlcipher_id(n: u64) -> String {
    format!("pm_{n:032x}")
}
