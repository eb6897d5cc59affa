//! Per-profile runtime state that outlives any one snapshot of the profile's keys:
//! the operation gate and the audit commit lane.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use parking_lot::lock_api::ArcRwLockReadGuard;
use parking_lot::{Mutex, RawRwLock, RwLock};

use crate::error::Result;
use crate::store::Batch;
use crate::vault::audit::PendingEvent;
use crate::vault::profile_map::ProfileMap;

/// Held (shared) by every operation for its whole duration; taken exclusively by changes
/// to the profile's key set (rotate, retire, destroy). So an operation never sees keys
/// change under it: it cannot seal with a version that is retired before it commits, nor
/// read a value re-encrypted to a version it does not know.
pub(crate) type GateGuard = ArcRwLockReadGuard<RawRwLock, ()>;

/// A write waiting in the profile's commit lane.
pub(crate) struct Pending {
    pub(crate) batch: Batch,
    pub(crate) events: Vec<PendingEvent>,
    pub(crate) result: Arc<OnceLock<Result<()>>>,
}

/// The head of the profile's audit chain, as committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ChainHead {
    pub(crate) next_seq: u64,
    pub(crate) last_hash: [u8; 32],
}

pub(crate) struct ProfileRuntime {
    pub(crate) gate: Arc<RwLock<()>>,
    /// Writes queued for the next commit.
    pub(crate) queue: Mutex<Vec<Pending>>,
    /// Held by the committing leader; guards the chain head (`None` until loaded).
    pub(crate) commit: Mutex<Option<ChainHead>>,
    /// Counts revocations of the profile's API keys, so that a scope made from a key
    /// re-reads the key only after one (`scope::KeyCredential`).
    pub(crate) revocations: AtomicU64,
    /// Set when the profile is destroyed, under its exclusive gate (`Runtimes::remove`): a
    /// caller that took this runtime before and its gate after must not run under it.
    retired: AtomicBool,
}

impl ProfileRuntime {
    fn new() -> Self {
        Self {
            gate: Arc::new(RwLock::new(())),
            queue: Mutex::new(Vec::new()),
            commit: Mutex::new(None),
            revocations: AtomicU64::new(0),
            retired: AtomicBool::new(false),
        }
    }

    /// Whether the profile this runtime belonged to was destroyed (read with its gate held).
    pub(crate) fn is_retired(&self) -> bool {
        self.retired.load(Ordering::Acquire)
    }

    pub(crate) fn enter(&self) -> GateGuard {
        self.gate.read_arc()
    }
}

#[derive(Default)]
pub(crate) struct Runtimes {
    by_profile: RwLock<ProfileMap<Arc<ProfileRuntime>>>,
}

impl Runtimes {
    /// The profile's runtime, made on first use. Callers with an id from outside go through
    /// `Engine::runtime`, which makes one only for a profile that exists.
    pub(crate) fn get(&self, profile: &str) -> Arc<ProfileRuntime> {
        if let Some(runtime) = self.existing(profile) {
            return runtime;
        }
        self.by_profile.write().entry(profile.to_owned()).or_insert_with(|| Arc::new(ProfileRuntime::new())).clone()
    }

    /// The profile's runtime if one was made.
    pub(crate) fn existing(&self, profile: &str) -> Option<Arc<ProfileRuntime>> {
        self.by_profile.read().get(profile).cloned()
    }

    /// Forgets a destroyed profile's runtime. Call it with the runtime's gate held
    /// exclusively: whoever enters the gate next sees it retired.
    pub(crate) fn remove(&self, profile: &str) {
        if let Some(runtime) = self.by_profile.write().remove(profile) {
            runtime.retired.store(true, Ordering::Release);
        }
    }
}
