//! A stored CVC is bound to the clear fields of its record: its expiry and its owner.
//!
//! A CVC record keeps its expiry in clear, so that the purge can delete expired CVCs with
//! no key, and its customer, whose lock guards it. Both sit under a checksum anyone can
//! compute again. Without the binding, someone who can write the vault's files but holds
//! no key could push a CVC's expiry into the future: `take_cvc` would hand it out past its
//! time to live and the purge would keep it, against PCI DSS 3.3.1 (no CVC kept after
//! authorization) and the profile's CVC TTL of at most 24 hours. Bound, an edited expiry
//! or owner makes the CVC fail to open, an integrity error; and a clear expiry further ahead
//! than any TTL allows makes the purge delete it (`must_be_gone`), which needs no key. An
//! expiry edited within that day keeps the CVC on disk, unopenable, until it passes.
//!
//! CVCs sealed before the binding (by builds up to commit 90f9449) open under their unbound
//! context only while their expiry is at most the longest CVC TTL ahead of the vault's
//! clock, the furthest a stored CVC could lawfully be: an edit can keep such a CVC alive no
//! longer than a day past the edit. `reencrypt_profile` seals them bound.

use zeroize::Zeroizing;

use crate::crypto::KeyPurpose;
use crate::error::{Error, Result};
use crate::model::ids::CustomerId;
use crate::model::profile::ProfileSettings;
use crate::model::time::Timestamp;
use crate::store::records::CvcRecord;
use crate::vault::card_binding::Contexts;
use crate::vault::contexts;
use crate::vault::profiles::ProfileState;

/// Room for the bound fields: a customer id is at most 53 bytes.
const BINDING_MAX: usize = 64;

/// The bound fields, on the stack: `customer_id (u8 length, text) | expires_at (i64 BE
/// milliseconds)`. Pinned by the golden vector `cvc_binding_v1`: values sealed with it
/// must open forever.
struct Binding {
    bytes: [u8; BINDING_MAX],
    len: usize,
}

impl Binding {
    fn new(customer: &CustomerId, expires_at: Timestamp) -> Result<Self> {
        let customer = customer.as_str().as_bytes();
        let len = 1 + customer.len() + 8;
        let mut bytes = [0; BINDING_MAX];
        let slot = bytes.get_mut(..len).ok_or_else(|| Error::integrity("cvc binding"))?;
        let (count, rest) = slot.split_at_mut(1);
        let (text, at) = rest.split_at_mut(customer.len());
        count[0] = u8::try_from(customer.len()).map_err(|_| Error::integrity("cvc binding"))?;
        text.copy_from_slice(customer);
        at.copy_from_slice(&expires_at.as_millis().to_be_bytes());
        Ok(Self { bytes, len })
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

fn cvc_contexts<'a>(state: &'a ProfileState, pm: &'a str, binding: &'a [u8]) -> Contexts<'a> {
    Contexts::new(KeyPurpose::Pan, contexts::cvc(state.id(), pm), binding)
}

/// Whether a CVC sealed before the binding may open: its expiry is no further ahead than
/// the longest CVC TTL.
fn unbound_may_open(record: &CvcRecord, now: Timestamp) -> bool {
    record.expires_at <= now.saturating_add(ProfileSettings::MAX_CVC_TTL)
}

/// Whether a stored CVC must be gone at `now`: it has expired, or its clear expiry lies
/// further ahead than any CVC TTL allows, which only an edit of the files makes (or the
/// host's clock set back by more than a day, when losing the CVC is the safe side). The purge
/// deletes both and re-encryption drops them rather than sealing them again; neither
/// needs a key to tell.
pub(crate) fn must_be_gone(record: &CvcRecord, now: Timestamp) -> bool {
    record.expires_at <= now || !unbound_may_open(record, now)
}

/// Seals the CVC of payment method `pm` (PAN key), bound to its owner and expiry.
pub(crate) fn seal_cvc(
    state: &ProfileState,
    pm: &str,
    customer: &CustomerId,
    expires_at: Timestamp,
    cvc: &[u8],
) -> Result<Vec<u8>> {
    let binding = Binding::new(customer, expires_at)?;
    cvc_contexts(state, pm, binding.as_bytes()).seal(state, cvc)
}

/// Opens `record`, the stored CVC of payment method `pm`, at `now`.
pub(crate) fn open_cvc(
    state: &ProfileState,
    pm: &str,
    record: &CvcRecord,
    now: Timestamp,
) -> Result<Zeroizing<Vec<u8>>> {
    let binding = Binding::new(&record.customer_id, record.expires_at)?;
    cvc_contexts(state, pm, binding.as_bytes()).open_allowing_unbound(
        state,
        &record.sealed,
        unbound_may_open(record, now),
    )
}

/// The CVC sealed again under the active key version, and bound (re-encryption).
pub(crate) fn reseal_cvc(state: &ProfileState, pm: &str, record: &CvcRecord, now: Timestamp) -> Result<Vec<u8>> {
    let plain = open_cvc(state, pm, record, now)?;
    seal_cvc(state, pm, &record.customer_id, record.expires_at, &plain)
}

/// Whether the CVC opens only unbound: sealed before the binding, and to be sealed again.
/// Damaged values (which open neither way) are not.
pub(crate) fn sealed_before_the_binding(state: &ProfileState, pm: &str, record: &CvcRecord) -> bool {
    Binding::new(&record.customer_id, record.expires_at)
        .is_ok_and(|binding| cvc_contexts(state, pm, binding.as_bytes()).only_unbound(state, &record.sealed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::profiles::tests::profile_state;
    use proptest::prelude::*;
    use std::time::Duration;

    const PM: &str = "pm_0190000000007000800000000000000a";

    fn customer() -> CustomerId {
        CustomerId::parse("cus_0190000000007000800000000000000b").unwrap()
    }

    fn now() -> Timestamp {
        Timestamp::from_millis(1_795_478_400_000)
    }

    fn stored(state: &ProfileState, expires_at: Timestamp, cvc: &[u8]) -> CvcRecord {
        let sealed = seal_cvc(state, PM, &customer(), expires_at, cvc).unwrap();
        CvcRecord { customer_id: customer(), expires_at, sealed }
    }

    fn is_integrity(result: Result<Zeroizing<Vec<u8>>>) -> bool {
        result.is_err_and(|e| e.internal_kind() == Some("integrity"))
    }

    /// Pins the bound fields' bytes: CVCs sealed with them must open until they expire.
    #[test]
    fn golden_binding() {
        let binding = Binding::new(&customer(), now().saturating_add(Duration::from_secs(900))).unwrap();
        let golden = include_str!("../../tests/golden/cvc_binding_v1.hex").trim();
        assert_eq!(crate::crypto::hex::encode(binding.as_bytes()), golden);
    }

    #[test]
    fn a_cvc_opens_only_with_its_expiry_and_owner() {
        let state = profile_state("pro_a", 1);
        let expires_at = now().saturating_add(Duration::from_secs(900));
        let record = stored(&state, expires_at, b"123");
        assert_eq!(open_cvc(&state, PM, &record, now()).unwrap().as_slice(), b"123");
        assert!(!sealed_before_the_binding(&state, PM, &record));

        let later = CvcRecord { expires_at: expires_at.saturating_add(Duration::from_secs(1)), ..record.clone() };
        assert!(is_integrity(open_cvc(&state, PM, &later, now())), "an extended expiry does not open");
        let other = CustomerId::parse("cus_0190000000007000800000000000000c").unwrap();
        let moved = CvcRecord { customer_id: other, ..record.clone() };
        assert!(is_integrity(open_cvc(&state, PM, &moved, now())), "another owner does not open");
        let elsewhere = "pm_0190000000007000800000000000000d";
        assert!(is_integrity(open_cvc(&state, elsewhere, &record, now())), "another card's CVC does not open");
        let damaged = CvcRecord { sealed: vec![0; 60], ..record };
        assert!(!sealed_before_the_binding(&state, PM, &damaged), "damaged CVCs are not moved");
    }

    /// CVCs sealed before the binding open while their expiry is plausible, and are
    /// sealed bound again by re-encryption.
    #[test]
    fn unbound_cvcs_open_within_the_longest_ttl() {
        let state = profile_state("pro_a", 1);
        let unbound = |expires_at: Timestamp| {
            let sealed = state.keys.seal(KeyPurpose::Pan, &contexts::cvc(state.id(), PM), b"4567").unwrap();
            CvcRecord { customer_id: customer(), expires_at, sealed }
        };
        let limit = now().saturating_add(ProfileSettings::MAX_CVC_TTL);
        let record = unbound(limit);
        assert_eq!(open_cvc(&state, PM, &record, now()).unwrap().as_slice(), b"4567");
        assert!(sealed_before_the_binding(&state, PM, &record));
        let beyond = unbound(limit.saturating_add(Duration::from_millis(1)));
        assert!(is_integrity(open_cvc(&state, PM, &beyond, now())), "an expiry past any TTL does not open");

        let resealed = CvcRecord { sealed: reseal_cvc(&state, PM, &record, now()).unwrap(), ..record.clone() };
        assert!(!sealed_before_the_binding(&state, PM, &resealed));
        assert_eq!(open_cvc(&state, PM, &resealed, now()).unwrap().as_slice(), b"4567");
        let edited = CvcRecord { expires_at: record.expires_at.saturating_add(Duration::from_secs(60)), ..resealed };
        assert!(is_integrity(open_cvc(&state, PM, &edited, now())));
    }

    #[test]
    fn cvcs_past_their_time_or_beyond_any_ttl_must_be_gone() {
        let state = profile_state("pro_a", 1);
        let at = |ms: i64| stored(&state, Timestamp::from_millis(now().as_millis() + ms), b"123");
        let day = i64::try_from(ProfileSettings::MAX_CVC_TTL.as_millis()).unwrap();
        assert!(must_be_gone(&at(0), now()), "expired");
        assert!(!must_be_gone(&at(1), now()));
        assert!(!must_be_gone(&at(day), now()), "the longest TTL");
        assert!(must_be_gone(&at(day + 1), now()), "beyond any TTL");
    }

    proptest! {
        /// Seal and open are inverse for any CVC and expiry; any other expiry fails.
        #[test]
        fn seal_open_roundtrip(cvc in "[0-9]{3,4}", at in 0i64..=i64::MAX / 2, other in 0i64..=i64::MAX / 2) {
            let state = profile_state("pro_p", 1);
            let expires_at = Timestamp::from_millis(at);
            let record = stored(&state, expires_at, cvc.as_bytes());
            let opened = open_cvc(&state, PM, &record, expires_at).unwrap();
            prop_assert_eq!(opened.as_slice(), cvc.as_bytes());
            prop_assume!(other != at);
            let edited = CvcRecord { expires_at: Timestamp::from_millis(other), ..record };
            prop_assert!(open_cvc(&state, PM, &edited, expires_at).is_err());
        }
    }
}
