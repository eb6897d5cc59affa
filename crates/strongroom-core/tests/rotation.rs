//! Key rotation: profile keys under load, resumable re-encryption, master key rotation.

mod common;

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use common::*;
use strongroom_core::internals::ClearFieldEdit;
use strongroom_core::{
    MasterKey, MasterKeyId, MasterKeyRing, PageRequest, PaymentMethodCreate, PaymentMethodId, ReencryptOptions, Vault,
};

fn keep_going(_: &strongroom_core::ReencryptProgress) -> ControlFlow<()> {
    ControlFlow::Continue(())
}

#[test]
fn rotation_moves_everything_and_retires_the_old_version() {
    let t = open();
    let customer = new_customer(&t.scope);
    let cards: Vec<_> = (0..20).map(|i| save_card(&t.scope, &customer.id, &visa(i))).collect();
    let profile = t.scope.profile_id();
    assert_eq!(
        t.vault.profile_stats(profile).unwrap().sealed_values_by_key_version.keys().collect::<Vec<_>>(),
        vec![&1]
    );

    let rotated = t.vault.rotate_profile_key(profile).unwrap();
    assert_eq!(rotated.active_key_version, 2);
    let fresh = save_card(&t.scope, &customer.id, &visa(100));
    let versions = t.vault.profile_stats(profile).unwrap().sealed_values_by_key_version;
    assert!(versions[&1] > 0 && versions[&2] > 0, "new writes use v2, old values stay on v1: {versions:?}");

    let report = t.vault.reencrypt_profile(profile, ReencryptOptions { batch_size: 7 }, &mut keep_going).unwrap();
    assert!(report.complete);
    assert_eq!(report.retired_versions, vec![1]);
    assert!(report.reencrypted >= 20 + 1 + 20, "customer, cards and CVCs moved: {report:?}");
    let stats = t.vault.profile_stats(profile).unwrap();
    assert_eq!(stats.sealed_values_by_key_version.keys().collect::<Vec<_>>(), vec![&2], "{stats:?}");

    for pm in cards.iter().chain([&fresh]) {
        assert_eq!(t.scope.retrieve_payment_method(&pm.id).unwrap().card.last4_digits, pm.card.last4_digits);
        assert_eq!(t.scope.reveal_payment_method(&pm.id).unwrap().card_number.expose().len(), 16);
    }
    assert_eq!(t.scope.take_cvc(&cards[3].id).unwrap().unwrap().expose(), "737");
    // Dedup still finds the card through its new fingerprint.
    let again = t.scope.create_payment_method(PaymentMethodCreate::card(customer.id.clone(), card(&visa(5)))).unwrap();
    assert!(again.duplicate);
    assert_eq!(again.payment_method.id, cards[5].id);
    assert!(t.vault.verify(&mut |_| {}).unwrap().is_clean());
    assert!(t.vault.verify_audit(profile).unwrap().is_intact());
}

#[test]
fn a_retired_version_is_gone_for_good() {
    let mut t = open();
    let customer = new_customer(&t.scope);
    let pm = save_card(&t.scope, &customer.id, "4111111111111111");
    t.vault.close();
    let old_record = {
        let db = raw_db(t.path());
        let cf = db.cf_handle("payment_methods").unwrap();
        db.get_cf(cf, [b"pro_test\0".as_slice(), pm.id.as_str().as_bytes()].concat()).unwrap().unwrap()
    };
    t.reopen();
    t.vault.rotate_profile_key(t.scope.profile_id()).unwrap();
    t.vault.reencrypt_profile(t.scope.profile_id(), ReencryptOptions::default(), &mut keep_going).unwrap();
    t.vault.close();
    {
        let db = raw_db(t.path());
        let cf = db.cf_handle("payment_methods").unwrap();
        db.put_cf(cf, [b"pro_test\0".as_slice(), pm.id.as_str().as_bytes()].concat(), old_record).unwrap();
    }
    t.reopen();
    let err = t.scope.retrieve_payment_method(&pm.id).unwrap_err();
    assert_eq!(err.internal_kind(), Some("integrity"), "a value sealed under a retired version does not open: {err}");
}

#[test]
fn rotation_under_load() {
    let t = open();
    let customers: Vec<_> = (0..4).map(|_| new_customer(&t.scope)).collect();
    for (i, c) in customers.iter().enumerate() {
        for j in 0..100 {
            save_card(&t.scope, &c.id, &visa((i * 1000 + j) as u64));
        }
    }
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = customers
        .iter()
        .enumerate()
        .map(|(n, customer)| {
            let (scope, stop, customer) = (t.scope.clone(), stop.clone(), customer.id.clone());
            thread::spawn(move || {
                let mut mine: Vec<PaymentMethodId> = Vec::new();
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) || i < 50 {
                    let pm = save_card(&scope, &customer, &visa(100_000 + n as u64 * 10_000 + i));
                    mine.push(pm.id);
                    for id in mine.iter().rev().take(3) {
                        scope.retrieve_payment_method(id).unwrap();
                        scope.reveal_payment_method(id).unwrap();
                    }
                    let listed = scope.list_payment_methods(&customer, &PageRequest::first(100)).unwrap();
                    assert!(!listed.payment_methods.is_empty());
                    i += 1;
                }
                mine
            })
        })
        .collect();
    let profile = t.scope.profile_id();
    t.vault.rotate_profile_key(profile).unwrap();
    let mut batches = 0;
    let report = t
        .vault
        .reencrypt_profile(profile, ReencryptOptions { batch_size: 25 }, &mut |_| {
            batches += 1;
            ControlFlow::Continue(())
        })
        .unwrap();
    stop.store(true, Ordering::Relaxed);
    let created: Vec<PaymentMethodId> = workers.into_iter().flat_map(|h| h.join().unwrap()).collect();
    assert!(report.complete, "{report:?}");
    assert!(batches > 10);
    assert_eq!(report.retired_versions, vec![1]);
    let stats = t.vault.profile_stats(profile).unwrap();
    assert_eq!(stats.sealed_values_by_key_version.keys().collect::<Vec<_>>(), vec![&2], "{stats:?}");
    assert_eq!(stats.payment_methods, 400 + created.len() as u64);
    for id in &created {
        t.scope.reveal_payment_method(id).unwrap();
    }
    let report = t.vault.verify(&mut |_| {}).unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
}

#[test]
fn an_interrupted_reencryption_resumes() {
    let mut t = open();
    let customer = new_customer(&t.scope);
    let cards: Vec<_> = (0..60).map(|i| save_card(&t.scope, &customer.id, &visa(i))).collect();
    let profile = &t.scope.profile_id().clone();
    t.vault.rotate_profile_key(profile).unwrap();

    let mut batches = 0;
    let stopped = t
        .vault
        .reencrypt_profile(profile, ReencryptOptions { batch_size: 10 }, &mut |_| {
            batches += 1;
            if batches == 3 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        })
        .unwrap();
    assert!(!stopped.complete);
    assert!(stopped.retired_versions.is_empty());
    let versions = t.vault.profile_stats(profile).unwrap().sealed_values_by_key_version;
    assert!(versions[&1] > 0 && versions[&2] > 0, "half-way: {versions:?}");
    for pm in &cards {
        t.scope.reveal_payment_method(&pm.id).unwrap();
    }

    // A crash half-way is the same as a stop: reopen and run again.
    t.reopen();
    let resumed = t.vault.reencrypt_profile(profile, ReencryptOptions { batch_size: 10 }, &mut keep_going).unwrap();
    assert!(resumed.complete);
    assert_eq!(resumed.retired_versions, vec![1]);
    for pm in &cards {
        assert_eq!(t.scope.reveal_payment_method(&pm.id).unwrap().card_number.expose(), visa(pm_index(&cards, &pm.id)));
    }
    assert!(t.vault.verify(&mut |_| {}).unwrap().is_clean());
}

fn pm_index(cards: &[strongroom_core::PaymentMethod], id: &PaymentMethodId) -> u64 {
    cards.iter().position(|c| &c.id == id).unwrap() as u64
}

#[test]
fn master_key_rotation_frees_the_old_key() {
    let t = open();
    let other = create_profile(&t.vault, "pro_other");
    let customer = new_customer(&t.scope);
    let pm = save_card(&t.scope, &customer.id, "4111111111111111");
    let their_customer = new_customer(&other);
    let theirs = save_card(&other, &their_customer.id, "5555555555554444");
    t.vault.close();

    let k1 = MasterKeyId::parse("k1").unwrap();
    let k2 = MasterKeyId::parse("k2").unwrap();
    let new_key = MasterKey::from_bytes([0x42; 32]);
    let mut both = options(&t.clock);
    both.master_keys = MasterKeyRing::new(
        vec![(k1.clone(), MasterKey::from_hex(MASTER_KEY_HEX).unwrap()), (k2.clone(), new_key.clone())],
        k2.clone(),
    )
    .unwrap();
    let vault = Vault::open(t.path(), both).unwrap();
    let reports = vault.rotate_master_key(&mut keep_going).unwrap();
    assert_eq!(reports.len(), 2);
    assert!(reports.iter().all(|r| r.complete && r.retired_versions == vec![1]));
    vault.close();

    let mut only_new = options(&t.clock);
    only_new.master_keys = MasterKeyRing::single(k2, new_key);
    let vault = Vault::open(t.path(), only_new).unwrap();
    let scope = vault.profile(t.scope.profile_id()).unwrap();
    assert_eq!(scope.reveal_payment_method(&pm.id).unwrap().card_number.expose(), "4111111111111111");
    let other = vault.profile(other.profile_id()).unwrap();
    assert_eq!(other.reveal_payment_method(&theirs.id).unwrap().card_number.expose(), "5555555555554444");
    assert!(vault.verify(&mut |_| {}).unwrap().is_clean());
    vault.close();

    // The old key alone no longer opens the vault: the profiles need k2.
    let err = Vault::open(t.path(), options(&t.clock)).unwrap_err();
    assert_eq!(err.internal_kind(), Some("missing_master_key"));
}

/// A card whose record cannot be read keeps re-encryption from finishing (its values
/// cannot move); `verify` names it, deleting it removes it with every index entry that
/// names it, and re-encryption then retires the old key version. Both ways a record can
/// be unreadable: damaged bytes, and another card's record copied under its key.
#[test]
fn an_unreadable_card_can_be_deleted_so_that_re_encryption_finishes() {
    let mut t = open();
    let customer = new_customer(&t.scope);
    let kept = save_card(&t.scope, &customer.id, &visa(1));
    let damaged = save_card(&t.scope, &customer.id, &visa(2));
    let mut volatile = PaymentMethodCreate::card(customer.id.clone(), card(&visa(3)));
    volatile.storage_type = strongroom_core::StorageType::Volatile;
    let copied_over = t.scope.create_payment_method(volatile).unwrap().payment_method;
    let profile = t.scope.profile_id().clone();
    t.vault.rotate_profile_key(&profile).unwrap();
    t.vault.close();
    {
        let db = raw_db(t.path());
        let records = db.cf_handle("payment_methods").unwrap();
        let key = |pm: &PaymentMethodId| [b"pro_test\0".as_slice(), pm.as_str().as_bytes()].concat();
        damage_payment_method(&db, damaged.id.as_str());
        let other = db.get_cf(records, key(&kept.id)).unwrap().unwrap();
        db.put_cf(records, key(&copied_over.id), other).unwrap();
    }
    t.reopen();
    let err = t.vault.reencrypt_profile(&profile, ReencryptOptions::default(), &mut keep_going).unwrap_err();
    assert_eq!((err.code(), err.internal_kind()), ("HE_00", Some("integrity")), "{err}");
    let report = t.vault.verify(&mut |_| {}).unwrap();
    // (The copied record's index entries are also reported, as orphans: they name a key
    // whose record is another card's.)
    let unreadable: Vec<_> = report
        .problems
        .iter()
        .filter(|p| p.kind == strongroom_core::ProblemKind::UnreadableValue)
        .map(|p| p.location.clone())
        .collect();
    assert_eq!(
        unreadable,
        [&damaged.id, &copied_over.id].map(|pm| format!("payment_methods/{pm}")).to_vec(),
        "{:?}",
        report.problems
    );

    for pm in [&damaged.id, &copied_over.id] {
        let err = t.scope.retrieve_payment_method(pm).unwrap_err();
        assert_eq!(err.internal_kind(), Some("integrity"), "{err}");
        assert_eq!(&t.scope.delete_payment_method(pm).unwrap().id, pm);
        assert_eq!(t.scope.delete_payment_method(pm).unwrap_err().code(), "HE_02");
        assert_eq!(t.scope.retrieve_payment_method(pm).unwrap_err().code(), "HE_02");
    }
    let report = t.vault.reencrypt_profile(&profile, ReencryptOptions::default(), &mut keep_going).unwrap();
    assert!(report.complete && report.retired_versions == vec![1], "{report:?}");
    let report = t.vault.verify(&mut |_| {}).unwrap();
    assert!(report.is_clean(), "no index entry names a deleted card: {:?}", report.problems);
    let listed = t.scope.list_payment_methods(&customer.id, &PageRequest::default()).unwrap();
    assert_eq!(listed.payment_methods.iter().map(|pm| &pm.id).collect::<Vec<_>>(), vec![&kept.id]);
    assert_eq!(t.scope.reveal_payment_method(&kept.id).unwrap().card_number.expose(), visa(1));
    let stats = t.vault.profile_stats(&profile).unwrap();
    assert_eq!((stats.payment_methods, stats.stored_cvcs), (1, 1));
    t.vault.close();
    let dump = raw_dump(t.path());
    for family in ["payment_methods", "pm_by_customer", "pm_expiry", "cvc"] {
        for (key, _) in &dump[family] {
            for pm in [&damaged.id, &copied_over.id] {
                assert!(!contains(key, pm.as_str().as_bytes()), "{family} still names {pm}");
            }
        }
    }
    // The fingerprint index names cards in its values: only the kept card's entry is left.
    assert_eq!(dump["fingerprints"].len(), 1);
}

/// A card whose owner was changed in the files (its record decodes, its details no longer
/// open) is deleted by the index entries that name it, not by its edited clear fields: the
/// customer it was moved to, who holds the same card, keeps that card's entries.
#[test]
fn deleting_an_edited_card_leaves_the_other_customers_card_alone() {
    let mut t = open();
    let (owner, other) = (new_customer(&t.scope), new_customer(&t.scope));
    let edited = save_card(&t.scope, &owner.id, &visa(7));
    let theirs = save_card(&t.scope, &other.id, &visa(7));
    t.vault.close();
    {
        let db = raw_db(t.path());
        rewrite_payment_method(&db, edited.id.as_str(), ClearFieldEdit::Customer(other.id.clone()));
    }
    t.reopen();
    assert_eq!(t.scope.retrieve_payment_method(&edited.id).unwrap_err().internal_kind(), Some("integrity"));
    t.scope.delete_payment_method(&edited.id).unwrap();
    let report = t.vault.verify(&mut |_| {}).unwrap();
    assert!(report.is_clean(), "the owner's entries went with the card: {:?}", report.problems);
    let again = t.scope.create_payment_method(PaymentMethodCreate::card(other.id.clone(), card(&visa(7)))).unwrap();
    assert!(again.duplicate, "the other customer's fingerprint entry is still there");
    assert_eq!(again.payment_method.id, theirs.id);
    let listed = t.scope.list_payment_methods(&owner.id, &PageRequest::default()).unwrap();
    assert!(listed.payment_methods.is_empty());
}

/// Re-encryption commits each batch while it still holds the locks it read the batch
/// under: a CVC taken, or a card deleted, while a rotation runs is never written back with
/// the value the batch read before. (Without the locks held to the commit, a few of these
/// would come back in some runs: a race, which this test gives many chances.)
#[test]
fn records_removed_during_reencryption_stay_removed() {
    let t = open();
    let profile = t.scope.profile_id().clone();
    let mut cards = Vec::new();
    for i in 0..8u64 {
        let customer = new_customer(&t.scope);
        for j in 0..40 {
            cards.push(save_card(&t.scope, &customer.id, &visa(i * 1000 + j)).id);
        }
    }
    t.vault.rotate_profile_key(&profile).unwrap();
    thread::scope(|s| {
        let reencryption = s.spawn(|| {
            t.vault.reencrypt_profile(&profile, ReencryptOptions { batch_size: 4 }, &mut keep_going).unwrap()
        });
        for (n, id) in cards.iter().enumerate() {
            assert!(t.scope.take_cvc(id).unwrap().is_some());
            if n % 2 == 0 {
                t.scope.delete_payment_method(id).unwrap();
            }
        }
        assert!(reencryption.join().unwrap().complete);
    });
    for (n, id) in cards.iter().enumerate() {
        if n % 2 == 0 {
            assert_eq!(t.scope.retrieve_payment_method(id).unwrap_err().code(), "HE_02", "a deleted card is back");
        } else {
            assert_eq!(t.scope.take_cvc(id).unwrap(), None, "a taken CVC is back");
        }
    }
    assert!(t.vault.verify(&mut |_| {}).unwrap().is_clean());
}
