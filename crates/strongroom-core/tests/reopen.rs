//! Opening, reopening and closing: data survives, the wrong master key is refused, and a
//! closed vault says so.

mod common;

use std::sync::Arc;

use common::*;
use strongroom_core::{
    KeyProvider, ManualClock, MasterKey, MasterKeyId, MasterKeyRing, PageRequest, PaymentMethodCreate,
    PaymentMethodUpdate, ProfileSettings, Result, Vault, VaultOptions,
};

#[test]
fn reopen_keeps_everything() {
    let mut t = open();
    let settings = ProfileSettings { expose_card_fingerprint: true, ..Default::default() };
    t.vault.update_profile_settings(t.scope.profile_id(), settings.clone()).unwrap();
    let customer = new_customer(&t.scope);
    let pm = save_card(&t.scope, &customer.id, "4111111111111111");
    t.scope
        .update_payment_method(&pm.id, PaymentMethodUpdate { nick_name: Some("travel".into()), ..Default::default() })
        .unwrap();
    let before_pm = t.scope.retrieve_payment_method(&pm.id).unwrap();
    let before_customer = t.scope.retrieve_customer(&customer.id).unwrap();

    t.reopen();
    assert_eq!(t.vault.get_profile(t.scope.profile_id()).unwrap().settings, settings);
    assert_eq!(t.scope.retrieve_customer(&customer.id).unwrap(), before_customer);
    assert_eq!(t.scope.retrieve_payment_method(&pm.id).unwrap(), before_pm);
    assert_eq!(t.scope.reveal_payment_method(&pm.id).unwrap().card_number.expose(), "4111111111111111");
    assert_eq!(t.scope.take_cvc(&pm.id).unwrap().unwrap().expose(), "737");
    assert_eq!(t.scope.list_customers(&PageRequest::default()).unwrap().customers.len(), 1);
}

#[test]
fn wrong_master_key_is_refused_at_open() {
    let t = open();
    t.vault.close();
    let mut options = options(&t.clock);
    options.master_keys = MasterKeyRing::single(MasterKeyId::parse("k1").unwrap(), MasterKey::from_bytes([9; 32]));
    let err = Vault::open(t.path(), options).unwrap_err();
    assert_eq!((err.code(), err.internal_kind()), ("HE_00", Some("wrong_master_key")));
    assert!(err.to_string().contains("k1"), "the message names the key id: {err}");
    assert!(!err.to_string().contains("0909"), "and nothing of the key");
}

#[test]
fn a_master_key_the_profiles_need_must_be_supplied() {
    let t = open();
    t.vault.close();
    let mut options = options(&t.clock);
    options.master_keys = MasterKeyRing::single(MasterKeyId::parse("k2").unwrap(), MasterKey::from_bytes([9; 32]));
    let err = Vault::open(t.path(), options).unwrap_err();
    assert_eq!((err.code(), err.internal_kind()), ("HE_00", Some("missing_master_key")));
    assert!(err.to_string().contains("k1"), "{err}");
}

#[test]
fn a_closed_vault_gives_a_clear_error() {
    let t = open();
    let customer = new_customer(&t.scope);
    let clone = t.vault.clone();
    t.vault.close();
    assert!(clone.is_closed(), "closing closes every clone");
    let err = t.scope.retrieve_customer(&customer.id).unwrap_err();
    assert_eq!((err.code(), err.internal_kind()), ("HE_00", Some("closed")));
    assert_eq!(err.to_string(), "internal error: the vault is closed");
    assert_eq!(clone.profile(t.scope.profile_id()).unwrap_err().internal_kind(), Some("closed"));
    assert_eq!(clone.list_profiles().unwrap_err().internal_kind(), Some("closed"));
    assert_eq!(clone.purge_expired().unwrap_err().internal_kind(), Some("closed"));
    // The directory is released: it opens again.
    let reopened = Vault::open(t.path(), options(&t.clock)).unwrap();
    let scope = reopened.profile(t.scope.profile_id()).unwrap();
    assert_eq!(scope.retrieve_customer(&customer.id).unwrap().id, customer.id);
}

#[test]
fn a_vault_directory_opens_once() {
    let t = open();
    let err = Vault::open(t.path(), options(&t.clock)).unwrap_err();
    assert_eq!((err.code(), err.internal_kind()), ("HE_00", Some("storage")));
    assert!(err.to_string().contains("lock"), "{err}");
}

struct FixedProvider;

impl KeyProvider for FixedProvider {
    fn master_keys(&self) -> Result<MasterKeyRing> {
        Ok(ring())
    }
}

#[test]
fn master_keys_from_a_key_provider() {
    let t = open();
    let customer = new_customer(&t.scope);
    t.vault.close();
    let mut options = VaultOptions::from_key_provider(&FixedProvider).unwrap();
    options.clock = Arc::new(ManualClock::new(start_time()));
    let vault = Vault::open(t.path(), options).unwrap();
    assert_eq!(vault.profile(t.scope.profile_id()).unwrap().retrieve_customer(&customer.id).unwrap().id, customer.id);
}

#[test]
fn a_new_master_key_id_is_registered_and_then_checked() {
    let t = open();
    t.vault.close();
    let k1 = MasterKeyId::parse("k1").unwrap();
    let k2 = MasterKeyId::parse("k2").unwrap();
    let with = |second: [u8; 32]| {
        let ring = MasterKeyRing::new(
            vec![
                (k1.clone(), MasterKey::from_hex(MASTER_KEY_HEX).unwrap()),
                (k2.clone(), MasterKey::from_bytes(second)),
            ],
            k1.clone(),
        )
        .unwrap();
        let mut o = options(&t.clock);
        o.master_keys = ring;
        o
    };
    Vault::open(t.path(), with([2; 32])).unwrap().close();
    let err = Vault::open(t.path(), with([3; 32])).unwrap_err();
    assert_eq!(err.internal_kind(), Some("wrong_master_key"));
    assert!(err.to_string().contains("k2"));
}

/// A vault written in format 1 (ids as text in records and index values) opens without a
/// rewrite: its entries still decode, the fingerprint index still finds duplicates, and
/// opening records format 2 so that a build that knows only format 1 refuses the vault.
#[test]
fn a_format_1_vault_opens_and_is_marked_format_3() {
    let mut t = open();
    let customer = new_customer(&t.scope);
    let pm = save_card(&t.scope, &customer.id, "4111111111111111");
    let before = t.scope.retrieve_payment_method(&pm.id).unwrap();
    t.vault.close();
    {
        let db = raw_db(t.path());
        let golden = include_str!("golden/vault_format_v1.hex").trim();
        let v1: Vec<u8> =
            (0..golden.len()).step_by(2).map(|i| u8::from_str_radix(&golden[i..i + 2], 16).unwrap()).collect();
        db.put_cf(db.cf_handle("meta").unwrap(), b"format", v1).unwrap();
        let fingerprints = db.cf_handle("fingerprints").unwrap();
        let (key, value) = db.iterator_cf(fingerprints, rocksdb::IteratorMode::Start).next().unwrap().unwrap();
        assert_eq!(value.len(), 18, "format 2 names the payment method in 18 bytes");
        db.put_cf(fingerprints, key, pm.id.as_str().as_bytes()).unwrap();
    }

    t.reopen();
    assert_eq!(t.scope.retrieve_payment_method(&pm.id).unwrap(), before);
    let again = t.scope.create_payment_method(PaymentMethodCreate::card(customer.id.clone(), card("4111111111111111")));
    let again = again.unwrap();
    assert!(again.duplicate, "the format-1 index entry still finds the card");
    assert_eq!(again.payment_method.id, pm.id);
    assert!(t.vault.verify(&mut |_| {}).unwrap().is_clean());
    t.vault.close();

    let meta = raw_dump(t.path()).remove("meta").unwrap();
    let format = &meta.iter().find(|(k, _)| k.as_slice() == b"format").unwrap().1;
    assert_eq!(format[..2], [1, 3], "record format 1 of the vault format record, vault format 3");
}
