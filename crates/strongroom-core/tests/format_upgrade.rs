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

use common::*;
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
