//! A profile scope: the handle every customer and payment-method operation runs on, with
//! the rights of its holder and the identity the audit chain records.

use std::fmt;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::model::audit::{AuditAction, AuditActor};
use crate::model::ids::ProfileId;
use crate::model::scope::{Scope, Scopes};
use crate::store::Batch;
use crate::vault::Vault;
use crate::vault::audit::PendingEvent;
use crate::vault::engine::Engine;
use crate::vault::profiles::ProfileState;
use crate::vault::runtime::GateGuard;

/// Operations inside one profile. Records of other profiles are invisible: their ids are
/// simply not found. Cheap to clone.
#[derive(Clone)]
pub struct ProfileScope {
    vault: Vault,
    profile_id: ProfileId,
    scopes: Scopes,
    actor: AuditActor,
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
/// that keeps those keys valid until it ends.
pub(crate) struct Op {
    pub(crate) engine: Arc<Engine>,
    pub(crate) state: Arc<ProfileState>,
    _gate: GateGuard,
}

impl Op {
    /// Enters the profile as a trusted caller (administrative work, purges).
    pub(crate) fn enter(engine: Arc<Engine>, profile: &str) -> Result<Self> {
        let gate = engine.runtime(profile)?.enter();
        let state = engine.profile_state(profile)?;
        Ok(Self { engine, state, _gate: gate })
    }

    pub(crate) fn profile(&self) -> &str {
        self.state.id()
    }

    /// Commits `batch` with `events` in the profile's audit chain.
    pub(crate) fn commit(&self, batch: Batch, events: Vec<PendingEvent>) -> Result<()> {
        self.engine.commit(self.state.id(), batch, events)
    }
}

impl ProfileScope {
    pub(crate) fn new(vault: Vault, profile_id: ProfileId, scopes: Scopes, actor: AuditActor) -> Self {
        Self { vault, profile_id, scopes, actor }
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

    /// Starts an operation that needs `scope`. Without it the attempt is recorded in the
    /// audit chain (as `action`, failed with `IR_06`) and refused.
    pub(crate) fn begin(&self, scope: Scope, action: AuditAction) -> Result<Op> {
        let op = Op::enter(self.vault.engine()?, self.profile_id.as_str())?;
        if !self.scopes.contains(scope) {
            let error = Error::Forbidden { scope: scope.as_str() };
            op.commit(Batch::default(), vec![PendingEvent::failure(self.actor.clone(), action, None, &error)])?;
            return Err(error);
        }
        Ok(op)
    }

    /// The audit event of a successful `action` on `object_id`.
    pub(crate) fn event(&self, action: AuditAction, object_id: impl ToString) -> PendingEvent {
        PendingEvent::success(self.actor.clone(), action, Some(object_id.to_string()))
    }
}
