//! Vault operations: crypto-shredding a profile, verify, online checkpoints, stats.

mod common;

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;

use common::*;
use strongroom_core::internals::ClearFieldEdit;
use strongroom_core::{CustomerCreate, PageRequest, PaymentMethodCreate, ProblemKind, ReencryptOptions, Vault};

/// The doomed profile's sealed values (at least 48 bytes: envelope and tag) and its salt
/// record, from a dump of the files.
fn doomed_secrets(dump: &RawDump) -> Vec<Vec<u8>> {
    let sealed: Vec<Vec<u8>> = dump
        .values()
        .flatten()
        .filter(|(k, _)| k.starts_with(b"pro_doomed"))
        .map(|(_, v)| v.clone())
        .filter(|v| v.len() >= 48)
        .collect();
    assert!(sealed.len() >= 4, "the profile record, customer, card and audit events");
    let salt_record = dump["profiles"].iter().find(|(k, _)| k == b"pro_doomed").unwrap().1.clone();
    sealed.into_iter().chain([salt_record]).collect()
}

/// Fails if the last 32 bytes of any secret are in any file under `dir`.
fn assert_no_file_holds(dir: &std::path::Path, secrets: &[Vec<u8>]) {
    let files = all_files(dir);
    for value in secrets {
        for (path, bytes) in &files {
            assert!(
                !contains(bytes, &value[value.len() - 32..]),
                "a sealed value or the salt is still in {}",
                path.display()
            );
        }
    }
}

#[test]
fn destroying_a_profile_shreds_it() {
    let mut t = open();
    let doomed = create_profile(&t.vault, "pro_doomed");
    let customer =
        doomed.create_customer(CustomerCreate { name: Some("Doomed Person".into()), ..Default::default() }).unwrap();
    let doomed_pm = save_card(&doomed, &customer.id, "4111111111111111");
    let keeper = new_customer(&t.scope);
    let kept = save_card(&t.scope, &keeper.id, "5555555555554444");
    t.vault.close();

    // A copy of the files before the destroy: where the profile's secrets were.
    let secrets = doomed_secrets(&raw_dump(t.path()));

    t.reopen();
    let doomed = t.vault.profile(doomed.profile_id()).unwrap();
    t.vault.destroy_profile(doomed.profile_id()).unwrap();
    assert_eq!(doomed.retrieve_payment_method(&doomed_pm.id).unwrap_err().code(), "HE_02");
    assert_eq!(t.vault.profile(doomed.profile_id()).unwrap_err().code(), "HE_02");
    assert_eq!(t.vault.list_profiles().unwrap().len(), 1);
    t.vault.close();

    // The newer state: no key of the profile, and none of its bytes in any file.
    let after = raw_dump(t.path());
    assert!(after.values().flatten().all(|(k, _)| !k.starts_with(b"pro_doomed")));
    assert_no_file_holds(t.path(), &secrets);
    t.reopen();
    assert_eq!(t.scope.reveal_payment_method(&kept.id).unwrap().card_number.expose(), "5555555555554444");
    assert!(t.vault.verify(&mut |_| {}).unwrap().is_clean());
    // A profile of the same name starts from nothing, with a new salt.
    let reborn = create_profile(&t.vault, "pro_doomed");
    assert!(reborn.list_customers(&PageRequest::default()).unwrap().customers.is_empty());
}

/// Without a reopen by the caller: RocksDB keeps write-ahead logs retired while it runs
/// and overwrites them later instead of appending new ones (the vault turns that on: a
/// synced create is ~30–40 % cheaper, BENCHMARKS.md). A reused log still holds its old
/// records past what was written into it since, so the destroy reopens the database,
/// which deletes every log an earlier run left. Here the doomed profile's writes sit in a
/// log behind other traffic, a checkpoint retires that log, and the destroy's own flush
/// reuses it; without the reopen the salt and the sealed values are still in it.
#[test]
fn destroying_a_profile_in_a_running_vault_leaves_nothing_in_reused_logs() {
    let t = open();
    let keeper = new_customer(&t.scope);
    for i in 0..2000 {
        save_card(&t.scope, &keeper.id, &visa(i));
    }
    let doomed = create_profile(&t.vault, "pro_doomed");
    let customer =
        doomed.create_customer(CustomerCreate { name: Some("Doomed Person".into()), ..Default::default() }).unwrap();
    save_card(&doomed, &customer.id, "4111111111111111");
    // The checkpoint flushes every column family, which retires the log that holds all of
    // the above; it is the copy the secrets are taken from.
    let scratch = tempfile::tempdir().unwrap();
    t.vault.checkpoint(scratch.path().join("copy")).unwrap();
    let secrets = doomed_secrets(&raw_dump(&scratch.path().join("copy")));

    t.vault.destroy_profile(doomed.profile_id()).unwrap();
    t.vault.close();
    assert!(rocksdb_reused_a_log(t.path()), "the case under test: RocksDB reused a retired log");
    assert_no_file_holds(t.path(), &secrets);
}

/// The destroy closes and reopens the database while other profiles keep working: their
/// calls wait for the reopen, none fails, and everything they were told was saved is there.
#[test]
fn other_profiles_keep_working_while_a_profile_is_destroyed() {
    let t = open();
    let customer = new_customer(&t.scope);
    let stop = Arc::new(AtomicBool::new(false));
    let saves = Arc::new(AtomicU64::new(0));
    let writers: Vec<_> = (0..2u64)
        .map(|w| {
            let (scope, stop, saves, customer) = (t.scope.clone(), stop.clone(), saves.clone(), customer.id.clone());
            thread::spawn(move || {
                let mut saved = Vec::new();
                while !stop.load(Ordering::Relaxed) || saved.len() < 50 {
                    let pm = save_card(&scope, &customer, &visa(w * 100_000 + saved.len() as u64));
                    assert_eq!(scope.retrieve_payment_method(&pm.id).unwrap().id, pm.id);
                    saved.push(pm.id);
                    saves.fetch_add(1, Ordering::Relaxed);
                }
                saved
            })
        })
        .collect();
    // Saves that finished while a destroy (and its reopen) was under way.
    let mut during = 0;
    for round in 0..3 {
        let doomed = create_profile(&t.vault, &format!("pro_doomed{round}"));
        save_card(&doomed, &new_customer(&doomed).id, "4111111111111111");
        let before = saves.load(Ordering::Relaxed);
        t.vault.destroy_profile(doomed.profile_id()).unwrap();
        during += saves.load(Ordering::Relaxed) - before;
    }
    stop.store(true, Ordering::Relaxed);
    let saved: Vec<_> = writers.into_iter().flat_map(|w| w.join().unwrap()).collect();
    assert!(during > 0, "no save overlapped a destroy");
    for id in &saved {
        t.scope.retrieve_payment_method(id).unwrap();
    }
    assert_eq!(t.vault.profile_stats(t.scope.profile_id()).unwrap().payment_methods, saved.len() as u64);
    assert!(t.vault.verify(&mut |_| {}).unwrap().is_clean());
}

#[test]
fn verify_reports_orphans_and_unreadable_values() {
    let mut t = open();
    let customer = new_customer(&t.scope);
    let pms: Vec<_> = (0..3).map(|i| save_card(&t.scope, &customer.id, &visa(i))).collect();
    let mut progress = Vec::new();
    let clean = t.vault.verify(&mut |p| progress.push(p.clone())).unwrap();
    assert!(clean.is_clean(), "{:?}", clean.problems);
    assert_eq!(clean.profiles, 1);
    assert_eq!(progress.len(), 1);
    assert!(clean.values_opened >= 1 + 3 * 2 + 3);
    assert_eq!(clean.audit_events_checked, 1 + 1 + 3);
    t.vault.close();
    {
        let db = raw_db(t.path());
        // An index entry pointing to a payment method that does not exist.
        let index = db.cf_handle("pm_by_customer").unwrap();
        let ghost = strongroom_core::PaymentMethodId::generate(None).unwrap();
        db.put_cf(
            index,
            [b"pro_test\0".as_slice(), customer.id.as_str().as_bytes(), b"\0", ghost.as_str().as_bytes()].concat(),
            b"",
        )
        .unwrap();
        // A card whose sealed details were altered.
        let records = db.cf_handle("payment_methods").unwrap();
        let key = [b"pro_test\0".as_slice(), pms[1].id.as_str().as_bytes()].concat();
        let mut value = db.get_cf(records, &key).unwrap().unwrap();
        let n = value.len();
        value[n - 120] ^= 1;
        db.put_cf(records, &key, value).unwrap();
    }
    t.reopen();
    let report = t.vault.verify(&mut |_| {}).unwrap();
    let kinds: Vec<_> = report.problems.iter().map(|p| (p.kind, p.location.clone())).collect();
    assert!(
        kinds.iter().any(|(k, l)| *k == ProblemKind::OrphanIndexEntry && l.starts_with("pm_by_customer/")),
        "{kinds:?}"
    );
    assert!(
        kinds.iter().any(|(k, l)| *k == ProblemKind::UnreadableValue && l.contains(pms[1].id.as_str())),
        "{kinds:?}"
    );
    assert_eq!(report.problems.len(), 2, "{:?}", report.problems);
}

#[test]
fn a_checkpoint_taken_during_writes_opens_and_verifies() {
    let t = open();
    let customer = new_customer(&t.scope);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (scope, stop, customer) = (t.scope.clone(), stop.clone(), customer.id.clone());
        thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) || n < 100 {
                save_card(&scope, &customer, &visa(n));
                n += 1;
            }
            n
        })
    };
    while t.vault.profile_stats(t.scope.profile_id()).unwrap().payment_methods < 50 {
        thread::yield_now();
    }
    let backup = t.dir.path().join("backup");
    t.vault.checkpoint(&backup).unwrap();
    stop.store(true, Ordering::Relaxed);
    let written = writer.join().unwrap();

    let copy = Vault::open(&backup, options(&t.clock)).unwrap();
    let report = copy.verify(&mut |_| {}).unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    let in_copy = copy.profile_stats(t.scope.profile_id()).unwrap().payment_methods;
    assert!(in_copy >= 50 && in_copy <= written, "{in_copy} of {written}");
    assert!(copy.verify_audit(t.scope.profile_id()).unwrap().is_intact());
    assert_eq!(t.vault.checkpoint(&backup).unwrap_err().code(), "IR_05", "an existing directory is refused");
}

#[test]
fn stats_count_every_kind() {
    let t = open();
    let other = create_profile(&t.vault, "pro_other");
    let a = new_customer(&t.scope);
    let b = new_customer(&t.scope);
    save_card(&t.scope, &a.id, "4111111111111111");
    let pm = save_card(&t.scope, &b.id, "5555555555554444");
    t.scope.take_cvc(&pm.id).unwrap();
    t.scope.delete_customer(&a.id).unwrap();
    new_customer(&other);
    let stats = t.vault.stats().unwrap();
    assert_eq!(stats.profiles, 2);
    let mine = &stats.per_profile.iter().find(|p| p.profile_id.as_ref() == Some(t.scope.profile_id())).unwrap();
    assert_eq!((mine.customers, mine.redacted_customers, mine.payment_methods, mine.stored_cvcs), (1, 1, 1, 0));
    assert_eq!(stats.total.customers, 2);
    // Sealed: 2 HMAC keys, 2 customers' personal data, 2 sealed values of the card. Audit
    // events and chain heads are maced, not sealed (vault format 3), but counted.
    let sealed: u64 = stats.total.sealed_values_by_key_version.values().sum();
    assert_eq!(sealed, 2 + 2 + 2);
    // Events: 2 profiles, 3 customers and 2 cards created, a CVC taken, a customer deleted
    // and its card with it.
    assert_eq!(stats.total.audit_events, 2 + 3 + 2 + 1 + 1 + 1);
}

#[test]
fn maintenance_reads_cards_in_table_files_and_in_memory_alike() {
    // Payment methods and the fingerprint index sit in hash memtables with every key its
    // own prefix (store/rocks.rs): an ordered read that did not ask for total order would
    // see almost nothing of what is still in memory (and could skip table files).
    let mut t = open();
    let profile = t.scope.profile_id().clone();
    let customer = new_customer(&t.scope);
    let mut cards: Vec<_> = (0..40).map(|i| save_card(&t.scope, &customer.id, &visa(i)).id).collect();
    t.reopen();
    let tables = all_files(t.path()).into_iter().filter(|(path, _)| path.extension() == Some("sst".as_ref())).count();
    assert!(tables > 0, "the reopen wrote what the log held to table files");
    cards.extend((40..80).map(|i| save_card(&t.scope, &customer.id, &visa(i)).id));

    assert_eq!(t.vault.profile_stats(&profile).unwrap().payment_methods, 80);
    let verified = t.vault.verify(&mut |_| {}).unwrap();
    assert!(verified.is_clean());
    // Each card's two index entries (by customer, and its fingerprint, also in a hash
    // memtable), all read.
    assert_eq!(verified.index_entries_checked, 2 * 80);
    t.vault.rotate_profile_key(&profile).unwrap();
    let report = t
        .vault
        .reencrypt_profile(&profile, ReencryptOptions { batch_size: 7 }, &mut |_| ControlFlow::Continue(()))
        .unwrap();
    assert!(report.complete, "{report:?}");
    let versions = t.vault.profile_stats(&profile).unwrap().sealed_values_by_key_version;
    assert_eq!(versions.keys().collect::<Vec<_>>(), vec![&2], "every card moved: {versions:?}");
    for (i, id) in cards.iter().enumerate() {
        assert_eq!(t.scope.reveal_payment_method(id).unwrap().card_number.expose(), visa(i as u64));
    }
    let listed = t.scope.list_payment_methods(&customer.id, &PageRequest::first(100)).unwrap();
    assert_eq!(listed.payment_methods.len(), 80);
}

/// A destroy whose deletes were written but whose purge never ran (the process stopped in
/// between) is finished by the next open: none of the profile's bytes stay in the files,
/// and the note that the purge was pending is gone.
#[test]
fn an_interrupted_destroy_is_finished_at_the_next_open() {
    let mut t = open();
    let doomed = create_profile(&t.vault, "pro_doomed");
    let customer =
        doomed.create_customer(CustomerCreate { name: Some("Doomed Person".into()), ..Default::default() }).unwrap();
    save_card(&doomed, &customer.id, "4111111111111111");
    let keeper = new_customer(&t.scope);
    let kept = save_card(&t.scope, &keeper.id, "5555555555554444");
    t.vault.close();
    let secrets = doomed_secrets(&raw_dump(t.path()));

    // What the destroy writes before its purge: the deletes and the pending note.
    {
        let db = raw_db(t.path());
        let mut batch = rocksdb::WriteBatch::default();
        for name in COLUMN_FAMILIES.iter().filter(|n| **n != "meta" && **n != "default") {
            let cf = db.cf_handle(name).unwrap();
            if *name == "profiles" {
                batch.delete_range_cf(&cf, b"pro_doomed".as_slice(), b"pro_doomed\0".as_slice());
            } else {
                batch.delete_range_cf(&cf, b"pro_doomed\0".as_slice(), b"pro_doomed\x01".as_slice());
            }
        }
        batch.put_cf(&db.cf_handle("meta").unwrap(), b"destroying/pro_doomed", b"");
        db.write(batch).unwrap();
    }
    assert!(
        all_files(t.path()).iter().any(|(_, bytes)| secrets.iter().any(|s| contains(bytes, &s[s.len() - 32..]))),
        "before the next open the files still hold the profile"
    );

    t.reopen();
    assert_eq!(t.vault.profile(&profile_id("pro_doomed")).unwrap_err().code(), "HE_02");
    assert_eq!(
        t.vault.destroy_profile(&profile_id("pro_doomed")).unwrap_err().code(),
        "HE_02",
        "nothing is left to do"
    );
    assert_eq!(t.scope.reveal_payment_method(&kept.id).unwrap().card_number.expose(), "5555555555554444");
    t.vault.close();
    assert_no_file_holds(t.path(), &secrets);
    let after = raw_dump(t.path());
    assert!(after.values().flatten().all(|(k, _)| !k.starts_with(b"pro_doomed") && !k.starts_with(b"destroying/")));
}

/// One damaged record does not stop the sweep (nor the stats): expired CVCs after it (in key order, and in
/// later profiles) are still deleted, and the report counts what it could not read.
#[test]
fn purge_goes_on_past_a_damaged_record() {
    let mut t = open();
    let customer = new_customer(&t.scope);
    let pms: Vec<_> = (0..3).map(|i| save_card(&t.scope, &customer.id, &visa(i))).collect();
    let later = create_profile(&t.vault, "pro_test_later");
    let later_customer = new_customer(&later);
    let later_pm = save_card(&later, &later_customer.id, "5555555555554444");
    t.vault.close();
    {
        let db = raw_db(t.path());
        let cvcs = db.cf_handle("cvc").unwrap();
        let key = [b"pro_test\0".as_slice(), pms[0].id.as_str().as_bytes()].concat();
        let mut value = db.get_cf(cvcs, &key).unwrap().unwrap();
        value[2] ^= 0x40;
        db.put_cf(cvcs, &key, value).unwrap();
    }
    t.reopen();
    // Stats count past it too (the CLI's verify sizes its progress bar by them first).
    let stats = t.vault.profile_stats(t.scope.profile_id()).unwrap();
    assert_eq!((stats.payment_methods, stats.stored_cvcs, stats.unreadable_records), (3, 2, 1), "{stats:?}");
    let all = t.vault.stats().unwrap();
    assert_eq!((all.total.stored_cvcs, all.total.unreadable_records), (3, 1), "{all:?}");
    t.clock.advance(std::time::Duration::from_secs(16 * 60));
    let report = t.vault.purge_expired().unwrap();
    assert_eq!((report.cvcs, report.unreadable), (3, 1), "{report:?}");
    let later = t.vault.profile(later.profile_id()).unwrap();
    assert!(later.take_cvc(&later_pm.id).unwrap().is_none());
    assert!(t.scope.take_cvc(&pms[2].id).unwrap().is_none());
}

/// An expired volatile card whose owner was changed in the files is not purged by its
/// edited clear fields (which name the fingerprint entry of the customer it was moved to,
/// who holds the same card): the sweep counts it unreadable, and deleting it removes it
/// through the entries that name it.
#[test]
fn purge_leaves_an_edited_volatile_card_to_delete() {
    let mut t = open();
    let (owner, other) = (new_customer(&t.scope), new_customer(&t.scope));
    let mut request = PaymentMethodCreate::card(owner.id.clone(), card(&visa(9)));
    request.storage_type = strongroom_core::StorageType::Volatile;
    let edited = t.scope.create_payment_method(request).unwrap().payment_method;
    let theirs = save_card(&t.scope, &other.id, &visa(9));
    t.vault.close();
    rewrite_payment_method(&raw_db(t.path()), edited.id.as_str(), ClearFieldEdit::Customer(other.id.clone()));
    t.reopen();
    t.clock.advance(std::time::Duration::from_secs(25 * 3600));
    let report = t.vault.purge_expired().unwrap();
    assert_eq!((report.payment_methods, report.unreadable), (0, 1), "{report:?}");
    let again = t.scope.create_payment_method(PaymentMethodCreate::card(other.id.clone(), card(&visa(9)))).unwrap();
    assert!(again.duplicate && again.payment_method.id == theirs.id, "their fingerprint entry is still there");
    t.scope.delete_payment_method(&edited.id).unwrap();
    assert!(t.vault.verify(&mut |_| {}).unwrap().is_clean());
    assert_eq!(t.vault.purge_expired().unwrap(), strongroom_core::PurgeReport::default());
}

/// Saving a card again checks the expired copy it finds before expiring it, as every
/// expiry does: an edited one (here its last four digits, checksum recomputed) is an
/// integrity error, left to `delete_payment_method`, instead of being removed through
/// the index entries its edited fields name.
#[test]
fn saving_a_card_again_leaves_an_edited_expired_copy_to_delete() {
    let mut t = open();
    let customer = new_customer(&t.scope);
    let volatile = || {
        let mut request = PaymentMethodCreate::card(customer.id.clone(), card(&visa(7)));
        request.storage_type = strongroom_core::StorageType::Volatile;
        request
    };
    let edited = t.scope.create_payment_method(volatile()).unwrap().payment_method;
    t.vault.close();
    rewrite_payment_method(&raw_db(t.path()), edited.id.as_str(), ClearFieldEdit::Last4("0000".into()));
    t.reopen();
    t.clock.advance(std::time::Duration::from_secs(25 * 3600));
    let err = t.scope.create_payment_method(volatile()).unwrap_err();
    assert_eq!((err.code(), err.internal_kind()), ("HE_00", Some("integrity")), "{err}");
    t.scope.delete_payment_method(&edited.id).unwrap();
    let saved = t.scope.create_payment_method(volatile()).unwrap();
    assert!(!saved.duplicate && saved.payment_method.id != edited.id);
    assert!(t.vault.verify(&mut |_| {}).unwrap().is_clean());
}
