//! Reports of the vault's maintenance operations: re-encryption, verification, statistics.

use std::collections::BTreeMap;

use crate::model::ids::ProfileId;

/// Where a re-encryption stands; passed to the progress callback after every batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReencryptProgress {
    pub profile_id: ProfileId,
    /// The kind of record being moved (`customers`, `payment_methods`, `cvc`, `audit`, …).
    pub phase: &'static str,
    /// Records looked at so far.
    pub scanned: u64,
    /// Records whose sealed values were sealed again so far: moved to the newest key
    /// version, or (a card's) bound to the record's clear fields.
    pub reencrypted: u64,
}

/// The outcome of a re-encryption run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReencryptReport {
    pub profile_id: ProfileId,
    pub scanned: u64,
    /// Records whose sealed values were sealed again (see [`ReencryptProgress`]).
    pub reencrypted: u64,
    /// `false` when the progress callback stopped the run; running it again resumes.
    pub complete: bool,
    /// Key versions retired by this run (their values are gone).
    pub retired_versions: Vec<u32>,
}

/// How a re-encryption run works.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReencryptOptions {
    /// Records per atomic batch.
    pub batch_size: usize,
}

impl Default for ReencryptOptions {
    fn default() -> Self {
        Self { batch_size: 256 }
    }
}

/// Counts of one profile's records, and of its sealed values per key version.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfileStats {
    pub profile_id: Option<ProfileId>,
    pub customers: u64,
    pub redacted_customers: u64,
    pub payment_methods: u64,
    pub stored_cvcs: u64,
    pub api_keys: u64,
    pub audit_events: u64,
    /// Customer, payment method and CVC records whose stored bytes failed their integrity
    /// check: not counted above (`verify` says which they are).
    pub unreadable_records: u64,
    /// Sealed values by the key version they are sealed with.
    pub sealed_values_by_key_version: BTreeMap<u32, u64>,
}

impl ProfileStats {
    pub(crate) fn add(&mut self, other: &ProfileStats) {
        self.customers += other.customers;
        self.redacted_customers += other.redacted_customers;
        self.payment_methods += other.payment_methods;
        self.stored_cvcs += other.stored_cvcs;
        self.api_keys += other.api_keys;
        self.audit_events += other.audit_events;
        self.unreadable_records += other.unreadable_records;
        for (v, n) in &other.sealed_values_by_key_version {
            *self.sealed_values_by_key_version.entry(*v).or_default() += n;
        }
    }
}

/// Counts for the whole vault and per profile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VaultStats {
    pub profiles: u64,
    /// The sums over every profile (`profile_id` is `None`).
    pub total: ProfileStats,
    pub per_profile: Vec<ProfileStats>,
}

/// What `verify` found wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProblemKind {
    /// A stored value does not decode or does not open (altered, moved, or its key is gone).
    UnreadableValue,
    /// An index entry points to a record that does not exist or does not match.
    OrphanIndexEntry,
    /// A record lacks an index entry it should have.
    MissingIndexEntry,
    /// The profile's audit chain is broken.
    AuditChain,
}

/// One problem `verify` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyProblem {
    pub profile_id: ProfileId,
    pub kind: ProblemKind,
    /// The column family and record id concerned (`payment_methods/pm_…`).
    pub location: String,
    pub detail: String,
}

/// Progress of `verify`, after each profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyProgress {
    pub profiles_done: u64,
    pub profiles_total: u64,
    pub records_checked: u64,
}

/// The result of `verify`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    pub profiles: u64,
    pub records_checked: u64,
    pub values_opened: u64,
    pub index_entries_checked: u64,
    pub audit_events_checked: u64,
    pub problems: Vec<VerifyProblem>,
}

impl VerifyReport {
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}
