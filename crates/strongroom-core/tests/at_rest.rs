//! What is on disk: no card number, CVC or holder name in plaintext in any file; values
//! moved between profiles or records, and clear fields edited, fail as integrity errors,
//! never as wrong data.

mod common;

use common::*;
use strongroom_core::internals::ClearFieldEdit;
use strongroom_core::{CustomerCreate, PageRequest, PaymentMethodCreate, ProfileSettings, StorageType};

/// A Luhn-valid 15-digit American Express number derived from `n`.
fn amex(n: u64) -> String {
    let body = format!("37{:012}", n);
    format!("{body}{}", luhn_check_digit(&body))
}

fn count_hits(files: &[(std::path::PathBuf, Vec<u8>)], needle: &[u8]) -> usize {
    // Counted only where the digits stand alone (not inside a longer run of letters or
    // digits, such as a hex id), which is how a leaked CVC would be stored.
    files
        .iter()
        .map(|(_, bytes)| {
            bytes
                .windows(needle.len())
                .enumerate()
                .filter(|(i, w)| {
                    *w == needle
                        && (*i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
                        && bytes.get(i + needle.len()).is_none_or(|b| !b.is_ascii_alphanumeric())
                })
                .count()
        })
        .sum()
}

/// Every key and value of every column family, read back through RocksDB (so
/// decompressed), as one more file to search.
fn logical_contents(dir: &std::path::Path) -> (std::path::PathBuf, Vec<u8>) {
    let options = rocksdb::Options::default();
    let names = rocksdb::DB::list_cf(&options, dir).unwrap();
    let db = rocksdb::DB::open_cf_for_read_only(&options, dir, &names, false).unwrap();
    let mut out = Vec::new();
    for name in &names {
        for entry in db.iterator_cf(db.cf_handle(name).unwrap(), rocksdb::IteratorMode::Start) {
            let (key, value) = entry.unwrap();
            out.extend_from_slice(&key);
            out.push(0);
            out.extend_from_slice(&value);
            out.push(0);
        }
    }
    ("<every column family, decompressed>".into(), out)
}

#[test]
fn no_plaintext_card_data_in_any_file() {
    let mut t = open();
    let mut numbers = Vec::new();
    let mut names = Vec::new();
    let mut cvcs = Vec::new();
    let customers: Vec<_> = (0..50)
        .map(|i| {
            t.scope
                .create_customer(CustomerCreate {
                    name: Some(format!("Customer Qzv{i:04}").into()),
                    email: Some(format!("person{i:04}@example.org").into()),
                    ..Default::default()
                })
                .unwrap()
        })
        .collect();
    let all_numbers: Vec<String> = (0..500u64).map(|i| amex(1_000_003 * i + 17)).collect();
    // The last four digits are stored in clear (the masked view shows them), so CVCs and
    // control values are chosen among 4-digit values that are nobody's last four, the two
    // sets interleaved over the same range so text in RocksDB's files hits both alike.
    let last4: std::collections::HashSet<&str> = all_numbers.iter().map(|n| &n[n.len() - 4..]).collect();
    let candidates: Vec<String> =
        (1000..10_000).step_by(4).map(|v: u32| v.to_string()).filter(|v| !last4.contains(v.as_str())).collect();
    let (stored_cvcs, control_cvcs): (Vec<_>, Vec<_>) =
        candidates.chunks(2).take(500).map(|p| (p[0].clone(), p[1].clone())).unzip();
    for (i, number) in all_numbers.into_iter().enumerate() {
        let name = format!("Holder Xqj{i:05}");
        let cvc = stored_cvcs[i].clone();
        let mut input = card(&number);
        input.card_holder_name = Some(name.as_str().into());
        input.card_cvc = Some(cvc.as_str().into());
        let customer = &customers[i % 50];
        t.scope.create_payment_method(PaymentMethodCreate::card(customer.id.clone(), input)).unwrap();
        numbers.push(number);
        names.push(name);
        cvcs.push(cvc);
    }
    // Reopening replays the WAL into SST files, so both kinds hold the data.
    t.reopen();
    let listed = t.scope.list_payment_methods(&customers[0].id, &PageRequest::first(100)).unwrap();
    assert_eq!(listed.payment_methods.len(), 10);
    t.vault.close();

    let mut files = all_files(t.path());
    let has = |suffix: &str| files.iter().any(|(p, _)| p.to_string_lossy().ends_with(suffix));
    assert!(has(".sst") && has(".log") && files.iter().any(|(p, _)| p.to_string_lossy().contains("MANIFEST")));
    assert!(files.iter().any(|(p, _)| p.to_string_lossy().contains("OPTIONS")));
    assert!(files.iter().any(|(p, _)| p.ends_with("LOG")));
    // Table blocks are LZ4-compressed, where a leaked value need not appear as its own
    // bytes: what every column family holds, read back decompressed, is searched as well.
    let logical = logical_contents(t.path());
    assert!(contains(&logical.1, customers[0].id.as_str().as_bytes()), "the logical dump holds the stored ids");
    files.push(logical);

    for number in &numbers {
        for (path, bytes) in &files {
            assert!(!contains(bytes, number.as_bytes()), "a card number in {}", path.display());
            assert!(!contains(bytes, &number.as_bytes()[..12]), "12 leading digits in {}", path.display());
        }
    }
    for name in names
        .iter()
        .chain(customers.iter().map(|c| c.name.as_ref().unwrap().expose().to_owned()).collect::<Vec<_>>().iter())
    {
        for (path, bytes) in &files {
            assert!(!contains(bytes, name.as_bytes()), "a name in {}", path.display());
        }
    }
    for i in 0..50 {
        let email = format!("person{i:04}@example.org");
        assert!(files.iter().all(|(_, bytes)| !contains(bytes, email.as_bytes())), "an email on disk");
    }
    // A 4-digit CVC can occur by chance in ciphertext, and RocksDB's LOG and OPTIONS
    // files are full of numbers (`block_size: 4096`). So count how many distinct stored
    // CVCs appear anywhere, against as many control values that were never stored: a leak
    // puts (nearly) all 500 stored values on disk; chance and text put a handful of each.
    let distinct_hits = |values: &[String]| values.iter().filter(|c| count_hits(&files, c.as_bytes()) > 0).count();
    let (stored_hits, control_hits) = (distinct_hits(&cvcs), distinct_hits(&control_cvcs));
    assert!(
        stored_hits <= control_hits + 20,
        "{stored_hits} distinct stored CVCs are on disk, against {control_hits} control values"
    );
}

#[test]
fn other_profiles_records_are_not_found() {
    let t = open();
    let other = create_profile(&t.vault, "pro_other");
    let customer = new_customer(&t.scope);
    let pm = save_card(&t.scope, &customer.id, "4111111111111111");

    let expect_not_found = |err: strongroom_core::Error| assert_eq!(err.code(), "HE_02", "{err}");
    expect_not_found(other.retrieve_customer(&customer.id).unwrap_err());
    expect_not_found(other.update_customer(&customer.id, Default::default()).unwrap_err());
    expect_not_found(other.delete_customer(&customer.id).unwrap_err());
    expect_not_found(other.list_payment_methods(&customer.id, &PageRequest::default()).unwrap_err());
    expect_not_found(
        other
            .create_payment_method(PaymentMethodCreate::card(customer.id.clone(), card("4111111111111111")))
            .unwrap_err(),
    );
    expect_not_found(other.retrieve_payment_method(&pm.id).unwrap_err());
    expect_not_found(other.update_payment_method(&pm.id, Default::default()).unwrap_err());
    expect_not_found(other.reveal_payment_method(&pm.id).unwrap_err());
    expect_not_found(other.take_cvc(&pm.id).unwrap_err());
    expect_not_found(other.delete_payment_method(&pm.id).unwrap_err());
    assert!(other.list_customers(&PageRequest::default()).unwrap().customers.is_empty());
    assert_eq!(t.scope.retrieve_payment_method(&pm.id).unwrap(), pm, "the owner still sees it");
}

#[test]
fn values_moved_at_the_storage_level_fail_integrity_checks() {
    let mut t = open();
    let other = create_profile(&t.vault, "pro_other");
    let mine = new_customer(&t.scope);
    let theirs = new_customer(&other);
    let my_pm = save_card(&t.scope, &mine.id, "4111111111111111");
    let second_pm = save_card(&t.scope, &mine.id, "5555555555554444");
    let their_pm = save_card(&other, &theirs.id, "378282246310005");
    t.vault.close();

    {
        let db = raw_db(t.path());
        let pms = db.cf_handle("payment_methods").unwrap();
        let customers = db.cf_handle("customers").unwrap();
        let key = |profile: &str, id: &str| [profile.as_bytes(), b"\0", id.as_bytes()].concat();
        // My card record copied into the other profile, under its own id.
        let mine_bytes = db.get_cf(pms, key("pro_test", my_pm.id.as_str())).unwrap().unwrap();
        db.put_cf(pms, key("pro_other", my_pm.id.as_str()), &mine_bytes).unwrap();
        // My customer copied into the other profile.
        let customer_bytes = db.get_cf(customers, key("pro_test", mine.id.as_str())).unwrap().unwrap();
        db.put_cf(customers, key("pro_other", mine.id.as_str()), &customer_bytes).unwrap();
        // Their card record pasted over my second card (same profile key, other record).
        let their_bytes = db.get_cf(pms, key("pro_other", their_pm.id.as_str())).unwrap().unwrap();
        db.put_cf(pms, key("pro_test", second_pm.id.as_str()), &their_bytes).unwrap();
    }
    t.reopen();
    let other = t.vault.profile(other.profile_id()).unwrap();

    let integrity = |err: strongroom_core::Error| {
        assert_eq!((err.code(), err.internal_kind()), ("HE_00", Some("integrity")), "{err}");
    };
    integrity(other.retrieve_payment_method(&my_pm.id).unwrap_err());
    integrity(other.reveal_payment_method(&my_pm.id).unwrap_err());
    integrity(other.retrieve_customer(&mine.id).unwrap_err());
    integrity(t.scope.retrieve_payment_method(&second_pm.id).unwrap_err());
    integrity(t.scope.list_payment_methods(&mine.id, &PageRequest::default()).unwrap_err());
    // Untouched values still open.
    assert_eq!(t.scope.retrieve_payment_method(&my_pm.id).unwrap().card.last4_digits, "1111");
    assert_eq!(other.reveal_payment_method(&their_pm.id).unwrap().card_number.expose(), "378282246310005");
}

/// A record's clear fields carry a checksum anyone can compute again, not a MAC; the
/// card's details are bound to them. A card moved to another customer, a volatile card
/// made persistent and a card showing other last four digits all fail to open, wherever
/// they are read; the cards left alone open.
#[test]
fn clear_fields_edited_at_the_storage_level_fail_integrity_checks() {
    let mut t = open();
    let (mine, theirs) = (new_customer(&t.scope), new_customer(&t.scope));
    let moved = save_card(&t.scope, &mine.id, "4111111111111111");
    let relabelled = save_card(&t.scope, &mine.id, "5555555555554444");
    let kept = save_card(&t.scope, &mine.id, "378282246310005");
    let volatile = t
        .scope
        .create_payment_method(PaymentMethodCreate {
            storage_type: StorageType::Volatile,
            ..PaymentMethodCreate::card(theirs.id.clone(), card("6011111111111117"))
        })
        .unwrap()
        .payment_method;
    t.vault.close();

    {
        let db = raw_db(t.path());
        let by_customer = db.cf_handle("pm_by_customer").unwrap();
        let key = |parts: &[&str]| parts.join("\0").into_bytes();
        let rewrite = |id: &str, edit: ClearFieldEdit| rewrite_payment_method(&db, id, edit);
        // Moved to their customer, index entry and all.
        rewrite(moved.id.as_str(), ClearFieldEdit::Customer(theirs.id.clone()));
        db.delete_cf(by_customer, key(&["pro_test", mine.id.as_str(), moved.id.as_str()])).unwrap();
        db.put_cf(by_customer, key(&["pro_test", theirs.id.as_str(), moved.id.as_str()]), b"").unwrap();
        rewrite(volatile.id.as_str(), ClearFieldEdit::Persistent);
        rewrite(relabelled.id.as_str(), ClearFieldEdit::Last4("0000".into()));
    }
    t.reopen();

    let integrity = |err: strongroom_core::Error| {
        assert_eq!((err.code(), err.internal_kind()), ("HE_00", Some("integrity")), "{err}");
    };
    for pm in [&moved, &volatile, &relabelled] {
        integrity(t.scope.retrieve_payment_method(&pm.id).unwrap_err());
        integrity(t.scope.reveal_payment_method(&pm.id).unwrap_err());
    }
    integrity(t.scope.list_payment_methods(&theirs.id, &PageRequest::default()).unwrap_err());
    integrity(t.scope.list_payment_methods(&mine.id, &PageRequest::default()).unwrap_err());
    assert_eq!(t.scope.retrieve_payment_method(&kept.id).unwrap(), kept, "untouched cards still open");
    let report = t.vault.verify(&mut |_| {}).unwrap();
    let unopened: Vec<_> = report
        .problems
        .iter()
        .filter(|p| p.detail.starts_with("card details do not open"))
        .map(|p| &p.location)
        .collect();
    let expected: Vec<_> = [&moved, &volatile, &relabelled].map(|pm| format!("payment_methods/{}", pm.id)).to_vec();
    assert_eq!(unopened.len(), 3, "{report:?}");
    assert!(expected.iter().all(|e| unopened.contains(&e)), "{unopened:?}");

    // Deleting a customer trusts no card's clear fields either: the card moved to them is
    // not deleted as theirs (nor its entries and token as theirs), and nothing is written.
    integrity(t.scope.delete_customer(&theirs.id).unwrap_err());
    integrity(t.scope.delete_customer(&mine.id).unwrap_err());
    integrity(t.scope.retrieve_payment_method(&moved.id).unwrap_err());
    assert_eq!(t.scope.retrieve_customer(&theirs.id).unwrap().id, theirs.id);
    assert_eq!(t.scope.reveal_payment_method(&kept.id).unwrap().card_number.expose(), "378282246310005");
    // Once the unreadable cards are deleted alone, the customers are deleted with the rest.
    for pm in [&moved, &volatile, &relabelled] {
        t.scope.delete_payment_method(&pm.id).unwrap();
    }
    assert_eq!(t.scope.delete_customer(&theirs.id).unwrap().payment_methods_deleted, 0);
    assert_eq!(t.scope.delete_customer(&mine.id).unwrap().payment_methods_deleted, 1);
    assert!(t.vault.verify(&mut |_| {}).unwrap().is_clean());
}

/// An active customer's personal data is always sealed; a record edited to hold none is
/// an integrity error rather than an empty customer, whose next update would seal the
/// empty data over what was there. `verify` reports it, and it can still be deleted.
#[test]
fn a_customer_edited_to_hold_no_personal_data_fails_integrity_checks() {
    let mut t = open();
    let customer = new_customer(&t.scope);
    let other = new_customer(&t.scope);
    t.vault.close();
    {
        let db = raw_db(t.path());
        let customers = db.cf_handle("customers").unwrap();
        let key = [b"pro_test\0".as_slice(), customer.id.as_str().as_bytes()].concat();
        let stored = db.get_cf(customers, &key).unwrap().unwrap();
        let edited = strongroom_core::internals::edit_customer_record(
            &stored,
            strongroom_core::internals::CustomerEdit::NoPersonalData,
        )
        .unwrap();
        db.put_cf(customers, &key, edited).unwrap();
    }
    t.reopen();
    let integrity = |err: strongroom_core::Error| {
        assert_eq!((err.code(), err.internal_kind()), ("HE_00", Some("integrity")), "{err}");
    };
    integrity(t.scope.retrieve_customer(&customer.id).unwrap_err());
    let update = strongroom_core::CustomerUpdate { description: Some("new".into()), ..Default::default() };
    integrity(t.scope.update_customer(&customer.id, update).unwrap_err());
    integrity(t.scope.list_customers(&PageRequest::default()).unwrap_err());
    assert_eq!(t.scope.retrieve_customer(&other.id).unwrap(), other);
    let report = t.vault.verify(&mut |_| {}).unwrap();
    let found: Vec<_> = report.problems.iter().map(|p| (p.location.as_str(), p.detail.as_str())).collect();
    assert_eq!(found, vec![(format!("customers/{}", customer.id).as_str(), "personal data does not open")]);
    t.scope.delete_customer(&customer.id).unwrap();
    assert!(t.vault.verify(&mut |_| {}).unwrap().is_clean());
}

/// A customer's merchant reference is in clear (an index key); their personal data is
/// bound to it. Given another customer's reference in the files (record and index entry),
/// a lookup by that reference does not return them: the edited record no longer opens.
#[test]
fn a_customer_given_another_reference_in_the_files_fails_integrity_checks() {
    let mut t = open();
    let with_ref =
        |reference: &str| CustomerCreate { merchant_reference_id: Some(reference.into()), ..Default::default() };
    let victim = t.scope.create_customer(with_ref("crm-victim")).unwrap();
    let kept = t.scope.create_customer(with_ref("crm-kept")).unwrap();
    t.vault.close();
    {
        let db = raw_db(t.path());
        let (customers, refs) = (db.cf_handle("customers").unwrap(), db.cf_handle("customer_refs").unwrap());
        let key = [b"pro_test\0".as_slice(), victim.id.as_str().as_bytes()].concat();
        let stored = db.get_cf(customers, &key).unwrap().unwrap();
        let edit = strongroom_core::internals::CustomerEdit::Reference("crm-attacker".into());
        db.put_cf(customers, &key, strongroom_core::internals::edit_customer_record(&stored, edit).unwrap()).unwrap();
        db.delete_cf(refs, b"pro_test\0crm-victim").unwrap();
        db.put_cf(refs, b"pro_test\0crm-attacker", victim.id.as_str().as_bytes()).unwrap();
    }
    t.reopen();
    let integrity = |err: strongroom_core::Error| {
        assert_eq!((err.code(), err.internal_kind()), ("HE_00", Some("integrity")), "{err}");
    };
    integrity(t.scope.find_customer_by_reference("crm-attacker").unwrap_err());
    integrity(t.scope.retrieve_customer(&victim.id).unwrap_err());
    assert_eq!(t.scope.find_customer_by_reference("crm-kept").unwrap(), kept);
    let report = t.vault.verify(&mut |_| {}).unwrap();
    assert_eq!(report.problems.len(), 1, "{report:?}");
}

/// The fingerprint index is in clear too. Pointed at another card of the same customer at
/// the storage level, creating the first card again is an integrity error: it neither
/// returns the other card as the duplicate nor refreshes it (its expiry, holder name and
/// CVC stay as they were).
#[test]
fn a_fingerprint_index_pointed_at_another_card_is_an_integrity_error() {
    let mut t = open();
    let customer = new_customer(&t.scope);
    let first = save_card(&t.scope, &customer.id, "4111111111111111");
    let second = save_card(&t.scope, &customer.id, "5555555555554444");
    t.vault.close();
    {
        let db = raw_db(t.path());
        let fingerprints = db.cf_handle("fingerprints").unwrap();
        let prefix = [b"pro_test\0", customer.id.as_str().as_bytes(), b"\0"].concat();
        let entries: Vec<(Vec<u8>, Vec<u8>)> = db
            .iterator_cf(fingerprints, rocksdb::IteratorMode::Start)
            .map(Result::unwrap)
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|(k, v)| (k.to_vec(), v.to_vec()))
            .collect();
        assert_eq!(entries.len(), 2);
        // Each card's fingerprint now names the other card.
        db.put_cf(fingerprints, &entries[0].0, &entries[1].1).unwrap();
        db.put_cf(fingerprints, &entries[1].0, &entries[0].1).unwrap();
    }
    t.reopen();
    let mut again = card("4111111111111111");
    again.card_exp_year = "2031".into();
    again.card_cvc = Some("123".into());
    let err = t.scope.create_payment_method(PaymentMethodCreate::card(customer.id.clone(), again)).unwrap_err();
    assert_eq!((err.code(), err.internal_kind()), ("HE_00", Some("integrity")), "{err}");
    assert_eq!(t.scope.retrieve_payment_method(&second.id).unwrap(), second, "the other card is untouched");
    assert_eq!(t.scope.retrieve_payment_method(&first.id).unwrap(), first);
    assert_eq!(t.scope.take_cvc(&second.id).unwrap().unwrap().expose(), "737", "its own CVC");
}

/// A payment method's keyed fingerprint is in clear and not bound to its sealed values.
/// Edited to another card's of the same customer, it is never shown as the card's (where
/// the profile exposes fingerprints, a retrieve or list checks it against the card number:
/// an integrity error), `verify` reports it, and deleting the card leaves the other card's
/// fingerprint index entry in place, so that card's duplicates are still found.
#[test]
fn a_fingerprint_edited_in_the_files_is_not_shown_nor_trusted_by_a_delete() {
    use strongroom_core::internals::stored_fingerprint;
    let mut t = open();
    let settings = ProfileSettings { expose_card_fingerprint: true, ..Default::default() };
    t.vault.update_profile_settings(t.scope.profile_id(), settings).unwrap();
    let customer = new_customer(&t.scope);
    let edited = save_card(&t.scope, &customer.id, "4111111111111111");
    let other = save_card(&t.scope, &customer.id, "5555555555554444");
    assert_ne!(edited.card.card_fingerprint, other.card.card_fingerprint);
    t.vault.close();
    {
        let db = raw_db(t.path());
        let pms = db.cf_handle("payment_methods").unwrap();
        let key = |id: &str| [b"pro_test\0".as_slice(), id.as_bytes()].concat();
        let others = stored_fingerprint(&db.get_cf(pms, key(other.id.as_str())).unwrap().unwrap()).unwrap();
        rewrite_payment_method(&db, edited.id.as_str(), ClearFieldEdit::Fingerprint(others));
    }
    t.reopen();

    let integrity = |err: strongroom_core::Error| {
        assert_eq!((err.code(), err.internal_kind()), ("HE_00", Some("integrity")), "{err}");
    };
    integrity(t.scope.retrieve_payment_method(&edited.id).unwrap_err());
    integrity(t.scope.list_payment_methods(&customer.id, &PageRequest::default()).unwrap_err());
    assert_eq!(t.scope.retrieve_payment_method(&other.id).unwrap(), other, "the other card is untouched");
    let report = t.vault.verify(&mut |_| {}).unwrap();
    let flagged: Vec<_> = report
        .problems
        .iter()
        .filter(|p| p.detail.starts_with("card fingerprint is not its card number's"))
        .map(|p| p.location.as_str())
        .collect();
    assert_eq!(flagged, [format!("payment_methods/{}", edited.id)], "{report:?}");

    // The delete removes the card, not the other card's fingerprint entry: the other card
    // saved again is still found as the duplicate.
    t.scope.delete_payment_method(&edited.id).unwrap();
    let again = t.scope.create_payment_method(PaymentMethodCreate::card(customer.id.clone(), card("5555555555554444")));
    let again = again.unwrap();
    assert!(again.duplicate);
    assert_eq!(again.payment_method.id, other.id);
    // The deleted card's own entry is left, naming a card that is gone: `verify` reports it,
    // and saving that card again removes it and makes a new payment method.
    let report = t.vault.verify(&mut |_| {}).unwrap();
    assert_eq!(report.problems.len(), 1, "{report:?}");
    assert!(report.problems[0].detail.starts_with("points to no payment method"), "{report:?}");
    let saved = t.scope.create_payment_method(PaymentMethodCreate::card(customer.id.clone(), card("4111111111111111")));
    let saved = saved.unwrap();
    assert!(!saved.duplicate);
    assert_ne!(saved.payment_method.id, edited.id);
    assert_eq!(saved.payment_method.card.card_fingerprint, edited.card.card_fingerprint);
    assert!(t.vault.verify(&mut |_| {}).unwrap().is_clean());
}

/// A card deleted after its clear fingerprint was edited leaves its own fingerprint entry
/// behind (the delete cannot tie it to the card). Deleting the customer then removes every
/// fingerprint entry of the customer, so none stays for good.
#[test]
fn deleting_a_customer_removes_a_fingerprint_entry_an_edited_card_left() {
    use strongroom_core::internals::stored_fingerprint;
    let mut t = open();
    let customer = new_customer(&t.scope);
    let kept = new_customer(&t.scope);
    let edited = save_card(&t.scope, &customer.id, "4111111111111111");
    let other = save_card(&t.scope, &customer.id, "5555555555554444");
    let kept_card = save_card(&t.scope, &kept.id, "4111111111111111");
    t.vault.close();
    {
        let db = raw_db(t.path());
        let pms = db.cf_handle("payment_methods").unwrap();
        let key = |id: &str| [b"pro_test\0".as_slice(), id.as_bytes()].concat();
        let others = stored_fingerprint(&db.get_cf(pms, key(other.id.as_str())).unwrap().unwrap()).unwrap();
        rewrite_payment_method(&db, edited.id.as_str(), ClearFieldEdit::Fingerprint(others));
    }
    t.reopen();
    t.scope.delete_payment_method(&edited.id).unwrap();
    let report = t.vault.verify(&mut |_| {}).unwrap();
    assert_eq!(report.problems.len(), 1, "{report:?}");
    assert!(report.problems[0].detail.starts_with("points to no payment method"), "{report:?}");

    let deleted = t.scope.delete_customer(&customer.id).unwrap();
    assert_eq!(deleted.payment_methods_deleted, 1);
    assert!(t.vault.verify(&mut |_| {}).unwrap().is_clean());
    // The other customer's entry of the same card is untouched: saving it again is a duplicate.
    let again = t.scope.create_payment_method(PaymentMethodCreate::card(kept.id.clone(), card("4111111111111111")));
    let again = again.unwrap();
    assert!(again.duplicate);
    assert_eq!(again.payment_method.id, kept_card.id);
}

/// A stored CVC's expiry and owner are in clear (the purge needs no key) and bound to the
/// sealed CVC. Edited in the files, no CVC is handed out past its time to live (PCI DSS
/// 3.3.1): taking it is an integrity error and `verify` reports it. One whose expiry was
/// pushed beyond any CVC TTL is deleted by the purge; one pushed less far stops
/// re-encryption after a key rotation, as an edited card does, until it expires and is
/// dropped.
#[test]
fn cvcs_edited_in_the_files_are_not_handed_out() {
    use strongroom_core::internals::{CvcEdit, edit_cvc_record};
    let mut t = open();
    let customer = new_customer(&t.scope);
    let other = new_customer(&t.scope);
    let year_later = save_card(&t.scope, &customer.id, "4111111111111111");
    let hour_later = save_card(&t.scope, &customer.id, "4000056655665556");
    let moved = save_card(&t.scope, &customer.id, "6011111111111117");
    let kept = save_card(&t.scope, &customer.id, "5555555555554444");
    t.vault.close();
    {
        let db = raw_db(t.path());
        let cvcs = db.cf_handle("cvc").unwrap();
        let hour_ms = 3600 * 1000;
        for (pm, edit) in [
            (&year_later, CvcEdit::Later(365 * 24 * hour_ms)),
            (&hour_later, CvcEdit::Later(hour_ms)),
            (&moved, CvcEdit::Customer(other.id.clone())),
        ] {
            let key = [b"pro_test\0".as_slice(), pm.id.as_str().as_bytes()].concat();
            let stored = db.get_cf(cvcs, &key).unwrap().unwrap();
            db.put_cf(cvcs, &key, edit_cvc_record(&stored, edit).unwrap()).unwrap();
        }
    }
    t.reopen();
    assert_eq!(t.scope.take_cvc(&kept.id).unwrap().unwrap().expose(), "737", "an untouched CVC is taken");
    t.clock.advance(std::time::Duration::from_secs(16 * 60)); // past the 15 minutes the CVCs had
    let integrity = |err: strongroom_core::Error| {
        assert_eq!((err.code(), err.internal_kind()), ("HE_00", Some("integrity")), "{err}");
    };
    for pm in [&year_later, &hour_later] {
        integrity(t.scope.take_cvc(&pm.id).unwrap_err());
    }
    integrity(t.scope.take_cvc(&moved.id).unwrap_err());
    let problems = |t: &TestVault| {
        let report = t.vault.verify(&mut |_| {}).unwrap();
        let mut found: Vec<_> = report.problems.into_iter().map(|p| (p.location, p.detail)).collect();
        found.sort();
        found
    };
    let at = |pm: &strongroom_core::PaymentMethod| format!("cvc/{}", pm.id);
    let unopened = "stored CVC does not open".to_owned();
    let mut expected = vec![
        (at(&year_later), unopened.clone()),
        (at(&hour_later), unopened.clone()),
        (at(&moved), unopened.clone()),
        (at(&moved), "CVC of another customer than its card".to_owned()),
    ];
    expected.sort();
    assert_eq!(problems(&t), expected);

    // Beyond any TTL: the purge deletes it, no key needed (and the moved one, whose clear
    // expiry has passed, as any expired CVC).
    assert_eq!(t.vault.purge_expired().unwrap().cvcs, 2);
    assert_eq!(problems(&t), vec![(at(&hour_later), unopened)]);
    // The one left stops re-encryption until its clear expiry passes, then is dropped.
    let profile = t.scope.profile_id().clone();
    let mut keep_going = |_: &_| std::ops::ControlFlow::Continue(());
    t.vault.rotate_profile_key(&profile).unwrap();
    integrity(t.vault.reencrypt_profile(&profile, Default::default(), &mut keep_going).unwrap_err());
    t.clock.advance(std::time::Duration::from_secs(3600));
    assert!(t.vault.reencrypt_profile(&profile, Default::default(), &mut keep_going).unwrap().complete);
    assert_eq!(problems(&t), vec![]);
    for pm in [&year_later, &hour_later, &moved] {
        assert!(t.scope.take_cvc(&pm.id).unwrap().is_none());
        assert_eq!(t.scope.reveal_payment_method(&pm.id).unwrap().payment_method_id, pm.id, "the card is kept");
    }
}
