//! A profile scope: the handle every customer and payment-method operation runs on, with
//! the rights of its holder and the identity the audit chain records.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use crate::error::{Error, ObjectKind, Result};
use crate::model::audit::{AuditAction, AuditActor};
use crate::model::ids::{ApiKeyId, ProfileId};
use crate::model::scope::{Scope, Scopes};
use crate::model::time::Timestamp;
use crate::store::records::ApiKeyRecord;
use crate::store::{Batch, Cf, keys};
use crate::vault::Vault;
use crate::vault::audit::PendingEvent;
use crate::vault::engine::Engine;
use crate::vault::network_tokens::TokenDeletes;
use crate::vault::profiles::ProfileState;
use crate::vault::runtime::{GateGuard, ProfileRuntime};

/// Operations inside one profile. Records of other profiles are invisible: their ids are
/// simply not found. Cheap to clone.
#[derive(Clone)]
pub struct ProfileScope {
    vault: Vault,
    profile_id: ProfileId,
    scopes: Scopes,
    actor: AuditActor,
    /// For a scope made from an API key: what every operation checks again.
    credential: Option<Arc<KeyCredential>>,
}

/// What a scope made from an API key checks at the start of every operation, so that
/// revoking the key, its expiry, or destroying its profile ends the scope too, not only
/// later `authenticate` calls.
pub(crate) struct KeyCredential {
    key_id: ApiKeyId,
    expires_at: Option<Timestamp>,
    /// The key's digest when it authenticated: a record read again must still hold it (one
    /// edited in the files, or made again under the same id, does not).
    digest: [u8; 32],
    /// The runtime of the profile the key was checked in, whose revocations
    /// `checked_at_revocation` counts. Destroying the profile removes it: under another
    /// runtime (a profile made again under the same id) the key is read again, and is not
    /// found there.
    runtime: Weak<ProfileRuntime>,
    /// The profile's revocation count when the key was last read and found live.
    checked_at_revocation: AtomicU64,
}

impl KeyCredential {
    /// `revocations` is `runtime`'s count read before `record` was.
    pub(crate) fn new(record: &ApiKeyRecord, op: &Op, revocations: u64) -> Self {
        Self {
            key_id: record.id.clone(),
            expires_at: record.expires_at,
            digest: record.digest,
            runtime: Arc::downgrade(&op.runtime),
            checked_at_revocation: AtomicU64::new(revocations),
        }
    }

    /// `IR_01` unless the key is still live for the profile `op` runs in. Reads the key's
    /// record only if a key of the profile was revoked since it was last read.
    fn check(&self, op: &Op) -> Result<()> {
        if self.expires_at.is_some_and(|t| t <= op.engine.now()) {
            return Err(Error::Unauthorized { reason: "the API key has expired" });
        }
        let revocations = op.runtime.revocations.load(Ordering::Acquire);
        let same_runtime = std::ptr::eq(self.runtime.as_ptr(), Arc::as_ptr(&op.runtime));
        if same_runtime && revocations == self.checked_at_revocation.load(Ordering::Acquire) {
            return Ok(());
        }
        let record: Option<ApiKeyRecord> =
            op.engine.get_record(Cf::ApiKeys, &keys::record(op.profile(), self.key_id.as_str()))?;
        match record {
            None => Err(Error::Unauthorized { reason: "invalid API key" }),
            Some(record) if record.revoked_at.is_some() => {
                Err(Error::Unauthorized { reason: "the API key was revoked" })
            }
            Some(record) if record.digest != self.digest => Err(Error::Unauthorized { reason: "invalid API key" }),
            Some(_) => {
                if same_runtime {
                    self.checked_at_revocation.store(revocations, Ordering::Release);
                }
                Ok(())
            }
        }
    }
}

impl fmt::Debug for ProfileScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProfileScope")
            .field("profile_id", &self.profile_id)
            .field("scopes", &self.scopes)
            .field("actor", &self.actor)
            .finish()
    }
}

/// One running operation: the engine, the profile's keys as of its start, and the gate
/// that keeps those keys valid until it ends. Network tokens it removed are deleted at
/// the provider when it ends, after its gate is released (`network_tokens::TokenDeletes`).
pub(crate) struct Op {
    pub(crate) engine: Arc<Engine>,
    pub(crate) state: Arc<ProfileState>,
    pub(crate) runtime: Arc<ProfileRuntime>,
    pub(crate) token_deletes: TokenDeletes,
    /// `None` only while the operation ends.
    gate: Option<GateGuard>,
}

impl Op {
    /// Enters the profile as a trusted caller (administrative work, purges).
    pub(crate) fn enter(engine: Arc<Engine>, profile: &str) -> Result<Self> {
        let (runtime, gate) = engine.entered(profile, |runtime| runtime.enter())?;
        let state = engine.profile_state(profile)?;
        Ok(Self { engine, state, runtime, token_deletes: TokenDeletes::default(), gate: Some(gate) })
    }

    pub(crate) fn profile(&self) -> &str {
        self.state.id()
    }

    /// Commits `batch` with `events` in the profile's audit chain.
    pub(crate) fn commit(&self, batch: Batch, events: Vec<PendingEvent>) -> Result<()> {
        self.engine.commit(self.state.id(), batch, events)
    }
}

impl Drop for Op {
    fn drop(&mut self) {
        if self.token_deletes.is_empty() {
            return;
        }
        // The provider is called once the gate is released: a slow one holds up no
        // rotation or destroy of the profile, nor (the gate being fair) the operations
        // queued behind those.
        drop(self.gate.take());
        self.token_deletes.send(&self.engine, self.state.id());
    }
}

impl ProfileScope {
    /// The scope of a trusted in-process caller.
    pub(crate) fn internal(vault: Vault, profile_id: ProfileId) -> Self {
        Self { vault, profile_id, scopes: Scopes::ALL, actor: AuditActor::Internal, credential: None }
    }

    /// The scope of an API key just checked against its record.
    pub(crate) fn for_key(vault: Vault, profile_id: ProfileId, scopes: Scopes, credential: KeyCredential) -> Self {
        let actor = AuditActor::ApiKey(credential.key_id.clone());
        Self { vault, profile_id, scopes, actor, credential: Some(Arc::new(credential)) }
    }

    pub fn profile_id(&self) -> &ProfileId {
        &self.profile_id
    }

    pub fn scopes(&self) -> Scopes {
        self.scopes
    }

    /// Who the audit chain records as acting: `internal` or the API key.
    pub fn actor(&self) -> &AuditActor {
        &self.actor
    }

    /// Starts an operation that needs `scope`. A scope made from an API key that has since
    /// been revoked or expired, or whose profile was destroyed, is refused with `IR_01`;
    /// one without `scope` with `IR_06`. A refusal is recorded in the audit chain (as
    /// `action`, failed) when the profile still exists.
    pub(crate) fn begin(&self, scope: Scope, action: AuditAction) -> Result<Op> {
        let op = match Op::enter(self.vault.engine()?, self.profile_id.as_str()) {
            Ok(op) => op,
            // The key's profile is gone: say no more than a wrong key would.
            Err(Error::NotFound { object: ObjectKind::Profile, .. }) if self.credential.is_some() => {
                return Err(Error::Unauthorized { reason: "invalid API key" });
            }
            Err(e) => return Err(e),
        };
        let refusal = match &self.credential {
            Some(credential) => credential.check(&op).err(),
            None => None,
        };
        let refusal =
            refusal.or_else(|| (!self.scopes.contains(scope)).then(|| Error::Forbidden { scope: scope.as_str() }));
        if let Some(error) = refusal {
            op.commit(Batch::default(), vec![PendingEvent::failure(self.actor.clone(), action, None, &error)])?;
            return Err(error);
        }
        Ok(op)
    }

    /// The vault clock's time (for checks that need no operation).
    pub(crate) fn now(&self) -> Result<Timestamp> {
        Ok(self.vault.engine()?.now())
    }

    /// The audit event of a successful `action` on `object_id`.
    pub(crate) fn event(&self, action: AuditAction, object_id: impl ToString) -> PendingEvent {
        PendingEvent::success(self.actor.clone(), action, Some(object_id.to_string()))
    }
}
