//! The audit chain: what is recorded, that it holds no card data, and that removing,
//! editing, swapping or cutting off events is detected at the right position.

mod common;

use std::thread;

use common::*;
use strongroom_core::{ApiKeyCreate, AuditAction, AuditOutcome, PaymentMethodUpdate, ReencryptOptions, Scopes};

/// A vault with a little of everything in its audit chain.
fn busy() -> (TestVault, Vec<AuditAction>) {
    let t = open();
    let customer = new_customer(&t.scope);
    let pm = save_card(&t.scope, &customer.id, "4111111111111111");
    t.scope
        .update_payment_method(&pm.id, PaymentMethodUpdate { nick_name: Some("n".into()), ..Default::default() })
        .unwrap();
    t.scope.reveal_payment_method(&pm.id).unwrap();
    t.scope.take_cvc(&pm.id).unwrap();
    t.scope.delete_payment_method(&pm.id).unwrap();
    let key = t
        .vault
        .create_api_key(t.scope.profile_id(), ApiKeyCreate { name: "k".into(), scopes: Scopes::ALL, expires_at: None })
        .unwrap();
    t.vault.revoke_api_key(t.scope.profile_id(), &key.key.id).unwrap();
    assert!(t.vault.authenticate("key_bad", t.scope.profile_id()).is_err());
    t.vault.rotate_profile_key(t.scope.profile_id()).unwrap();
    t.vault
        .reencrypt_profile(t.scope.profile_id(), ReencryptOptions::default(), &mut |_| {
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
    t.scope.delete_customer(&customer.id).unwrap();
    let expected = vec![
        AuditAction::ProfileCreated,
        AuditAction::CustomerCreated,
        AuditAction::PaymentMethodCreated,
        AuditAction::PaymentMethodUpdated,
        AuditAction::CardRevealed,
        AuditAction::CvcTaken,
        AuditAction::PaymentMethodDeleted,
        AuditAction::ApiKeyCreated,
        AuditAction::ApiKeyRevoked,
        AuditAction::AuthenticationFailed,
        AuditAction::KeyRotated,
        AuditAction::ReencryptionCompleted,
        AuditAction::CustomerDeleted,
    ];
    (t, expected)
}

#[test]
fn every_security_relevant_action_is_recorded() {
    let (t, expected) = busy();
    let events = t.vault.list_audit(t.scope.profile_id(), 0, 1000).unwrap();
    assert_eq!(events.iter().map(|e| e.action).collect::<Vec<_>>(), expected);
    assert!(events.iter().enumerate().all(|(i, e)| e.seq == i as u64));
    assert_eq!(events[9].outcome, AuditOutcome::Failure { code: "IR_01".into() });
    assert_eq!(events[10].object_id.as_deref(), Some("v2"));
    let shown = format!("{events:?}");
    assert!(!shown.contains("4111111111111111") && !shown.contains("1111\""), "no card data in events");
    let verification = t.vault.verify_audit(t.scope.profile_id()).unwrap();
    assert!(verification.is_intact(), "{verification:?}");
    assert_eq!(verification.events, expected.len() as u64);
    // Paging through the chain.
    let tail = t.vault.list_audit(t.scope.profile_id(), 10, 2).unwrap();
    assert_eq!(tail.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![10, 11]);
}

fn event_key(profile: &str, seq: u64) -> Vec<u8> {
    [profile.as_bytes(), b"\0e", &seq.to_be_bytes()].concat()
}

/// Applies `tamper` to the raw audit column family, then checks the first bad position.
fn check_tamper(tamper: impl Fn(&rocksdb::DB, &rocksdb::ColumnFamily), first_bad: u64) {
    let (mut t, _) = busy();
    t.vault.close();
    {
        let db = raw_db(t.path());
        let audit = db.cf_handle("audit").unwrap();
        tamper(&db, audit);
    }
    t.reopen();
    let verification = t.vault.verify_audit(t.scope.profile_id()).unwrap();
    assert_eq!(verification.first_bad, Some(first_bad), "{verification:?}");
    assert!(verification.problem.is_some());
    let report = t.vault.verify(&mut |_| {}).unwrap();
    assert!(report.problems.iter().any(|p| p.kind == strongroom_core::ProblemKind::AuditChain));
}

#[test]
fn a_removed_event_is_detected() {
    check_tamper(|db, cf| db.delete_cf(cf, event_key("pro_test", 4)).unwrap(), 4);
}

#[test]
fn an_altered_event_is_detected() {
    check_tamper(
        |db, cf| {
            let key = event_key("pro_test", 6);
            let mut value = db.get_cf(cf, &key).unwrap().unwrap();
            let i = value.len() / 2;
            value[i] ^= 0x20;
            db.put_cf(cf, &key, value).unwrap();
        },
        6,
    );
}

/// A stored event is its encoding (`format 3 | time (0xfd + 8 bytes) | actor | action | …
/// | checksum (8)`) followed by its chain mac (32).
const MAC_LEN: usize = 32;
const CHECKSUM_LEN: usize = 8;

/// Event 5 (`CvcTaken`) made `CardRevealed`, with the record checksum recomputed.
fn edit_event_5(db: &rocksdb::DB, cf: &rocksdb::ColumnFamily) {
    let key = event_key("pro_test", 5);
    let value = db.get_cf(cf, &key).unwrap().unwrap();
    let (encoded, mac) = value.split_at(value.len() - MAC_LEN);
    let mut body = encoded[..encoded.len() - CHECKSUM_LEN].to_vec();
    const CVC_TAKEN: u8 = 11;
    const CARD_REVEALED: u8 = 10;
    // format 3, actor `internal` (0), then the action's variant index.
    assert_eq!((body[0], body[10], body[11]), (3, 0, CVC_TAKEN));
    body[11] = CARD_REVEALED;
    db.put_cf(cf, &key, [strongroom_core::internals::with_checksum(&body).as_slice(), mac].concat()).unwrap();
}

/// Events are stored in clear; their checksum only guards against corruption. An edit that
/// recomputes it is still found, by the event's chain mac.
#[test]
fn an_edited_event_with_a_recomputed_checksum_is_detected() {
    check_tamper(edit_event_5, 5);
}

/// Listing checks each event it returns against the one before, as verification does.
#[test]
fn listing_a_page_with_an_edited_event_is_an_integrity_error() {
    let (mut t, _) = busy();
    t.vault.close();
    {
        let db = raw_db(t.path());
        edit_event_5(&db, db.cf_handle("audit").unwrap());
    }
    t.reopen();
    let profile = t.scope.profile_id().clone();
    for from in [0, 3, 5] {
        let err = t.vault.list_audit(&profile, from, 6).unwrap_err();
        assert_eq!(err.internal_kind(), Some("integrity"), "from {from}");
    }
    // A page after the edited event links to the mac it stored, which was not changed.
    assert_eq!(t.vault.list_audit(&profile, 6, 3).unwrap().len(), 3);
}

/// Events stored at the last positions a u64 numbers (copies of real events, as someone
/// who can write the files could put there) make a listing from there an integrity error,
/// not a panic counting past the end.
#[test]
fn listing_events_stored_at_the_last_positions_is_an_integrity_error() {
    let (mut t, _) = busy();
    t.vault.close();
    {
        let db = raw_db(t.path());
        let audit = db.cf_handle("audit").unwrap();
        let value = db.get_cf(audit, event_key("pro_test", 3)).unwrap().unwrap();
        for seq in [u64::MAX - 1, u64::MAX] {
            db.put_cf(audit, event_key("pro_test", seq), &value).unwrap();
        }
    }
    t.reopen();
    let profile = t.scope.profile_id().clone();
    for from in [u64::MAX - 1, u64::MAX] {
        let err = t.vault.list_audit(&profile, from, 5).unwrap_err();
        assert_eq!(err.internal_kind(), Some("integrity"), "from {from}");
    }
    assert_eq!(t.vault.list_audit(&profile, 0, 3).unwrap().len(), 3);
}

/// A maced event dressed up as a sealed one (the envelope's `SR` prefix put in front)
/// does not open, and is found at its position.
#[test]
fn a_maced_event_made_to_look_sealed_is_detected() {
    check_tamper(
        |db, cf| {
            let key = event_key("pro_test", 7);
            let value = db.get_cf(cf, &key).unwrap().unwrap();
            db.put_cf(cf, &key, [b"SR".as_slice(), &value].concat()).unwrap();
        },
        7,
    );
}

/// The head is in clear too: a head rewritten to end the chain early, from values anyone
/// reading the files can see, does not carry a valid mac.
#[test]
fn a_tail_cut_off_with_a_rewritten_head_is_detected() {
    let (mut t, _) = busy();
    t.vault.close();
    {
        let db = raw_db(t.path());
        let cf = db.cf_handle("audit").unwrap();
        let head_key = b"pro_test\0h";
        let head = db.get_cf(cf, head_key).unwrap().unwrap();
        // format | next_seq (varint) | last mac (32) | head mac (32) | checksum (8)
        assert_eq!((head[0], head[1], head.len()), (2, 13, 1 + 1 + 32 + 32 + 8));
        let event_11 = db.get_cf(cf, event_key("pro_test", 11)).unwrap().unwrap();
        let mac_11 = &event_11[event_11.len() - MAC_LEN..];
        db.delete_cf(cf, event_key("pro_test", 12)).unwrap();
        let forged = [&[2u8, 12][..], mac_11, &head[34..66]].concat();
        db.put_cf(cf, head_key, strongroom_core::internals::with_checksum(&forged)).unwrap();
    }
    t.reopen();
    let verification = t.vault.verify_audit(t.scope.profile_id());
    let refused = match verification {
        Ok(v) => v.first_bad == Some(12),
        Err(e) => e.internal_kind() == Some("integrity"),
    };
    assert!(refused, "the forged head must not verify");
}

/// Each profile's chain has its own key: an event copied from another profile's chain, to
/// the same position, does not carry a valid mac.
#[test]
fn an_event_copied_from_another_profile_is_detected() {
    let mut t = open();
    let other = create_profile(&t.vault, "pro_other");
    new_customer(&t.scope);
    new_customer(&other);
    t.vault.close();
    {
        let db = raw_db(t.path());
        let cf = db.cf_handle("audit").unwrap();
        let copied = db.get_cf(cf, event_key("pro_other", 1)).unwrap().unwrap();
        db.put_cf(cf, event_key("pro_test", 1), copied).unwrap();
    }
    t.reopen();
    let verification = t.vault.verify_audit(t.scope.profile_id()).unwrap();
    assert_eq!(verification.first_bad, Some(1), "{verification:?}");
    assert!(t.vault.verify_audit(&profile_id("pro_other")).unwrap().is_intact());
}

#[test]
fn swapped_events_are_detected() {
    check_tamper(
        |db, cf| {
            let (a, b) = (event_key("pro_test", 2), event_key("pro_test", 5));
            let (va, vb) = (db.get_cf(cf, &a).unwrap().unwrap(), db.get_cf(cf, &b).unwrap().unwrap());
            db.put_cf(cf, &a, vb).unwrap();
            db.put_cf(cf, &b, va).unwrap();
        },
        2,
    );
}

#[test]
fn a_cut_off_tail_is_detected() {
    check_tamper(
        |db, cf| {
            db.delete_cf(cf, event_key("pro_test", 12)).unwrap();
            db.delete_cf(cf, event_key("pro_test", 11)).unwrap();
        },
        11,
    );
}

#[test]
fn concurrent_writers_share_one_unbroken_chain() {
    let t = open();
    let customers: Vec<_> = (0..8).map(|_| new_customer(&t.scope)).collect();
    let handles: Vec<_> = customers
        .into_iter()
        .enumerate()
        .map(|(n, customer)| {
            let scope = t.scope.clone();
            thread::spawn(move || {
                for i in 0..50 {
                    save_card(&scope, &customer.id, &visa(n as u64 * 1000 + i));
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let verification = t.vault.verify_audit(t.scope.profile_id()).unwrap();
    assert!(verification.is_intact(), "{verification:?}");
    assert_eq!(verification.events, 1 + 8 + 8 * 50);
}
