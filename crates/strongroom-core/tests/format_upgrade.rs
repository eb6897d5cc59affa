//! A vault written by the format-2 build opens with this one and needs no rewrite.
//!
//! `fixtures/vault_format_2.txt` is every key and value of a small vault (one profile, one
//! customer, two cards, an update, reveals, a taken CVC, an API key, a failed
//! authentication, a key rotation) as the format-2 build (commit 90a63fd) wrote it, in
//! hex, with the test master key and clock. Its audit events and head are sealed; this build
//! writes maced ones, and the chain must run on across the change.

mod common;

use std::path::Path;
use std::sync::Arc;
use strongroom_core::internals::CvcEdit;

use common::*;
use strongroom_core::internals::ClearFieldEdit;
use strongroom_core::{AuditAction, CustomerId, ManualClock, PaymentMethodId, ReencryptOptions, Vault};

struct Fixture {
    dir: tempfile::TempDir,
    kept: PaymentMethodId,
    other: PaymentMethodId,
    customer: CustomerId,
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

/// Writes the fixture's entries into a fresh RocksDB directory.
fn load_fixture() -> Fixture {
    let text = include_str!("fixtures/vault_format_2.txt");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!((header[1], header[3], header[5]), ("kept", "other", "customer"));
    let dir = tempfile::tempdir().unwrap();
    let mut opts = rocksdb::Options::default();
    opts.create_if_missing(true);
    opts.create_missing_column_families(true);
    let db = rocksdb::DB::open_cf(&opts, dir.path(), COLUMN_FAMILIES).unwrap();
    for line in lines {
        let mut parts = line.split(' ');
        let (cf, key, value) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
        db.put_cf(db.cf_handle(cf).unwrap(), unhex(key), unhex(value)).unwrap();
    }
    drop(db);
    Fixture {
        dir,
        kept: PaymentMethodId::parse(header[2]).unwrap(),
        other: PaymentMethodId::parse(header[4]).unwrap(),
        customer: CustomerId::parse(header[6]).unwrap(),
    }
}

fn open_at(path: &Path, clock: &Arc<ManualClock>) -> Vault {
    Vault::open(path, options(clock)).unwrap()
}

fn audit_value(path: &Path, seq: u64) -> Vec<u8> {
    let key = [b"pro_test\0e".as_slice(), &seq.to_be_bytes()].concat();
    let audit = raw_dump(path).remove("audit").unwrap();
    audit.into_iter().find(|(k, _)| *k == key).unwrap().1
}

#[test]
fn a_format_2_vault_opens_verifies_and_runs_its_audit_chain_on() {
    let f = load_fixture();
    let clock = Arc::new(ManualClock::new(start_time()));
    let vault = open_at(f.dir.path(), &clock);
    let profile = profile_id("pro_test");
    let scope = vault.profile(&profile).unwrap();

    // Everything the format-2 build wrote reads back.
    let report = vault.verify(&mut |_| {}).unwrap();
    assert!(report.is_clean(), "{report:?}");
    let chain = vault.verify_audit(&profile).unwrap();
    assert!(chain.is_intact(), "{chain:?}");
    assert_eq!(chain.events, 11);
    let kept = scope.retrieve_payment_method(&f.kept).unwrap();
    assert_eq!(kept.card.nick_name.as_deref(), Some("travel"));
    assert_eq!(scope.reveal_payment_method(&f.kept).unwrap().card_number.expose(), "4111111111111111");
    assert_eq!(scope.reveal_payment_method(&f.other).unwrap().card_number.expose(), "5555555555554444");
    assert_eq!(scope.take_cvc(&f.kept).unwrap().unwrap().expose(), "737");
    assert!(scope.take_cvc(&f.other).unwrap().is_none(), "taken before the upgrade");

    // New events are maced and link to the last sealed one.
    save_card(&scope, &f.customer, &visa(7));
    let chain = vault.verify_audit(&profile).unwrap();
    assert!(chain.is_intact(), "{chain:?}");
    assert_eq!(chain.events, 11 + 4, "two reveals, a CVC taken, a card created");
    let events = vault.list_audit(&profile, 0, 1000).unwrap();
    assert_eq!(events.len(), 15);
    assert_eq!(events[0].action, AuditAction::ProfileCreated);
    assert_eq!(events[9].action, AuditAction::KeyRotated);
    assert_eq!(events[11].action, AuditAction::CardRevealed);
    assert_eq!(events[14].action, AuditAction::PaymentMethodCreated);
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), (0..15).collect::<Vec<_>>());
    // A page that starts right after the last sealed event.
    let page = vault.list_audit(&profile, 11, 2).unwrap();
    assert_eq!(page, events[11..13]);
    vault.close();

    assert!(audit_value(f.dir.path(), 10).starts_with(b"SR"), "the old events stay sealed");
    assert!(!audit_value(f.dir.path(), 11).starts_with(b"SR"), "new ones are maced");
    let meta = raw_dump(f.dir.path()).remove("meta").unwrap();
    let format = &meta.iter().find(|(k, _)| k.as_slice() == b"format").unwrap().1;
    assert_eq!(format[..2], [1, 3], "opening marked the vault format 3");

    // Re-encryption moves the sealed events to the new key version and retires the old one.
    let vault = open_at(f.dir.path(), &clock);
    let done = vault
        .reencrypt_profile(&profile, ReencryptOptions::default(), &mut |_| std::ops::ControlFlow::Continue(()))
        .unwrap();
    assert!(done.complete);
    assert_eq!(done.retired_versions, vec![1]);
    let stats = vault.profile_stats(&profile).unwrap();
    assert_eq!(stats.sealed_values_by_key_version.keys().copied().collect::<Vec<_>>(), vec![2]);
    assert_eq!(stats.audit_events, 16);
    let chain = vault.verify_audit(&profile).unwrap();
    assert!(chain.is_intact(), "{chain:?}");
    assert!(vault.verify(&mut |_| {}).unwrap().is_clean());
    assert_eq!(
        vault.profile(&profile).unwrap().reveal_payment_method(&f.kept).unwrap().card_number.expose(),
        "4111111111111111"
    );
}

/// Re-encryption right after the upgrade, interrupted after its first batch and resumed:
/// the sealed events move to the new key version, the sealed head is replaced by a maced
/// one, the old version is retired, and the chain stays intact.
#[test]
fn reencryption_right_after_the_upgrade_moves_the_sealed_chain() {
    let f = load_fixture();
    let clock = Arc::new(ManualClock::new(start_time()));
    let vault = open_at(f.dir.path(), &clock);
    let profile = profile_id("pro_test");
    let options = ReencryptOptions { batch_size: 2 };
    let stopped = vault.reencrypt_profile(&profile, options, &mut |_| std::ops::ControlFlow::Break(())).unwrap();
    assert!(!stopped.complete);
    assert!(vault.verify_audit(&profile).unwrap().is_intact());
    let done = vault.reencrypt_profile(&profile, options, &mut |_| std::ops::ControlFlow::Continue(())).unwrap();
    assert!(done.complete, "{done:?}");
    assert_eq!(done.retired_versions, vec![1]);
    let chain = vault.verify_audit(&profile).unwrap();
    assert!(chain.is_intact(), "{chain:?}");
    assert_eq!(chain.events, 12, "the fixture's 11 and the re-encryption's");
    vault.close();
    let head =
        raw_dump(f.dir.path()).remove("audit").unwrap().into_iter().find(|(k, _)| k == b"pro_test\0h").unwrap().1;
    assert!(!head.starts_with(b"SR"), "the head is maced now");
    assert!(audit_value(f.dir.path(), 3).starts_with(b"SR"), "old events stay sealed, under the new version");
    let vault = open_at(f.dir.path(), &clock);
    assert!(vault.verify(&mut |_| {}).unwrap().is_clean());
    assert_eq!(vault.list_audit(&profile, 0, 100).unwrap().len(), 12);
}

/// Tampering at the boundary between the sealed and the maced part of the chain is found
/// at its position.
#[test]
fn tampering_where_the_sealed_chain_meets_the_maced_one_is_detected() {
    let cases: [(&str, u64); 3] =
        [("delete the last sealed event", 10), ("delete the first maced one", 11), ("edit the first maced one", 11)];
    for (what, first_bad) in cases {
        let f = load_fixture();
        let clock = Arc::new(ManualClock::new(start_time()));
        let vault = open_at(f.dir.path(), &clock);
        let scope = vault.profile(&profile_id("pro_test")).unwrap();
        save_card(&scope, &f.customer, &visa(1));
        save_card(&scope, &f.customer, &visa(2));
        vault.close();
        {
            let db = raw_db(f.dir.path());
            let cf = db.cf_handle("audit").unwrap();
            let key = |seq: u64| [b"pro_test\0e".as_slice(), &seq.to_be_bytes()].concat();
            match what {
                "delete the last sealed event" => db.delete_cf(cf, key(10)).unwrap(),
                "delete the first maced one" => db.delete_cf(cf, key(11)).unwrap(),
                _ => {
                    // Flip a byte of the event's time; the checksum is recomputed, the mac kept.
                    let value = db.get_cf(cf, key(11)).unwrap().unwrap();
                    let (encoded, mac) = value.split_at(value.len() - 32);
                    let mut body = encoded[..encoded.len() - 8].to_vec();
                    body[3] ^= 1;
                    let forged = [strongroom_core::internals::with_checksum(&body).as_slice(), mac].concat();
                    db.put_cf(cf, key(11), forged).unwrap();
                }
            }
        }
        let vault = open_at(f.dir.path(), &clock);
        let chain = vault.verify_audit(&profile_id("pro_test")).unwrap();
        assert_eq!(chain.first_bad, Some(first_bad), "{what}: {chain:?}");
    }
}

/// The fixture's card details were sealed before they were bound to their record's clear
/// fields: they open as they are, and re-encryption (after the fixture's own rotation)
/// seals them bound and retires the version they were under, after which a card moved to
/// another customer at the storage level no longer opens. (Values left unbound under the
/// active version count as stale too: `vault/rotation.rs`'s unit test.)
#[test]
fn reencryption_binds_card_details_sealed_before_the_binding() {
    let f = load_fixture();
    let clock = Arc::new(ManualClock::new(start_time()));
    let vault = open_at(f.dir.path(), &clock);
    let profile = profile_id("pro_test");
    let scope = vault.profile(&profile).unwrap();
    let other_customer = new_customer(&scope);
    let before = scope.retrieve_payment_method(&f.kept).unwrap();
    let done = vault
        .reencrypt_profile(&profile, ReencryptOptions::default(), &mut |_| std::ops::ControlFlow::Continue(()))
        .unwrap();
    assert!(done.complete);
    assert_eq!(vault.profile(&profile).unwrap().retrieve_payment_method(&f.kept).unwrap(), before);
    let again = vault
        .reencrypt_profile(&profile, ReencryptOptions::default(), &mut |_| std::ops::ControlFlow::Continue(()))
        .unwrap();
    assert_eq!(again.reencrypted, 0, "everything is bound and current after one run: {again:?}");
    vault.close();
    {
        let db = raw_db(f.dir.path());
        rewrite_payment_method(&db, f.kept.as_str(), ClearFieldEdit::Customer(other_customer.id.clone()));
        // Its CVC, sealed before CVCs were bound to their expiry, is bound now too: a
        // minute more in the files (which an unbound CVC would not notice) stops it opening.
        let cvcs = db.cf_handle("cvc").unwrap();
        let key = [b"pro_test\0".as_slice(), f.kept.as_str().as_bytes()].concat();
        let stored = db.get_cf(cvcs, &key).unwrap().unwrap();
        db.put_cf(cvcs, &key, strongroom_core::internals::edit_cvc_record(&stored, CvcEdit::Later(60_000)).unwrap())
            .unwrap();
    }
    let vault = open_at(f.dir.path(), &clock);
    let err = vault.profile(&profile).unwrap().retrieve_payment_method(&f.kept).unwrap_err();
    assert_eq!((err.code(), err.internal_kind()), ("HE_00", Some("integrity")), "{err}");
    let err = vault.profile(&profile).unwrap().take_cvc(&f.kept).unwrap_err();
    assert_eq!((err.code(), err.internal_kind()), ("HE_00", Some("integrity")), "{err}");
    let other = vault.profile(&profile).unwrap().retrieve_payment_method(&f.other).unwrap();
    assert_eq!(other.card.last4_digits, "4444", "the card left alone opens");
}
