//! An in-memory store with the same semantics as the RocksDB store (ordered keys, atomic
//! batches). Used where RocksDB cannot be linked: the fuzz targets of the vault's logic.

use std::collections::BTreeMap;

use parking_lot::RwLock;

use crate::error::Result;
use crate::store::backend::{Batch, KeyRange, Store, WriteOp, take_bounded};
use crate::store::cf::Cf;

/// One column family: ordered keys to values.
type Table = BTreeMap<Vec<u8>, Vec<u8>>;

#[derive(Default)]
pub(crate) struct MemoryStore {
    tables: RwLock<BTreeMap<Cf, Table>>,
}

impl Store for MemoryStore {
    fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.tables.read().get(&cf).and_then(|t| t.get(key).cloned()))
    }

    fn multi_get(&self, cf: Cf, keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>> {
        let tables = self.tables.read();
        let table = tables.get(&cf);
        Ok(keys.iter().map(|k| table.and_then(|t| t.get(k).cloned())).collect())
    }

    fn scan_bounded(
        &self,
        cf: Cf,
        range: &KeyRange,
        limit: usize,
        max_bytes: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        if range.start >= range.end {
            return Ok(Vec::new());
        }
        let tables = self.tables.read();
        let Some(table) = tables.get(&cf) else { return Ok(Vec::new()) };
        let entries = table.range(range.start.clone()..range.end.clone()).map(|(k, v)| Ok((k.clone(), v.clone())));
        take_bounded(entries, limit, max_bytes)
    }

    fn write(&self, batch: Batch) -> Result<()> {
        let mut tables = self.tables.write();
        for op in batch.ops {
            match op {
                WriteOp::Put { cf, key, value } => {
                    tables.entry(cf).or_default().insert(key, value);
                }
                WriteOp::Delete { cf, key } => {
                    if let Some(t) = tables.get_mut(&cf) {
                        t.remove(&key);
                    }
                }
                WriteOp::DeleteRange { cf, range } => {
                    if let Some(t) = tables.get_mut(&cf) {
                        t.retain(|k, _| *k < range.start || *k >= range.end);
                    }
                }
            }
        }
        Ok(())
    }

    fn purge(&self, _ranges: &[(Cf, KeyRange)]) -> Result<()> {
        // Deleted entries are already gone from memory.
        Ok(())
    }

    fn checkpoint(&self, _dir: &std::path::Path) -> Result<()> {
        Err(crate::error::Error::storage("an in-memory vault has no files to checkpoint"))
    }
}
