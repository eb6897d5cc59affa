//! One tenant's damaged profile record does not take the others down: the vault opens,
//! lists, counts, verifies and rotates the other profiles; calls on the damaged one fail
//! with an integrity error; `verify` names it, `purge_expired` counts it, master key
//! rotation waits for it, and it can be destroyed.

mod common;

use std::ops::ControlFlow;

use common::*;
use strongroom_core::{MasterKey, MasterKeyId, MasterKeyRing, ProblemKind, Vault};

fn keep_going(_: &strongroom_core::ReencryptProgress) -> ControlFlow<()> {
    ControlFlow::Continue(())
}

/// How the profile record of `damaged` is spoiled, at the storage level.
enum Damage {
    /// One byte of the record flipped: it no longer decodes (checksum).
    FlippedByte,
    /// A readable record of another profile copied under this profile's key.
    AnotherProfilesRecord(&'static str),
}

/// Two profiles with a card each, `pro_test` (kept) and `pro_other` (its record damaged
/// as `damage` says while the vault is closed); returns the test vault reopened and the
/// kept card's id.
fn with_a_damaged_profile(damage: Damage) -> (TestVault, strongroom_core::PaymentMethodId) {
    let mut t = open();
    let other = create_profile(&t.vault, "pro_other");
    let customer = new_customer(&t.scope);
    let kept = save_card(&t.scope, &customer.id, "4111111111111111");
    let their_customer = new_customer(&other);
    save_card(&other, &their_customer.id, "5555555555554444");
    t.vault.close();
    {
        let db = raw_db(t.path());
        let profiles = db.cf_handle("profiles").unwrap();
        let value = match damage {
            Damage::FlippedByte => {
                let mut value = db.get_cf(profiles, b"pro_other").unwrap().unwrap();
                value[12] ^= 0x01;
                value
            }
            Damage::AnotherProfilesRecord(source) => db.get_cf(profiles, source.as_bytes()).unwrap().unwrap(),
        };
        db.put_cf(profiles, b"pro_other", value).unwrap();
    }
    t.reopen();
    (t, kept.id)
}

fn assert_integrity(err: strongroom_core::Error) {
    assert_eq!((err.code(), err.internal_kind()), ("HE_00", Some("integrity")), "{err}");
}

#[test]
fn a_damaged_profile_record_leaves_the_other_profiles_working() {
    for damage in [Damage::FlippedByte, Damage::AnotherProfilesRecord("pro_test")] {
        let (t, kept) = with_a_damaged_profile(damage);
        let (test, other) = (profile_id("pro_test"), profile_id("pro_other"));

        assert_eq!(t.scope.retrieve_payment_method(&kept).unwrap().id, kept);
        assert_integrity(t.vault.profile(&other).unwrap_err());
        assert_integrity(t.vault.get_profile(&other).unwrap_err());
        let listed: Vec<_> = t.vault.list_profiles().unwrap().into_iter().map(|p| p.id).collect();
        assert_eq!(listed, vec![test.clone()]);
        let stats = t.vault.stats().unwrap();
        assert_eq!((stats.profiles, stats.total.payment_methods), (1, 1));

        assert_integrity(t.vault.rotate_profile_key(&other).unwrap_err());
        // Damage, not a wrong key: an operator looking at IR_01 would look for the key.
        assert_integrity(t.vault.authenticate("sk_test_anything", &other).unwrap_err());
        assert_eq!(t.vault.authenticate("sk_test_anything", &profile_id("pro_none")).unwrap_err().code(), "IR_01");
        assert_integrity(t.vault.list_audit(&other, 0, 10).unwrap_err());
        assert_eq!(t.vault.purge_expired().unwrap().unreadable, 1);

        let report = t.vault.verify(&mut |_| {}).unwrap();
        let problems: Vec<_> =
            report.problems.iter().map(|p| (p.profile_id.as_str(), p.kind, p.location.as_str())).collect();
        assert_eq!(problems, vec![("pro_other", ProblemKind::UnreadableValue, "profiles/pro_other")]);
        assert_eq!(report.profiles, 2);

        // Destroying it leaves the other profile whole, whatever the damaged record held.
        t.vault.destroy_profile(&other).unwrap();
        assert_eq!(t.vault.profile(&other).unwrap_err().code(), "HE_02");
        assert_eq!(t.scope.reveal_payment_method(&kept).unwrap().card_number.expose(), "4111111111111111");
        assert!(t.vault.verify(&mut |_| {}).unwrap().is_clean());
        assert_eq!(t.vault.stats().unwrap().profiles, 1);
    }
}

/// Master key rotation is refused while a profile's record is damaged (its values could
/// not move to the new key); once that profile is destroyed, with every record it had,
/// rotation moves the others and the vault opens with the new key alone.
#[test]
fn master_key_rotation_waits_for_a_damaged_profile_to_be_destroyed() {
    let (t, kept) = with_a_damaged_profile(Damage::FlippedByte);
    t.vault.close();
    let k1 = MasterKeyId::parse("k1").unwrap();
    let k2 = MasterKeyId::parse("k2").unwrap();
    let mut both = options(&t.clock);
    both.master_keys = MasterKeyRing::new(
        vec![(k1, MasterKey::from_hex(MASTER_KEY_HEX).unwrap()), (k2.clone(), MasterKey::from_bytes([0x42; 32]))],
        k2,
    )
    .unwrap();
    let vault = Vault::open(t.path(), both).unwrap();
    assert_integrity(vault.rotate_master_key(&mut keep_going).unwrap_err());
    let test = profile_id("pro_test");
    assert_eq!(vault.get_profile(&test).unwrap().active_key_version, 1, "nothing rotated");

    let other = profile_id("pro_other");
    vault.destroy_profile(&other).unwrap();
    assert_eq!(vault.profile(&other).unwrap_err().code(), "HE_02");
    assert!(vault.verify(&mut |_| {}).unwrap().is_clean());
    let reports = vault.rotate_master_key(&mut keep_going).unwrap();
    let rotated: Vec<_> = reports.iter().map(|r| (r.profile_id.as_str(), r.complete)).collect();
    assert_eq!(rotated, vec![("pro_test", true)]);
    vault.close();

    let mut only_new = options(&t.clock);
    only_new.master_keys = MasterKeyRing::single(MasterKeyId::parse("k2").unwrap(), MasterKey::from_bytes([0x42; 32]));
    let vault = Vault::open(t.path(), only_new).unwrap();
    let scope = vault.profile(&test).unwrap();
    assert_eq!(scope.reveal_payment_method(&kept).unwrap().card_number.expose(), "4111111111111111");
    vault.close();
    for (family, entries) in raw_dump(t.path()) {
        let left: Vec<_> = entries.iter().filter(|(key, _)| key.starts_with(b"pro_other")).collect();
        assert!(left.is_empty(), "{family} still holds {} entries of the destroyed profile", left.len());
    }
}

/// Rewrites `pro_test`'s profile record with `edit` and its checksum computed again, while
/// the vault is closed, as someone who can write the files but holds no key could.
fn edit_profile(t: &mut TestVault, edit: strongroom_core::internals::ProfileEdit) {
    t.vault.close();
    {
        let db = raw_db(t.path());
        let profiles = db.cf_handle("profiles").unwrap();
        let value = db.get_cf(profiles, b"pro_test").unwrap().unwrap();
        let edited = strongroom_core::internals::edit_profile_record(&value, edit).unwrap();
        db.put_cf(profiles, b"pro_test", edited).unwrap();
    }
    t.reopen();
}

/// Times to live edited out of range in the stored record are read as the nearest allowed:
/// a CVC is still gone within 24 hours, a volatile card still lasts at least a second.
#[test]
fn edited_times_to_live_are_kept_within_the_allowed_range() {
    use std::time::Duration;
    use strongroom_core::internals::ProfileEdit;
    let mut t = open();
    let customer = new_customer(&t.scope);
    edit_profile(&mut t, ProfileEdit::TimesToLive { cvc_ms: u64::MAX, volatile_ms: 0 });
    let settings = t.vault.get_profile(t.scope.profile_id()).unwrap().settings;
    assert_eq!((settings.cvc_ttl, settings.volatile_ttl), (Duration::from_secs(24 * 3600), Duration::from_secs(1)));
    let pm = save_card(&t.scope, &customer.id, "4111111111111111");
    let cvc_expires = pm.card_cvc_token_storage.expires_at.unwrap().as_millis();
    assert_eq!(cvc_expires - start_time().as_millis(), 24 * 3600 * 1000);
}

/// A stored key version with no successor (u32::MAX) makes adding a version an integrity
/// error, not a panic; the profile's cards still read.
#[test]
fn a_key_version_with_no_successor_is_an_integrity_error() {
    let mut t = open();
    let customer = new_customer(&t.scope);
    let pm = save_card(&t.scope, &customer.id, "4111111111111111");
    edit_profile(&mut t, strongroom_core::internals::ProfileEdit::ExtraKeyVersion(u32::MAX));
    assert_integrity(t.vault.rotate_profile_key(t.scope.profile_id()).unwrap_err());
    assert_eq!(t.scope.retrieve_payment_method(&pm.id).unwrap().card.last4_digits, "1111");
}
