//! The audit chain: every write of a profile appends events to a per-profile hash chain,
//! committed in the same atomic batch as the write itself.
//!
//! From vault format 3 on, events and the head are stored in clear (events never hold card
//! or personal data) and each carries a keyed mac (`crypto::chain_mac`): an event's mac
//! covers its position, its content and the mac before it, so a removed, edited, swapped
//! or inserted event is found at its position, and the head's mac keeps the tail from
//! being cut off. Formats 1 and 2 sealed every event and the head instead, chaining plain
//! SHA-256 hashes; such events stay as they are, still verify, and the first new event
//! links to the last of them.
//!
//! What no head stored in the files can stop is a rollback: an older copy of the head put
//! back (from a backup, or a copy taken earlier) with every later event deleted verifies as
//! a shorter chain. The sealed head of formats 1 and 2 allowed the same while its key
//! version was live. A host that must detect it keeps the chain's length (`verify_audit`'s
//! `events`) somewhere the vault's files are not.
//!
//! Writes of one profile pass through its commit lane: each caller queues its batch and
//! events, and whichever caller takes the lane commits everything queued as one batch —
//! chaining the events in queue order — with one fsync. Concurrent writers share commits
//! (group commit) instead of waiting for each other's.

use std::sync::{Arc, OnceLock};

use sha2::{Digest, Sha256};

use crate::crypto::chain_mac::{self, ChainKey};
use crate::crypto::{KeyPurpose, envelope};
use crate::error::{Error, Result};
use crate::model::audit::{AuditAction, AuditActor, AuditEvent, AuditOutcome, AuditVerification};
use crate::model::ids::ProfileId;
use crate::store::codec;
use crate::store::records::{AuditEventBody, AuditEventRecord, AuditHeadRecord, MacedAuditHead};
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

/// Whether a stored audit value is sealed (vault formats 1 and 2) rather than maced.
pub(crate) fn is_sealed(value: &[u8]) -> bool {
    value.starts_with(&envelope::MAGIC)
}

/// The chain hash of an event sealed by vault formats 1 and 2: SHA-256 over a domain label
/// and the event's encoding (which carries the previous hash).
fn legacy_chain_hash(encoded_event: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"strongroom/v1/audit");
    h.update(encoded_event);
    h.finalize().into()
}

fn open_legacy_event(state: &ProfileState, seq: u64, sealed: &[u8]) -> Result<(AuditEventRecord, [u8; 32])> {
    let seq_text = seq.to_string();
    let plain = state.keys.open(KeyPurpose::Data, &contexts::audit_event(state.id(), &seq_text), sealed)?;
    Ok((codec::decode(&plain)?, legacy_chain_hash(&plain)))
}

/// A stored event that links to the one before it, and the chain value the next one links to.
struct Linked {
    event: AuditEvent,
    chain: [u8; 32],
}

/// The stored form of an event from vault format 3 on: its encoding, then its chain mac
/// over exactly those bytes (so the mac never depends on how a later build encodes).
fn maced_event(
    chain_key: &ChainKey,
    seq: u64,
    previous: &[u8; 32],
    body: &AuditEventBody,
) -> Result<(Vec<u8>, [u8; 32])> {
    let mut value = codec::encode(body)?;
    let mac = chain_key.event(seq, previous, &value);
    value.extend_from_slice(&mac);
    Ok((value, mac))
}

/// A maced event's encoded body and its mac.
fn split_maced(value: &[u8]) -> Option<(&[u8], [u8; 32])> {
    let (body, mac) = value.split_at_checked(value.len().checked_sub(MAC_LEN)?)?;
    Some((body, mac.try_into().ok()?))
}

const MAC_LEN: usize = 32;

/// Reads the stored event at `seq` and checks that it links to `previous`, the chain value
/// of the event before it; the error says what is wrong with the chain there.
fn link(
    state: &ProfileState,
    seq: u64,
    value: &[u8],
    previous: &[u8; 32],
) -> std::result::Result<Linked, &'static str> {
    if is_sealed(value) {
        let Ok((record, chain)) = open_legacy_event(state, seq, value) else {
            return Err("event altered or moved (does not open)");
        };
        if record.seq != seq || record.prev_hash != *previous {
            return Err("event does not link to the one before");
        }
        return Ok(Linked { event: to_event(seq, record.body), chain });
    }
    let Some((body, mac)) = split_maced(value) else { return Err("event damaged (too short)") };
    let Ok(chain_key) = state.chain_key() else { return Err("the profile's audit chain key does not open") };
    if !chain_mac::macs_equal(&chain_key.event(seq, previous, body), &mac) {
        return Err("event altered, moved, or does not link to the one before");
    }
    let Ok(body) = codec::decode(body) else { return Err("event damaged (does not decode)") };
    Ok(Linked { event: to_event(seq, body), chain: mac })
}

fn to_event(seq: u64, body: AuditEventBody) -> AuditEvent {
    let AuditEventBody { at, actor, action, object_id, outcome } = body;
    AuditEvent { seq, at, actor, action, object_id, outcome }
}

/// The chain value of the stored event at `seq`, unchecked (where a listing starts).
fn chain_value(state: &ProfileState, seq: u64, value: &[u8]) -> Result<[u8; 32]> {
    if is_sealed(value) {
        return Ok(open_legacy_event(state, seq, value)?.1);
    }
    split_maced(value).map(|(_, mac)| mac).ok_or_else(|| Error::integrity("audit event"))
}

/// The stored form of a chain head: in clear, with its mac.
pub(crate) fn head_value(state: &ProfileState, head: ChainHead) -> Result<Vec<u8>> {
    let mac = state.chain_key()?.head(head.next_seq, &head.last_hash);
    codec::encode(&MacedAuditHead { head: AuditHeadRecord { next_seq: head.next_seq, last_hash: head.last_hash }, mac })
}

/// Reads a stored chain head, maced or (vault formats 1 and 2) sealed.
pub(crate) fn read_head(state: &ProfileState, value: &[u8]) -> Result<ChainHead> {
    let record = if is_sealed(value) {
        codec::decode::<AuditHeadRecord>(&state.keys.open(
            KeyPurpose::Data,
            &contexts::audit_head(state.id()),
            value,
        )?)?
    } else {
        let stored: MacedAuditHead = codec::decode(value)?;
        let expected = state.chain_key()?.head(stored.head.next_seq, &stored.head.last_hash);
        if !chain_mac::macs_equal(&expected, &stored.mac) {
            return Err(Error::integrity("audit chain head"));
        }
        stored.head
    };
    Ok(ChainHead { next_seq: record.next_seq, last_hash: record.last_hash })
}

/// The outcome slots of the writes a leader took from the queue. Should the group's commit
/// unwind (a host's clock that panics, a bug), each of those writes learns that it failed:
/// the lane's lock does not poison, and a waiting writer would otherwise find its write
/// gone from the queue with no outcome, and report success for a write never stored.
struct FailOnUnwind<'a>(&'a [Arc<OnceLock<Result<()>>>]);

impl Drop for FailOnUnwind<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for slot in self.0 {
                let _ = slot.set(Err(Error::storage("the commit this write was part of did not finish")));
            }
        }
    }
}

impl Engine {
    /// Commits `batch` and appends `events` to the profile's audit chain, atomically.
    pub(crate) fn commit(&self, profile: &str, batch: Batch, events: Vec<PendingEvent>) -> Result<()> {
        self.commit_in(profile, None, batch, events)
    }

    /// Commits a new profile's first write. Its keys come from `state`, which is not cached
    /// yet: the caller caches it once the write is in, so that no other call can reach the
    /// profile before it exists.
    pub(crate) fn commit_new_profile(
        &self,
        state: &Arc<ProfileState>,
        batch: Batch,
        events: Vec<PendingEvent>,
    ) -> Result<()> {
        self.commit_in(state.id(), Some(state), batch, events)
    }

    fn commit_in(
        &self,
        profile: &str,
        new_profile: Option<&Arc<ProfileState>>,
        batch: Batch,
        events: Vec<PendingEvent>,
    ) -> Result<()> {
        let runtime = self.runtimes.get(profile);
        let result = Arc::new(OnceLock::new());
        runtime.queue.lock().push(Pending { batch, events, result: result.clone() });
        let mut head = runtime.commit.lock();
        if let Some(done) = result.get() {
            return done.clone();
        }
        let pending = std::mem::take(&mut *runtime.queue.lock());
        let slots: Vec<_> = pending.iter().map(|p| p.result.clone()).collect();
        let _unwinding = FailOnUnwind(&slots);
        let outcome = self.commit_group(profile, new_profile, &mut head, pending);
        for slot in &slots {
            // Each queued write learns the group's outcome; ours is among them.
            let _ = slot.set(outcome.clone());
        }
        outcome
    }

    fn commit_group(
        &self,
        profile: &str,
        new_profile: Option<&Arc<ProfileState>>,
        head: &mut Option<ChainHead>,
        pending: Vec<Pending>,
    ) -> Result<()> {
        let state = match new_profile {
            Some(state) => state.clone(),
            None => self.profile_state(profile)?,
        };
        let start = match *head {
            Some(h) => h,
            None => self.load_chain_head(&state)?,
        };
        let now = self.now();
        let mut next = start;
        let mut merged = Batch::default();
        for p in pending {
            for event in p.events {
                let seq = next.next_seq;
                let body = AuditEventBody {
                    at: now,
                    actor: event.actor,
                    action: event.action,
                    object_id: event.object_id,
                    outcome: event.outcome,
                };
                let (value, mac) = maced_event(state.chain_key()?, seq, &next.last_hash, &body)?;
                merged.put(Cf::Audit, keys::audit_event(profile, seq), value);
                next = ChainHead { next_seq: seq + 1, last_hash: mac };
            }
            merged.append(p.batch);
        }
        if next != start {
            merged.put(Cf::Audit, keys::audit_head(profile), head_value(&state, next)?);
        }
        if !merged.is_empty() {
            self.store.write(merged)?;
        }
        *head = Some(next);
        Ok(())
    }

    pub(crate) fn load_chain_head(&self, state: &ProfileState) -> Result<ChainHead> {
        match self.store.get(Cf::Audit, &keys::audit_head(state.id()))? {
            Some(value) => read_head(state, &value),
            None => Ok(ChainHead { next_seq: 0, last_hash: GENESIS }),
        }
    }

    /// Walks a profile's chain: every event must sit at its position and link to the one
    /// before (its mac, or for a sealed event its hash, checks out); the head must match
    /// the end.
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
            for (key, value) in entries {
                let at = expected.next_seq;
                let Some(seq) = keys::audit_seq(&key) else { return Ok(broken(at, at, "malformed event key")) };
                if seq != at {
                    return Ok(broken(at, at, "event missing (removed or reordered)"));
                }
                match link(state, seq, &value, &expected.last_hash) {
                    Ok(linked) => expected = ChainHead { next_seq: seq + 1, last_hash: linked.chain },
                    Err(problem) => return Ok(broken(at, at, problem)),
                }
            }
            if !full {
                break;
            }
        }
        let events = expected.next_seq;
        match self.store.get(Cf::Audit, &keys::audit_head(state.id()))? {
            None if events == 0 => {}
            None => return Ok(broken(events, events, "chain head missing")),
            Some(value) => match read_head(state, &value) {
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
        let (_, _gate) = engine.entered(profile_id.as_str(), |runtime| runtime.enter())?;
        let state = engine.profile_state(profile_id.as_str())?;
        let range = KeyRange {
            start: keys::audit_event(state.id(), from),
            end: KeyRange::prefix(keys::audit_events_prefix(state.id())).end,
        };
        let entries = engine.store.scan(Cf::Audit, &range, limit as usize)?;
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        // Each listed event is checked against the one before it, as verification does.
        let mut previous = match from.checked_sub(1) {
            None => GENESIS,
            Some(before) => match engine.store.get(Cf::Audit, &keys::audit_event(state.id(), before))? {
                Some(value) => chain_value(&state, before, &value)?,
                None => return Err(Error::integrity("audit event")),
            },
        };
        let mut events = Vec::with_capacity(entries.len());
        // `None` past the last position a u64 can number: an event stored there is damage.
        let mut expected = Some(from);
        for (key, value) in entries {
            let Some(expected_seq) = expected.filter(|seq| keys::audit_seq(&key) == Some(*seq)) else {
                return Err(Error::integrity("audit event"));
            };
            let linked = link(&state, expected_seq, &value, &previous).map_err(|_| Error::integrity("audit event"))?;
            previous = linked.chain;
            events.push(linked.event);
            expected = expected_seq.checked_add(1);
        }
        Ok(events)
    }

    /// Checks a profile's audit chain; names the first bad position if it is broken.
    pub fn verify_audit(&self, profile_id: &ProfileId) -> Result<AuditVerification> {
        let engine = self.engine()?;
        let (_, _gate) = engine.entered(profile_id.as_str(), |runtime| runtime.enter())?;
        let state = engine.profile_state(profile_id.as_str())?;
        engine.verify_chain(&state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The writes of a group whose commit unwinds learn that they failed; a commit that
    /// returns sets nothing (the leader does).
    #[test]
    fn a_commit_that_unwinds_fails_every_write_it_took() {
        let slots: Vec<Arc<OnceLock<Result<()>>>> = (0..3).map(|_| Arc::new(OnceLock::new())).collect();
        let unwound = std::panic::catch_unwind(|| {
            let _unwinding = FailOnUnwind(&slots);
            panic!("the clock failed");
        });
        assert!(unwound.is_err());
        for slot in &slots {
            assert_eq!(slot.get().and_then(|r| r.as_ref().err()).map(Error::internal_kind), Some(Some("storage")));
        }
        let returned: Vec<Arc<OnceLock<Result<()>>>> = (0..2).map(|_| Arc::new(OnceLock::new())).collect();
        drop(FailOnUnwind(&returned));
        assert!(returned.iter().all(|slot| slot.get().is_none()));
    }
}
