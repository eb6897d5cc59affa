//! Key encoding. Every profile-owned key is `profile_id ‖ 0x00 ‖ …`, so a profile is one
//! contiguous key range in every column family. Profile ids cannot contain `0x00`, nor can
//! generated ids or merchant references (control characters are refused), so the
//! separators are unambiguous.

use crate::crypto::Fingerprint;
use crate::model::time::Timestamp;

const SEP: u8 = 0;

fn join(parts: &[&[u8]]) -> Vec<u8> {
    let len = parts.iter().map(|p| p.len() + 1).sum::<usize>();
    let mut key = Vec::with_capacity(len);
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            key.push(SEP);
        }
        key.extend_from_slice(part);
    }
    key
}

/// `profile ‖ 0x00`: the start of everything a profile owns.
pub(crate) fn profile_prefix(profile: &str) -> Vec<u8> {
    join(&[profile.as_bytes(), b""])
}

pub(crate) fn profile(profile: &str) -> Vec<u8> {
    profile.as_bytes().to_vec()
}

/// A record owned by a profile: customers, payment methods, CVCs, references.
pub(crate) fn record(profile: &str, id: &str) -> Vec<u8> {
    record_raw(profile, id.as_bytes())
}

/// [`record`] for an id taken from another key.
pub(crate) fn record_raw(profile: &str, id: &[u8]) -> Vec<u8> {
    join(&[profile.as_bytes(), id])
}

/// `profile ‖ 0 ‖ customer ‖ 0`: the start of a customer's index entries.
pub(crate) fn customer_prefix(profile: &str, customer: &str) -> Vec<u8> {
    join(&[profile.as_bytes(), customer.as_bytes(), b""])
}

pub(crate) fn pm_by_customer(profile: &str, customer: &str, pm: &str) -> Vec<u8> {
    join(&[profile.as_bytes(), customer.as_bytes(), pm.as_bytes()])
}

pub(crate) fn fingerprint(profile: &str, customer: &str, fp: &Fingerprint) -> Vec<u8> {
    join(&[profile.as_bytes(), customer.as_bytes(), &fp.0])
}

/// Volatile expiry index: `profile ‖ 0 ‖ expires_at (big-endian, sign-flipped) ‖ 0 ‖ pm`,
/// ordered by time within the profile.
pub(crate) fn pm_expiry(profile: &str, expires_at: Timestamp, pm: &str) -> Vec<u8> {
    join(&[profile.as_bytes(), &time_bytes(expires_at), pm.as_bytes()])
}

/// The first expiry-index key after every entry due at or before `now`.
pub(crate) fn pm_expiry_due_end(profile: &str, now: Timestamp) -> Vec<u8> {
    let mut key = join(&[profile.as_bytes(), &time_bytes(now)]);
    key.push(SEP + 1);
    key
}

/// The payment method id at the end of an index key (after the last separator).
pub(crate) fn last_part(key: &[u8]) -> &[u8] {
    match key.iter().rposition(|b| *b == SEP) {
        Some(i) => &key[i + 1..],
        None => key,
    }
}

fn time_bytes(t: Timestamp) -> [u8; 8] {
    // Flipping the sign bit makes big-endian byte order match numeric order.
    ((t.as_millis() as u64) ^ (1 << 63)).to_be_bytes()
}

/// Audit events: `profile ‖ 0 ‖ 'e' ‖ seq (u64 BE)`, in chain order.
pub(crate) fn audit_event(profile: &str, seq: u64) -> Vec<u8> {
    let mut key = audit_events_prefix(profile);
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

pub(crate) fn audit_events_prefix(profile: &str) -> Vec<u8> {
    join(&[profile.as_bytes(), b"e"])
}

/// The sequence number at the end of an audit event key.
pub(crate) fn audit_seq(key: &[u8]) -> Option<u64> {
    let tail: [u8; 8] = key.get(key.len().checked_sub(8)?..)?.try_into().ok()?;
    Some(u64::from_be_bytes(tail))
}

/// The audit chain's head: `profile ‖ 0 ‖ 'h'`.
pub(crate) fn audit_head(profile: &str) -> Vec<u8> {
    join(&[profile.as_bytes(), b"h"])
}

pub(crate) mod meta {
    pub(crate) const FORMAT: &[u8] = b"format";

    pub(crate) fn key_check(master_key_id: &str) -> Vec<u8> {
        [b"kcv/".as_slice(), master_key_id.as_bytes()].concat()
    }

    /// Before the id of a destroyed profile whose files are not purged yet.
    pub(crate) const DESTROYING: &[u8] = b"destroying/";

    pub(crate) fn destroying(profile: &str) -> Vec<u8> {
        [DESTROYING, profile.as_bytes()].concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        assert_eq!(record("pro", "cus_1"), b"pro\0cus_1");
        assert_eq!(pm_by_customer("pro", "cus_1", "pm_2"), b"pro\0cus_1\0pm_2");
        assert!(pm_by_customer("pro", "cus_1", "pm_2").starts_with(&customer_prefix("pro", "cus_1")));
        assert!(!record("pro_a", "x").starts_with(&profile_prefix("pro")));
        assert_eq!(last_part(b"pro\0cus_1\0pm_2"), b"pm_2");
    }

    #[test]
    fn expiry_keys_order_by_time() {
        let early = pm_expiry("p", Timestamp::from_millis(-5), "pm_b");
        let late = pm_expiry("p", Timestamp::from_millis(1_000), "pm_a");
        assert!(early < late);
        let end = pm_expiry_due_end("p", Timestamp::from_millis(1_000));
        assert!(late < end);
        assert!(pm_expiry("p", Timestamp::from_millis(1_001), "pm_a") > end);
    }
}
