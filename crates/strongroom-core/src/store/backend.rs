//! The storage seam: point get, multi-get, ordered range scan and atomic batch. The vault
//! needs nothing else from a store.

use crate::error::Result;
use crate::store::cf::Cf;

/// One write of a batch.
#[derive(Debug)]
pub(crate) enum WriteOp {
    Put { cf: Cf, key: Vec<u8>, value: Vec<u8> },
    Delete { cf: Cf, key: Vec<u8> },
    DeleteRange { cf: Cf, range: KeyRange },
}

/// Writes applied atomically: all or none.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub(crate) ops: Vec<WriteOp>,
}

impl Batch {
    pub(crate) fn put(&mut self, cf: Cf, key: Vec<u8>, value: Vec<u8>) {
        self.ops.push(WriteOp::Put { cf, key, value });
    }

    pub(crate) fn delete(&mut self, cf: Cf, key: Vec<u8>) {
        self.ops.push(WriteOp::Delete { cf, key });
    }

    /// Deletes every key of `range`.
    pub(crate) fn delete_range(&mut self, cf: Cf, range: KeyRange) {
        self.ops.push(WriteOp::DeleteRange { cf, range });
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Appends `other`'s writes after this batch's.
    pub(crate) fn append(&mut self, mut other: Batch) {
        self.ops.append(&mut other.ops);
    }
}

/// Keys from `start` (inclusive) to `end` (exclusive).
#[derive(Clone, Debug)]
pub(crate) struct KeyRange {
    pub(crate) start: Vec<u8>,
    pub(crate) end: Vec<u8>,
}

impl KeyRange {
    /// Every key that starts with `prefix`.
    pub(crate) fn prefix(prefix: Vec<u8>) -> Self {
        let end = successor(&prefix);
        Self { start: prefix, end }
    }

    /// Keys that start with `prefix` and sort after `after` (for pagination).
    pub(crate) fn prefix_after(prefix: Vec<u8>, after: Option<&[u8]>) -> Self {
        let mut range = Self::prefix(prefix);
        if let Some(after) = after {
            let mut start = after.to_vec();
            start.push(0);
            if start > range.start {
                range.start = start;
            }
        }
        range
    }
}

/// Keys and values one chunk of a long scan holds at most (plus its last entry): a record
/// may carry up to 50 metadata entries, tens of KB, so a count alone does not bound it.
pub(crate) const SCAN_CHUNK_BYTES: usize = 8 << 20;

/// Bytes of keys and values in `entries`.
fn entry_bytes(entries: &[(Vec<u8>, Vec<u8>)]) -> usize {
    entries.iter().map(|(k, v)| k.len() + v.len()).sum()
}

/// The leading entries of `entries` that [`Store::scan_bounded`] returns: up to `limit`,
/// ending with the one that brings the bytes read to `max_bytes`. Pulls no entry past them.
pub(crate) fn take_bounded(
    entries: impl Iterator<Item = Result<(Vec<u8>, Vec<u8>)>>,
    limit: usize,
    max_bytes: usize,
) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let (mut out, mut bytes) = (Vec::new(), 0);
    if limit == 0 {
        return Ok(out);
    }
    for entry in entries {
        let (key, value) = entry?;
        bytes += key.len() + value.len();
        out.push((key, value));
        if out.len() >= limit || bytes >= max_bytes {
            break;
        }
    }
    Ok(out)
}

/// Whether a [`Store::scan_bounded`] result stopped at one of its bounds, so that the
/// range may hold more after it.
pub(crate) fn chunk_is_full(entries: &[(Vec<u8>, Vec<u8>)], limit: usize, max_bytes: usize) -> bool {
    entries.len() >= limit || entry_bytes(entries) >= max_bytes
}

/// Calls `f` on every entry of `range`, in key order, reading at most `limit` entries and
/// about `max_bytes` at a time.
pub(crate) fn scan_in_chunks(
    store: &dyn Store,
    cf: Cf,
    range: &KeyRange,
    limit: usize,
    max_bytes: usize,
    mut f: impl FnMut(&[u8], &[u8]) -> Result<()>,
) -> Result<()> {
    let mut range = range.clone();
    loop {
        let entries = store.scan_bounded(cf, &range, limit, max_bytes)?;
        for (key, value) in &entries {
            f(key, value)?;
        }
        match entries.last() {
            Some((last, _)) if chunk_is_full(&entries, limit, max_bytes) => {
                range.start = [last.as_slice(), &[0]].concat()
            }
            _ => return Ok(()),
        }
    }
}

/// The smallest key greater than every key starting with `prefix`.
fn successor(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return end;
        }
    }
    // The prefix is all 0xFF (or empty): no finite bound; use a key above any we write.
    vec![u8::MAX; prefix.len() + 1]
}

/// A key-value store with column families.
pub(crate) trait Store: Send + Sync {
    fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// Hands the value under `key` (`None` when absent) to `read` where the store holds it,
    /// without a copy when the store can (RocksDB: a pinned block-cache or memtable slice).
    fn get_in_place(&self, cf: Cf, key: &[u8], read: &mut dyn FnMut(Option<&[u8]>) -> Result<()>) -> Result<()> {
        read(self.get(cf, key)?.as_deref())
    }

    /// Values for `keys`, in the same order.
    fn multi_get(&self, cf: Cf, keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>>;

    /// Up to `limit` entries of `range`, in key order.
    fn scan(&self, cf: Cf, range: &KeyRange, limit: usize) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.scan_bounded(cf, range, limit, usize::MAX)
    }

    /// Up to `limit` entries of `range`, in key order, ending with the entry that brings
    /// the keys and values read to `max_bytes` or more (so never empty while the range
    /// holds an entry).
    fn scan_bounded(&self, cf: Cf, range: &KeyRange, limit: usize, max_bytes: usize)
    -> Result<Vec<(Vec<u8>, Vec<u8>)>>;

    /// Applies every write of `batch` atomically.
    fn write(&self, batch: Batch) -> Result<()>;

    /// Makes data deleted from `ranges` physically gone from the store's files: no table
    /// and no write-ahead log, kept for reuse or not, may still hold the old values
    /// afterwards (RocksDB: flush, compact the ranges, reopen).
    fn purge(&self, ranges: &[(Cf, KeyRange)]) -> Result<()>;

    /// A consistent copy of the whole store in a new directory `dir`.
    fn checkpoint(&self, dir: &std::path::Path) -> Result<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(KeyRange::prefix(b"ab\0".to_vec()).end, b"ab\x01");
        assert_eq!(KeyRange::prefix(vec![1, 0xff]).end, vec![2]);
        let r = KeyRange::prefix_after(b"p\0".to_vec(), Some(b"p\0cus_1"));
        assert_eq!(r.start, b"p\0cus_1\0");
        let r = KeyRange::prefix_after(b"p\0".to_vec(), Some(b"a"));
        assert_eq!(r.start, b"p\0", "a cursor before the prefix does not widen the range");
    }
}
