//! The RocksDB store: one database per vault directory, one column family per record kind.

use std::path::{Path, PathBuf};

use parking_lot::RwLock;

use rocksdb::checkpoint::Checkpoint;
use rocksdb::{
    BlockBasedOptions, BottommostLevelCompaction, Cache, ColumnFamily, ColumnFamilyDescriptor, CompactOptions, DB,
    DBCompressionType, DBRecoveryMode, FlushOptions, IteratorMode, LruCacheOptions, MemtableFactory, Options,
    ReadOptions, SliceTransform, WriteBatch, WriteOptions,
};

use crate::error::{Error, Result};
use crate::store::backend::{Batch, KeyRange, Store, WriteOp, take_bounded};
use crate::store::cf::Cf;

/// How the RocksDB store is opened.
#[derive(Clone, Debug)]
pub(crate) struct RocksConfig {
    /// fsync the WAL on every write (a vault is a system of record: on by default).
    pub sync_writes: bool,
    /// Shared block cache size.
    pub block_cache_bytes: usize,
    /// All memtables together (0: RocksDB's per-column-family default).
    pub memtable_budget_bytes: usize,
    /// Keep retired write-ahead logs and overwrite them instead of appending new ones. On
    /// for every vault; off only where the benches measure what it saves.
    pub reuse_logs: bool,
}

pub(crate) struct RocksStore {
    path: PathBuf,
    config: RocksConfig,
    /// `purge` closes and reopens the database under the write lock, so no call is inside
    /// it meanwhile.
    db: RwLock<Handle>,
    write_options: WriteOptions,
    /// RocksDB's defaults, made once instead of on every get.
    read_options: ReadOptions,
}

enum Handle {
    Open(DB),
    /// A reopen failed (why, in RocksDB's words); each call tries once more.
    Closed {
        cause: String,
    },
}

fn closed_error(cause: &str) -> Error {
    Error::storage(format!("the database could not be reopened after destroying a profile: {cause}"))
}

fn storage_error(e: rocksdb::Error) -> Error {
    Error::storage(e.into_string())
}

impl RocksConfig {
    /// The store's settings from the vault's options.
    pub(crate) fn from_options(options: &crate::vault::VaultOptions) -> Self {
        Self {
            sync_writes: options.sync_writes,
            block_cache_bytes: options.block_cache_bytes,
            memtable_budget_bytes: options.memtable_budget_bytes,
            reuse_logs: true,
        }
    }
}

/// Smallest block cache shard. RocksDB's default splits the cache into shards of 2 MiB or
/// less (64 for 128 MiB), and a table's index or filter block, one per file, reaches a
/// MiB at a million payment methods: a block that big crowds a shard or is not kept at all,
/// and every read that needs it reads it again from the file (with LZ4 on compressible
/// values the benches' raw gets took milliseconds instead of microseconds).
const MIN_CACHE_SHARD_BYTES: usize = 32 << 20;

fn block_cache(bytes: usize) -> Cache {
    let shards = (bytes / MIN_CACHE_SHARD_BYTES).max(1);
    let mut options = LruCacheOptions::default();
    options.set_capacity(bytes);
    // 1, 2, 4 … shards (at most 64), each at least MIN_CACHE_SHARD_BYTES unless the whole
    // cache is smaller.
    options.set_num_shard_bits(shards.ilog2().min(6) as i32);
    Cache::new_lru_cache_opts(&options)
}

/// Whether the RocksDB info log at `info_log` (a vault directory's `LOG`, or a `LOG.old.*`
/// of an earlier open) records reusing a retired write-ahead log: the benches and tests
/// check that reuse really happened before they measure or rely on it.
#[cfg_attr(not(feature = "internals"), allow(dead_code))]
pub(crate) fn info_log_reports_log_reuse(info_log: &Path) -> bool {
    std::fs::read_to_string(info_log).is_ok_and(|log| log.contains("from recycle list"))
}

/// Retired write-ahead logs kept for reuse: the one the last flush retired, and one more
/// while a flush is still running at the next switch.
const RECYCLED_LOGS: usize = 2;

/// Opens RocksDB with the vault's options and column families, creating it if missing
/// (also what the benches' raw RocksDB peer opens, through `internals`, so both measure
/// the same configuration).
pub(crate) fn open_db(path: &Path, config: &RocksConfig) -> Result<DB> {
    open_existing_or_new(path, config, true)
}

fn open_existing_or_new(path: &Path, config: &RocksConfig, create_if_missing: bool) -> Result<DB> {
    let cache = block_cache(config.block_cache_bytes);
    let mut table = BlockBasedOptions::default();
    table.set_block_cache(&cache);
    table.set_bloom_filter(10.0, false);
    table.set_cache_index_and_filter_blocks(true);
    table.set_pin_l0_filter_and_index_blocks_in_cache(true);

    let mut cf_options = Options::default();
    cf_options.set_block_based_table_factory(&table);
    // LZ4 blocks: sealed values do not compress, but the ids (in index keys, and in clear in
    // records) and the clear metadata do; at a million payment methods this took the disk
    // from 777 to 588 bytes per payment method (BENCHMARKS.md). RocksDB stores a block
    // uncompressed when compressing it saves too little, so the sealed column families cost
    // nothing on reads. Compression only ever sees ciphertext of card data.
    cf_options.set_compression_type(DBCompressionType::Lz4);

    let mut db_options = cf_options.clone();
    db_options.create_if_missing(create_if_missing);
    db_options.create_missing_column_families(true);
    db_options.set_max_background_jobs(2);
    db_options.set_keep_log_file_num(4);
    db_options.set_paranoid_checks(true);
    // Retired write-ahead logs are kept and overwritten instead of new ones appended: an
    // fdatasync after overwriting blocks of a file does not also have to commit the file's
    // new size to the filesystem journal, which took a synced create in a vault that has
    // run a while from ~270–330 to ~180–210 µs p50 here (BENCHMARKS.md, "Durable creates"). A
    // kept log holds what it held until overwritten, so `RocksStore::purge` (destroying a
    // profile) reopens the database, which deletes the kept logs instead of reusing them.
    if config.reuse_logs {
        db_options.set_recycle_log_file_num(RECYCLED_LOGS);
    }
    // RocksDB's defaults, stated because reuse and the reopen depend on them: the two
    // stricter recovery modes turn reuse off; archived logs (a TTL or size limit) would
    // keep retired logs instead of deleting them; deferred deletion would let open return
    // before the kept logs are gone. (The fourth, `avoid_flush_during_recovery`, which
    // would keep the replayed live log, stays off: rust-rocksdb has no setter for it.) With
    // reuse on RocksDB also refuses writes that skip the log; the vault makes none.
    db_options.set_wal_recovery_mode(DBRecoveryMode::PointInTime);
    db_options.set_wal_ttl_seconds(0);
    db_options.set_wal_size_limit_mb(0);
    db_options.set_avoid_unnecessary_blocking_io(false);
    // Every column family flushes at once, so each write-ahead log covers one whole
    // memtable budget and is retired by the flush that follows it: the logs are alike in
    // size and a reused one is overwritten, not outgrown. Flushing one family at a time
    // (RocksDB's default) left logs of anything from 872 bytes to 23 MB, and reusing a small
    // one appends again.
    db_options.set_atomic_flush(true);
    if config.memtable_budget_bytes > 0 {
        db_options.set_db_write_buffer_size(config.memtable_budget_bytes);
    }

    // The hash memtables (below) take inserts from one thread at a time:
    // the leader of a write group applies the whole group. (RocksDB refuses to open it
    // otherwise.)
    db_options.set_allow_concurrent_memtable_write(false);

    let descriptors =
        Cf::ALL.iter().map(|cf| ColumnFamilyDescriptor::new(cf.name(), family_options(*cf, &cf_options, config)));
    DB::open_cf_descriptors(&db_options, path, descriptors).map_err(storage_error)
}

/// One column family's options: the shared ones, and for the families read by whole key
/// ([`POINT_READ_FAMILIES`]) a memtable made for that.
///
/// A retrieve reads one payment method by id, and recent writes are in the memtable. In
/// RocksDB's default memtable (a skip list) a lookup walks a dozen nodes spread over the
/// memtable, each a cache miss; a hash-linked-list memtable hashes the key to a bucket of
/// one or two entries. With every key its own prefix (the no-op prefix transform) that
/// took a retrieve of 10,000 cards in the memtable from a median 1.085× SQLCipher's time
/// to 0.965× (16 runs each, builds alternating; the RocksDB get inside it from 4.3k to 1.9k
/// instructions; BENCHMARKS.md, "Retrieves, in the same rounds").
///
/// Two costs come with it. Ordered iteration over such a memtable first walks every bucket
/// and copies the memtable's keys into a sorted list, at a cost that grows with the bucket
/// count and the memtable, not with the chunk read: the vault scans payment methods only
/// for maintenance (stats, verify, re-encryption), and reads them in chunks of thousands
/// (`scan_in_chunks`, the re-encryption's window). And with a prefix transform set, an
/// iterator that does not ask for total order is a prefix iterator: over this memtable it
/// sees only the seek key's own bucket (nothing of the other cards still in memory), and
/// it may skip table files whose filter lacks the seek key. `scan` always asks for total
/// order; any other iterator over these families must too.
///
/// The fingerprint index is read the same way: every create looks its card's fingerprint
/// up (the duplicate check, nearly always a miss) and inserts it; only verify reads it in
/// order, through `scan_all`'s chunks.
///
/// RocksDB logs a histogram of the buckets' sizes (counts only, no keys) to the database's
/// info log each time it sorts such a memtable, on flushes and on maintenance scans.
fn family_options(cf: Cf, shared: &Options, config: &RocksConfig) -> Options {
    let mut options = shared.clone();
    if POINT_READ_FAMILIES.contains(&cf) {
        options.set_prefix_extractor(SliceTransform::create_noop());
        options.set_memtable_factory(MemtableFactory::HashLinkList { bucket_count: memtable_buckets(config) });
    }
    options
}

/// The families whose every read but maintenance is by whole key, which get a hash memtable.
const POINT_READ_FAMILIES: [Cf; 2] = [Cf::PaymentMethods, Cf::Fingerprints];

/// About one bucket per payment method a full memtable holds (~500 bytes each, out of the
/// budget all column families share), as a power of two; the fingerprint index holds one
/// entry per payment method too. The bucket array (8 bytes a bucket) is part of each hash
/// memtable's memory: 512 KiB for the default 32 MiB budget, for each of the two families.
fn memtable_buckets(config: &RocksConfig) -> usize {
    const DEFAULT_WRITE_BUFFER: usize = 64 << 20;
    let budget = if config.memtable_budget_bytes > 0 { config.memtable_budget_bytes } else { DEFAULT_WRITE_BUFFER };
    (budget / 512).next_power_of_two().clamp(1 << 12, 1 << 20)
}

impl RocksStore {
    pub(crate) fn open(path: &Path, config: &RocksConfig) -> Result<Self> {
        let db = open_db(path, config)?;
        let mut write_options = WriteOptions::default();
        write_options.set_sync(config.sync_writes);
        Ok(Self {
            path: path.to_owned(),
            config: config.clone(),
            db: RwLock::new(Handle::Open(db)),
            write_options,
            read_options: ReadOptions::default(),
        })
    }

    /// Runs `f` on the open database. `f` must not call the store again: a reopen waiting
    /// for the write lock would wait for it, and it for the reopen.
    fn with_db<T>(&self, f: impl FnOnce(&DB) -> Result<T>) -> Result<T> {
        {
            let handle = self.db.read();
            if let Handle::Open(db) = &*handle {
                return f(db);
            }
        }
        self.open_if_closed();
        match &*self.db.read() {
            Handle::Open(db) => f(db),
            Handle::Closed { cause } => Err(closed_error(cause)),
        }
    }

    /// After a failed reopen: tries to open the database again (never creating it).
    fn open_if_closed(&self) {
        let mut handle = self.db.write();
        if let Handle::Closed { .. } = &*handle {
            match open_existing_or_new(&self.path, &self.config, false) {
                Ok(db) => *handle = Handle::Open(db),
                Err(e) => *handle = Handle::Closed { cause: e.to_string() },
            }
        }
    }

    /// Closes the database and opens it again. RocksDB keeps retired write-ahead logs only
    /// while it runs, for reuse; at open it replays the live log, flushes what it replayed
    /// and deletes every log an earlier run left behind, so after this no kept log holds
    /// old writes (tests/maintenance.rs fails otherwise).
    fn reopen(&self) -> Result<()> {
        let mut handle = self.db.write();
        // Drops the database, releasing its lock file, before it opens again.
        *handle = Handle::Closed { cause: "closed for a reopen".into() };
        match open_existing_or_new(&self.path, &self.config, false) {
            Ok(db) => {
                *handle = Handle::Open(db);
                Ok(())
            }
            Err(e) => {
                *handle = Handle::Closed { cause: e.to_string() };
                Err(e)
            }
        }
    }
}

/// RocksDB's batch of the vault's writes, in their order.
fn write_batch(db: &DB, batch: Batch) -> Result<WriteBatch> {
    let mut wb = WriteBatch::with_capacity_bytes(write_batch_capacity(&batch));
    for op in batch.ops {
        match op {
            WriteOp::Put { cf, key, value } => wb.put_cf(handle(db, cf)?, key, value),
            WriteOp::Delete { cf, key } => wb.delete_cf(handle(db, cf)?, key),
            WriteOp::DeleteRange { cf, range } => wb.delete_range_cf(handle(db, cf)?, range.start, range.end),
        }
    }
    Ok(wb)
}

/// The bytes RocksDB's batch will hold for these writes: its 12-byte header, and per write
/// a tag, the family id and a length prefix for each of the two slices (varints, 5 bytes
/// at most each). Allocated once, the batch is not grown put by put (about five
/// reallocations and copies per create before).
fn write_batch_capacity(batch: &Batch) -> usize {
    const HEADER: usize = 12;
    const PER_WRITE: usize = 1 + 5 + 5 + 5;
    let slices: usize = batch
        .ops
        .iter()
        .map(|op| match op {
            WriteOp::Put { key, value, .. } => key.len() + value.len(),
            WriteOp::Delete { key, .. } => key.len(),
            WriteOp::DeleteRange { range, .. } => range.start.len() + range.end.len(),
        })
        .sum();
    HEADER + batch.ops.len() * PER_WRITE + slices
}

fn handle(db: &DB, cf: Cf) -> Result<&ColumnFamily> {
    db.cf_handle(cf.name()).ok_or_else(|| Error::storage(format!("column family `{}` is missing", cf.name())))
}

impl Store for RocksStore {
    fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.with_db(|db| db.get_cf_opt(handle(db, cf)?, key, &self.read_options).map_err(storage_error))
    }

    fn get_in_place(&self, cf: Cf, key: &[u8], read: &mut dyn FnMut(Option<&[u8]>) -> Result<()>) -> Result<()> {
        self.with_db(|db| {
            let value = db.get_pinned_cf_opt(handle(db, cf)?, key, &self.read_options).map_err(storage_error)?;
            read(value.as_deref())
        })
    }

    fn multi_get(&self, cf: Cf, keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>> {
        self.with_db(|db| {
            db.batched_multi_get_cf(handle(db, cf)?, keys, false)
                .into_iter()
                .map(|value| value.map(|v| v.map(|slice| slice.to_vec())).map_err(storage_error))
                .collect()
        })
    }

    fn scan_bounded(
        &self,
        cf: Cf,
        range: &KeyRange,
        limit: usize,
        max_bytes: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.with_db(|db| {
            let mut read = ReadOptions::default();
            read.set_iterate_lower_bound(range.start.clone());
            read.set_iterate_upper_bound(range.end.clone());
            // Ordered over the whole family, whatever its prefix transform (`family_options`).
            read.set_total_order_seek(true);
            let entries = db
                .iterator_cf_opt(handle(db, cf)?, read, IteratorMode::Start)
                .map(|entry| entry.map(|(k, v)| (k.into_vec(), v.into_vec())).map_err(storage_error));
            take_bounded(entries, limit, max_bytes)
        })
    }

    fn write(&self, batch: Batch) -> Result<()> {
        self.with_db(|db| db.write_opt(write_batch(db, batch)?, &self.write_options).map_err(storage_error))
    }

    fn purge(&self, ranges: &[(Cf, KeyRange)]) -> Result<()> {
        self.with_db(|db| {
            let handles = Cf::ALL.iter().map(|cf| handle(db, *cf)).collect::<Result<Vec<_>>>()?;
            let mut flush = FlushOptions::default();
            flush.set_wait(true);
            db.flush_cfs_opt(&handles, &flush).map_err(storage_error)?;
            let mut compact = CompactOptions::default();
            compact.set_bottommost_level_compaction(BottommostLevelCompaction::Force);
            compact.set_exclusive_manual_compaction(true);
            for (cf, range) in ranges {
                db.compact_range_cf_opt(handle(db, *cf)?, Some(&range.start), Some(&range.end), &compact);
            }
            Ok(())
        })?;
        // The flush retired the logs that held the deleted values, and RocksDB keeps
        // retired logs for reuse (one may even be the live log now): reopening deletes them.
        self.reopen()
    }

    fn checkpoint(&self, dir: &Path) -> Result<()> {
        self.with_db(|db| Checkpoint::new(db).and_then(|c| c.create_checkpoint(dir)).map_err(storage_error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(memtable_budget_bytes: usize) -> RocksConfig {
        RocksConfig { sync_writes: false, block_cache_bytes: 8 << 20, memtable_budget_bytes, reuse_logs: true }
    }

    /// The options RocksDB wrote for `family` (its section of the newest OPTIONS file).
    fn written_options(dir: &Path, family: &str) -> String {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("OPTIONS-")))
            .collect();
        files.sort();
        let text = std::fs::read_to_string(files.last().unwrap()).unwrap();
        let header = format!("[CFOptions \"{family}\"]");
        let start = text.find(&header).unwrap();
        let rest = &text[start + header.len()..];
        rest[..rest.find("\n[").unwrap_or(rest.len())].to_owned()
    }

    #[test]
    fn point_read_families_alone_have_the_hash_memtable() {
        let dir = tempfile::tempdir().unwrap();
        drop(RocksStore::open(dir.path(), &config(32 << 20)).unwrap());
        let setting = |family: &str, name: &str| {
            let options = written_options(dir.path(), family);
            let line = options.lines().map(str::trim).find(|l| l.starts_with(&format!("{name}="))).unwrap();
            line[name.len() + 1..].to_owned()
        };
        for family in ["payment_methods", "fingerprints"] {
            let memtable = setting(family, "memtable_factory");
            assert!(
                memtable.contains("id=HashLinkListRepFactory;") && memtable.contains("bucket_count=65536;"),
                "{family}: {memtable}"
            );
            assert_eq!(setting(family, "prefix_extractor"), "rocksdb.Noop", "{family}");
        }
        for cf in Cf::ALL.iter().filter(|cf| !POINT_READ_FAMILIES.contains(cf)) {
            assert_eq!(setting(cf.name(), "memtable_factory"), "SkipListFactory", "{}", cf.name());
            assert_eq!(setting(cf.name(), "prefix_extractor"), "nullptr", "{}", cf.name());
        }
    }

    #[test]
    fn bounded_scans_stop_at_either_bound_and_chunked_scans_see_everything_once() {
        use crate::store::backend::scan_in_chunks;
        let dir = tempfile::tempdir().unwrap();
        let store = RocksStore::open(dir.path(), &config(32 << 20)).unwrap();
        let keys: Vec<Vec<u8>> = (0..50).map(|i| format!("k/{i:02}").into_bytes()).collect();
        let mut batch = Batch::default();
        for key in &keys {
            batch.put(Cf::PaymentMethods, key.clone(), vec![7; 10]);
        }
        store.write(batch).unwrap();
        let all = KeyRange::prefix(b"k/".to_vec());
        // 14 bytes an entry: the third reaches 30.
        assert_eq!(store.scan_bounded(Cf::PaymentMethods, &all, 100, 30).unwrap().len(), 3);
        assert_eq!(store.scan_bounded(Cf::PaymentMethods, &all, 2, 30).unwrap().len(), 2);
        assert_eq!(store.scan_bounded(Cf::PaymentMethods, &all, 100, 1).unwrap().len(), 1);
        assert!(store.scan_bounded(Cf::PaymentMethods, &all, 0, 30).unwrap().is_empty());
        for (limit, max_bytes) in [(7, usize::MAX), (100, 30), (7, 30), (50, usize::MAX), (1, 1)] {
            let mut seen = Vec::new();
            scan_in_chunks(&store, Cf::PaymentMethods, &all, limit, max_bytes, |key, _| {
                seen.push(key.to_vec());
                Ok(())
            })
            .unwrap();
            assert_eq!(seen, keys, "limit {limit}, max_bytes {max_bytes}");
        }
    }

    #[test]
    fn a_write_batch_is_allocated_once_for_all_its_writes() {
        let dir = tempfile::tempdir().unwrap();
        let store = RocksStore::open(dir.path(), &config(32 << 20)).unwrap();
        let mut batch = Batch::default();
        // Lengths on both sides of each varint width up to 4 bytes (a 5-byte length is a
        // value of 256 MiB).
        let lens = [0usize, 1, 127, 128, 300, 16_383, 16_384, 70_000, (1 << 21) - 1, 1 << 21];
        for (i, len) in lens.into_iter().enumerate() {
            batch.put(Cf::ALL[i % Cf::ALL.len()], vec![b'k'; len.min(200) + 1], vec![0xA5; len]);
        }
        batch.delete(Cf::Cvc, vec![b'c'; 40]);
        batch.delete_range(Cf::Audit, KeyRange::prefix(b"a/".to_vec()));
        let capacity = write_batch_capacity(&batch);
        let size = store.with_db(|db| Ok(write_batch(db, batch)?.size_in_bytes())).unwrap();
        assert!(size <= capacity, "batch of {size} bytes, {capacity} reserved");
        // Each write reserves 16 bytes of framing and takes at least 3 (a tag and two
        // one-byte lengths, or a family id and one length).
        assert!(capacity - size <= 12 * 13, "reserved {capacity} bytes for a batch of {size}");
    }

    #[test]
    fn memtable_buckets_follow_the_budget() {
        assert_eq!(memtable_buckets(&config(32 << 20)), 1 << 16);
        assert_eq!(memtable_buckets(&config(0)), 1 << 17);
        assert_eq!(memtable_buckets(&config(1 << 20)), 1 << 12);
        assert_eq!(memtable_buckets(&config(4 << 30)), 1 << 20);
    }

    #[test]
    fn scans_see_the_memtable_and_the_tables_in_key_order() {
        for cf in POINT_READ_FAMILIES {
            let dir = tempfile::tempdir().unwrap();
            let store = RocksStore::open(dir.path(), &config(32 << 20)).unwrap();
            let put = |keys: &[&[u8]]| {
                let mut batch = Batch::default();
                for key in keys {
                    batch.put(cf, key.to_vec(), key.to_vec());
                }
                store.write(batch).unwrap();
            };
            put(&[b"p1/b", b"p1/d", b"p2/a"]);
            store.with_db(|db| db.flush_cf(handle(db, cf)?).map_err(storage_error)).unwrap();
            put(&[b"p1/a", b"p1/c", b"p0/z"]);
            let range = KeyRange { start: b"p1/".to_vec(), end: b"p10".to_vec() };
            let keys: Vec<_> = store.scan(cf, &range, 10).unwrap().into_iter().map(|(k, _)| k).collect();
            assert_eq!(keys, [&b"p1/a"[..], b"p1/b", b"p1/c", b"p1/d"], "{}", cf.name());
            let first_two = store.scan(cf, &range, 2).unwrap();
            assert_eq!(first_two.len(), 2);
            assert_eq!(store.get(cf, b"p1/b").unwrap().as_deref(), Some(&b"p1/b"[..]));
            assert_eq!(store.get(cf, b"p1/e").unwrap(), None);
        }
    }
}
