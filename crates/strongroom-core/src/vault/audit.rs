//! The audit chain: every write of a profile appends events to a per-profile hash chain,
//! committed in the same atomic batch as the write itself.
//!
//! Writes of one profile pass through its commit lane: each caller queues its batch and
//! events, and whichever caller takes the lane commits everything queued as one batch —
//! chaining the events in queue order — with one fsync. Concurrent writers share commits
//! (group commit) instead of waiting for each other's.

use std::sync::{Arc, OnceLock};

use sha2::{Digest, Sha256};

use crate::crypto::KeyPurpose;
use crate::error::{Error, Result};
use crate::model::audit::{AuditAction, AuditActor, AuditEvent, AuditOutcome, AuditVerification};
use crate::model::ids::ProfileId;
use crate::store::codec;
use crate::store::records::{AuditEventRecord, AuditHeadRecord};
use crate::store::{Batch, Cf, KeyRange, keys};
use crate::vault::Vault;
use crate::vault::contexts;
use crate::vault::engine::Engine;
use crate::vault::profiles::ProfileState;
use crate::vault::runtime::{ChainHead, Pending};

/// An event to append when its write commits.
#[derive(Clone, Debug)]
pub(crate) struct PendingEvent {
    pub(crate) actor: AuditActor,
    pub(crate) action: AuditAction,
    pub(crate) object_id: Option<String>,
    pub(crate) outcome: AuditOutcome,
}

impl PendingEvent {
    pub(crate) fn success(actor: AuditActor, action: AuditAction, object_id: Option<String>) -> Self {
        Self { actor, action, object_id, outcome: AuditOutcome::Success }
    }

    pub(crate) fn failure(actor: AuditActor, action: AuditAction, object_id: Option<String>, error: &Error) -> Self {
        Self { actor, action, object_id, outcome: AuditOutcome::Failure { code: error.code().to_owned() } }
    }
}

const GENESIS: [u8; 32] = [0; 32];

/// The chain hash of an event: SHA-256 over a domain label and the event's encoding
/// (which carries the previous hash).
fn chain_hash(encoded_event: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"strongroom/v1/audit");
    h.update(encoded_event);
    h.finalize().into()
}

fn open_event(state: &ProfileState, seq: u64, sealed: &[u8]) -> Result<(AuditEventRecord, [u8; 32])> {
    let seq_text = seq.to_string();
    let plain = state.keys.open(KeyPurpose::Data, &contexts::audit_event(state.id(), &seq_text), sealed)?;
    Ok((codec::decode(&plain)?, chain_hash(&plain)))
}

fn to_event(record: AuditEventRecord) -> AuditEvent {
    AuditEvent {
        seq: record.seq,
        at: record.at,
        actor: record.actor,
        action: record.action,
        object_id: record.object_id,
        outcome: record.outcome,
    }
}

pub(crate) fn seal_head(state: &ProfileState, head: ChainHead) -> Result<Vec<u8>> {
    let record = AuditHeadRecord { next_seq: head.next_seq, last_hash: head.last_hash };
    state.keys.seal(KeyPurpose::Data, &contexts::audit_head(state.id()), &codec::encode(&record)?)
}

fn open_head(state: &ProfileState, sealed: &[u8]) -> Result<ChainHead> {
    let record: AuditHeadRecord =
        codec::decode(&state.keys.open(KeyPurpose::Data, &contexts::audit_head(state.id()), sealed)?)?;
    Ok(ChainHead { next_seq: record.next_seq, last_hash: record.last_hash })
}

impl Engine {
    /// Commits `batch` and appends `events` to the profile's audit chain, atomically.
    pub(crate) fn commit(&self, profile: &str, batch: Batch, events: Vec<PendingEvent>) -> Result<()> {
        let runtime = self.runtimes.get(profile);
        let result = Arc::new(OnceLock::new());
        runtime.queue.lock().push(Pending { batch, events, result: result.clone() });
        let mut head = runtime.commit.lock();
        if let Some(done) = result.get() {
            return done.clone();
        }
        let pending = std::mem::take(&mut *runtime.queue.lock());
        let slots: Vec<_> = pending.iter().map(|p| p.result.clone()).collect();
        let outcome = self.commit_group(profile, &mut head, pending);
        for slot in slots {
            // Each queued write learns the group's outcome; ours is among them.
            let _ = slot.set(outcome.clone());
        }
        outcome
    }

    fn commit_group(&self, profile: &str, head: &mut Option<ChainHead>, pending: Vec<Pending>) -> Result<()> {
        let state = self.profile_state(profile)?;
        let start = match *head {
            Some(h) => h,
            None => self.load_chain_head(&state)?,
        };
        let now = self.now();
        let mut next = start;
        let mut merged = Batch::default();
        for p in pending {
            for event in p.events {
                let record = AuditEventRecord {
                    seq: next.next_seq,
                    at: now,
                    actor: event.actor,
                    action: event.action,
                    object_id: event.object_id,
                    outcome: event.outcome,
                    prev_hash: next.last_hash,
                };
                let encoded = codec::encode(&record)?;
                let seq_text = record.seq.to_string();
                let sealed = state.keys.seal(KeyPurpose::Data, &contexts::audit_event(profile, &seq_text), &encoded)?;
                merged.put(Cf::Audit, keys::audit_event(profile, record.seq), sealed);
                next = ChainHead { next_seq: record.seq + 1, last_hash: chain_hash(&encoded) };
            }
            merged.append(p.batch);
        }
        if next != start {
            merged.put(Cf::Audit, keys::audit_head(profile), seal_head(&state, next)?);
        }
        if !merged.is_empty() {
            self.store.write(merged)?;
        }
        *head = Some(next);
        Ok(())
    }

    pub(crate) fn load_chain_head(&self, state: &ProfileState) -> Result<ChainHead> {
        match self.store.get(Cf::Audit, &keys::audit_head(state.id()))? {
            Some(sealed) => open_head(state, &sealed),
            None => Ok(ChainHead { next_seq: 0, last_hash: GENESIS }),
        }
    }

    /// Walks a profile's chain: every event must open, carry its position, and link to
    /// the one before; the sealed head must match the end.
    pub(crate) fn verify_chain(&self, state: &ProfileState) -> Result<AuditVerification> {
        let mut expected = ChainHead { next_seq: 0, last_hash: GENESIS };
        let broken = |at: u64, events: u64, problem: &str| AuditVerification {
            events,
            first_bad: Some(at),
            problem: Some(problem.to_owned()),
        };
        let mut range = KeyRange::prefix(keys::audit_events_prefix(state.id()));
        loop {
            let entries = self.store.scan(Cf::Audit, &range, 1000)?;
            let Some((last, _)) = entries.last() else { break };
            range.start = [last.as_slice(), &[0]].concat();
            let full = entries.len() == 1000;
            for (key, sealed) in entries {
                let at = expected.next_seq;
                let Some(seq) = keys::audit_seq(&key) else { return Ok(broken(at, at, "malformed event key")) };
                if seq != at {
                    return Ok(broken(at, at, "event missing (removed or reordered)"));
                }
                let Ok((record, hash)) = open_event(state, seq, &sealed) else {
                    return Ok(broken(at, at, "event altered or moved (does not open)"));
                };
                if record.seq != seq || record.prev_hash != expected.last_hash {
                    return Ok(broken(at, at, "event does not link to the one before"));
                }
                expected = ChainHead { next_seq: seq + 1, last_hash: hash };
            }
            if !full {
                break;
            }
        }
        let events = expected.next_seq;
        match self.store.get(Cf::Audit, &keys::audit_head(state.id()))? {
            None if events == 0 => {}
            None => return Ok(broken(events, events, "chain head missing")),
            Some(sealed) => match open_head(state, &sealed) {
                Ok(head) if head == expected => {}
                Ok(head) if head.next_seq > events => {
                    return Ok(broken(events, events, "events missing at the end of the chain"));
                }
                _ => return Ok(broken(events, events, "chain head does not match the last event")),
            },
        }
        Ok(AuditVerification { events, first_bad: None, problem: None })
    }
}

impl Vault {
    /// Up to `limit` audit events of a profile, from position `from` on.
    pub fn list_audit(&self, profile_id: &ProfileId, from: u64, limit: u32) -> Result<Vec<AuditEvent>> {
        if limit == 0 || limit > 1000 {
            return Err(Error::invalid("limit", "must be between 1 and 1000"));
        }
        let engine = self.engine()?;
        let _gate = engine.runtimes.get(profile_id.as_str()).enter();
        let state = engine.profile_state(profile_id.as_str())?;
        let range = KeyRange {
            start: keys::audit_event(state.id(), from),
            end: KeyRange::prefix(keys::audit_events_prefix(state.id())).end,
        };
        engine
            .store
            .scan(Cf::Audit, &range, limit as usize)?
            .into_iter()
            .map(|(key, sealed)| {
                let seq = keys::audit_seq(&key).ok_or_else(|| Error::integrity("audit event key"))?;
                Ok(to_event(open_event(&state, seq, &sealed)?.0))
            })
            .collect()
    }

    /// Checks a profile's audit chain; names the first bad position if it is broken.
    pub fn verify_audit(&self, profile_id: &ProfileId) -> Result<AuditVerification> {
        let engine = self.engine()?;
        let _gate = engine.runtimes.get(profile_id.as_str()).enter();
        let state = engine.profile_state(profile_id.as_str())?;
        engine.verify_chain(&state)
    }
}
