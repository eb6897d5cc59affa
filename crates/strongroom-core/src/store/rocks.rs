//! The RocksDB store: one database per vault directory, one column family per record kind.

use std::path::Path;

use rocksdb::checkpoint::Checkpoint;
use rocksdb::{
    BlockBasedOptions, BottommostLevelCompaction, Cache, ColumnFamily, ColumnFamilyDescriptor, CompactOptions, DB,
    DBCompressionType, FlushOptions, IteratorMode, LruCacheOptions, Options, ReadOptions, WriteBatch, WriteOptions,
};

use crate::error::{Error, Result};
use crate::store::backend::{Batch, KeyRange, Store, WriteOp};
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
}

pub(crate) struct RocksStore {
    db: DB,
    write_options: WriteOptions,
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

/// Opens RocksDB with the vault's options and column families (also what the benches' raw
/// RocksDB peer opens, through `internals`, so both measure the same configuration).
pub(crate) fn open_db(path: &Path, config: &RocksConfig) -> Result<DB> {
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
    db_options.create_if_missing(true);
    db_options.create_missing_column_families(true);
    db_options.set_max_background_jobs(2);
    db_options.set_keep_log_file_num(4);
    db_options.set_paranoid_checks(true);
    // No WAL recycling (`recycle_log_file_num`): it makes a synced write ~30–40 % cheaper once
    // logs have been retired (BENCHMARKS.md), but a recycled log keeps what it held until
    // overwritten, and `destroy_profile` needs a destroyed profile's bytes, its salt above
    // all, to leave the files (tests/maintenance.rs checks it in a running vault).
    if config.memtable_budget_bytes > 0 {
        db_options.set_db_write_buffer_size(config.memtable_budget_bytes);
    }

    let descriptors = Cf::ALL.iter().map(|cf| ColumnFamilyDescriptor::new(cf.name(), cf_options.clone()));
    DB::open_cf_descriptors(&db_options, path, descriptors).map_err(storage_error)
}

impl RocksStore {
    pub(crate) fn open(path: &Path, config: &RocksConfig) -> Result<Self> {
        let db = open_db(path, config)?;
        let mut write_options = WriteOptions::default();
        write_options.set_sync(config.sync_writes);
        Ok(Self { db, write_options })
    }

    fn handle(&self, cf: Cf) -> Result<&ColumnFamily> {
        self.db.cf_handle(cf.name()).ok_or_else(|| Error::storage(format!("column family `{}` is missing", cf.name())))
    }
}

impl Store for RocksStore {
    fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.db.get_cf(self.handle(cf)?, key).map_err(storage_error)
    }

    fn multi_get(&self, cf: Cf, keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>> {
        self.db
            .batched_multi_get_cf(self.handle(cf)?, keys, false)
            .into_iter()
            .map(|value| value.map(|v| v.map(|slice| slice.to_vec())).map_err(storage_error))
            .collect()
    }

    fn scan(&self, cf: Cf, range: &KeyRange, limit: usize) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut read = ReadOptions::default();
        read.set_iterate_lower_bound(range.start.clone());
        read.set_iterate_upper_bound(range.end.clone());
        let mut out = Vec::new();
        for entry in self.db.iterator_cf_opt(self.handle(cf)?, read, IteratorMode::Start).take(limit) {
            let (key, value) = entry.map_err(storage_error)?;
            out.push((key.into_vec(), value.into_vec()));
        }
        Ok(out)
    }

    fn write(&self, batch: Batch) -> Result<()> {
        let mut wb = WriteBatch::default();
        for op in batch.ops {
            match op {
                WriteOp::Put { cf, key, value } => wb.put_cf(self.handle(cf)?, key, value),
                WriteOp::Delete { cf, key } => wb.delete_cf(self.handle(cf)?, key),
                WriteOp::DeleteRange { cf, range } => wb.delete_range_cf(self.handle(cf)?, range.start, range.end),
            }
        }
        self.db.write_opt(wb, &self.write_options).map_err(storage_error)
    }

    fn purge(&self, ranges: &[(Cf, KeyRange)]) -> Result<()> {
        let handles = Cf::ALL.iter().map(|cf| self.handle(*cf)).collect::<Result<Vec<_>>>()?;
        let mut flush = FlushOptions::default();
        flush.set_wait(true);
        self.db.flush_cfs_opt(&handles, &flush).map_err(storage_error)?;
        let mut compact = CompactOptions::default();
        compact.set_bottommost_level_compaction(BottommostLevelCompaction::Force);
        compact.set_exclusive_manual_compaction(true);
        for (cf, range) in ranges {
            self.db.compact_range_cf_opt(self.handle(*cf)?, Some(&range.start), Some(&range.end), &compact);
        }
        Ok(())
    }

    fn checkpoint(&self, dir: &Path) -> Result<()> {
        Checkpoint::new(&self.db).and_then(|c| c.create_checkpoint(dir)).map_err(storage_error)
    }
}
