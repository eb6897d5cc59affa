//! Payment methods through the public API: dedup, update, delete, CVC lifetime, volatile
//! storage, listing, reveal and take_cvc.

mod common;

use std::time::Duration;

use common::*;
use strongroom_core::{
    CardNetwork, PageRequest, PaymentMethodCreate, PaymentMethodId, PaymentMethodUpdate, ProfileSettings, StorageType,
};

#[test]
fn same_card_same_customer_is_deduplicated() {
    let t = open();
    let customer = new_customer(&t.scope);
    let first = save_card(&t.scope, &customer.id, "4111111111111111");
    t.clock.advance(Duration::from_secs(60));

    let mut again = card("4111 1111 1111 1111");
    again.card_exp_year = "2031".into();
    again.card_holder_name = Some("Joseph Doe".into());
    again.card_cvc = Some("123".into());
    let result = t.scope.create_payment_method(PaymentMethodCreate::card(customer.id.clone(), again)).unwrap();
    assert!(result.duplicate);
    assert_eq!(result.payment_method.id, first.id);
    assert_eq!(result.payment_method.card.expiry_year, 2031, "a changed expiry is refreshed");
    assert_eq!(result.payment_method.card.card_holder_name.as_ref().unwrap().expose(), "Joseph Doe");
    assert_eq!(t.scope.take_cvc(&first.id).unwrap().unwrap().expose(), "123", "the CVC is refreshed");
    let listed = t.scope.list_payment_methods(&customer.id, &PageRequest::default()).unwrap();
    assert_eq!(listed.payment_methods.len(), 1);

    // The same card for another customer is a separate payment method.
    let other = new_customer(&t.scope);
    let theirs = save_card(&t.scope, &other.id, "4111111111111111");
    assert_ne!(theirs.id, first.id);

    // After a delete, saving the card again creates a new payment method.
    t.scope.delete_payment_method(&first.id).unwrap();
    let fresh = t
        .scope
        .create_payment_method(PaymentMethodCreate::card(customer.id.clone(), card("4111111111111111")))
        .unwrap();
    assert!(!fresh.duplicate);
    assert_ne!(fresh.payment_method.id, first.id);
}

#[test]
fn update_each_field_and_expiry() {
    let t = open();
    let customer = new_customer(&t.scope);
    let pm = save_card(&t.scope, &customer.id, "5555555555554444");
    assert_eq!(pm.card.card_network, Some(CardNetwork::Mastercard));

    let updated = t
        .scope
        .update_payment_method(
            &pm.id,
            PaymentMethodUpdate {
                card_exp_month: Some("12".into()),
                card_exp_year: Some("2032".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!((updated.card.expiry_month, updated.card.expiry_year), (12, 2032));
    assert_eq!(updated.card.card_holder_name, pm.card.card_holder_name);

    let err = t
        .scope
        .update_payment_method(&pm.id, PaymentMethodUpdate { card_exp_month: Some("12".into()), ..Default::default() })
        .unwrap_err();
    assert_eq!((err.code(), err.field()), ("IR_04", Some("card_exp_year")));
    let err = t
        .scope
        .update_payment_method(
            &pm.id,
            PaymentMethodUpdate {
                card_exp_month: Some("01".into()),
                card_exp_year: Some("2026".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!((err.code(), err.field()), ("CE_05", Some("card_exp_month")));
    let err = t
        .scope
        .update_payment_method(&pm.id, PaymentMethodUpdate { card_cvc: Some("1234".into()), ..Default::default() })
        .unwrap_err();
    assert_eq!((err.code(), err.field()), ("IR_05", Some("card_cvc")), "Mastercard CVCs are 3 digits");
    assert_eq!(t.scope.retrieve_payment_method(&pm.id).unwrap(), updated, "failed updates change nothing");

    let no_op = t.scope.update_payment_method(&pm.id, PaymentMethodUpdate::default()).unwrap();
    assert_eq!(no_op, updated);

    let err = t
        .scope
        .update_payment_method(&PaymentMethodId::generate(None).unwrap(), PaymentMethodUpdate::default())
        .unwrap_err();
    assert_eq!((err.code(), err.field()), ("HE_02", Some("payment_method_id")));
}

#[test]
fn cvc_lives_for_the_profile_ttl() {
    let t = open();
    let customer = new_customer(&t.scope);
    let pm = save_card(&t.scope, &customer.id, "378282246310005");
    assert_eq!(pm.card.card_network, Some(CardNetwork::AmericanExpress));
    let expires = pm.card_cvc_token_storage.expires_at.unwrap();
    assert_eq!(expires.as_millis() - start_time().as_millis(), 15 * 60 * 1000);

    t.clock.advance(Duration::from_secs(15 * 60));
    let now = t.scope.retrieve_payment_method(&pm.id).unwrap();
    assert!(!now.card_cvc_token_storage.is_stored, "an expired CVC is not reported as stored");
    let events_before = t.vault.list_audit(t.scope.profile_id(), 0, 1000).unwrap().len();
    assert!(t.scope.take_cvc(&pm.id).unwrap().is_none(), "and cannot be taken");
    let events = t.vault.list_audit(t.scope.profile_id(), 0, 1000).unwrap();
    assert_eq!(events.len(), events_before, "an expired CVC removed by take_cvc is not audited as taken");

    // A new CVC through update; purge removes expired ones nobody took.
    t.scope
        .update_payment_method(&pm.id, PaymentMethodUpdate { card_cvc: Some("1234".into()), ..Default::default() })
        .unwrap();
    let other = save_card(&t.scope, &customer.id, "4111111111111111");
    t.clock.advance(Duration::from_secs(16 * 60));
    let report = t.vault.purge_expired().unwrap();
    assert_eq!(report.cvcs, 2);
    assert!(t.scope.take_cvc(&other.id).unwrap().is_none());

    // The TTL is a profile setting.
    let settings = ProfileSettings { cvc_ttl: Duration::from_secs(60), ..Default::default() };
    t.vault.update_profile_settings(t.scope.profile_id(), settings).unwrap();
    let short = t
        .scope
        .update_payment_method(&pm.id, PaymentMethodUpdate { card_cvc: Some("4321".into()), ..Default::default() })
        .unwrap();
    let ttl = short.card_cvc_token_storage.expires_at.unwrap().as_millis() - t.clock_now_millis();
    assert_eq!(ttl, 60_000);
}

trait ClockExt {
    fn clock_now_millis(&self) -> i64;
}

impl ClockExt for TestVault {
    fn clock_now_millis(&self) -> i64 {
        use strongroom_core::Clock;
        self.clock.now().as_millis()
    }
}

#[test]
fn volatile_payment_methods_expire() {
    let t = open();
    let customer = new_customer(&t.scope);
    let volatile = |number: &str| {
        let mut request = PaymentMethodCreate::card(customer.id.clone(), card(number));
        request.storage_type = StorageType::Volatile;
        t.scope.create_payment_method(request).unwrap().payment_method
    };
    let a = volatile("4111111111111111");
    let b = volatile("5555555555554444");
    let c = volatile("378282246310005");
    let kept = save_card(&t.scope, &customer.id, "6011111111111117");
    assert_eq!(a.expires_at.unwrap().as_millis() - start_time().as_millis(), 24 * 3600 * 1000);

    // Saving a volatile card again as persistent keeps it for good.
    let upgraded =
        t.scope.create_payment_method(PaymentMethodCreate::card(customer.id.clone(), card("378282246310005"))).unwrap();
    assert!(upgraded.duplicate);
    assert_eq!(upgraded.payment_method.storage_type, StorageType::Persistent);
    assert_eq!(upgraded.payment_method.expires_at, None);

    t.clock.advance(Duration::from_secs(24 * 3600));
    // Lazily on read...
    assert_eq!(t.scope.retrieve_payment_method(&a.id).unwrap_err().code(), "HE_02");
    // ...and on purge.
    let report = t.vault.purge_expired().unwrap();
    assert_eq!(report.payment_methods, 1, "b was due; a was already purged on read");
    assert_eq!(t.scope.retrieve_payment_method(&b.id).unwrap_err().code(), "HE_02");
    let left: Vec<_> = t
        .scope
        .list_payment_methods(&customer.id, &PageRequest::default())
        .unwrap()
        .payment_methods
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(left, vec![c.id.clone(), kept.id.clone()]);
    // An expired card can be saved again as new.
    assert!(
        !t.scope
            .create_payment_method(PaymentMethodCreate::card(customer.id.clone(), card("4111111111111111")))
            .unwrap()
            .duplicate
    );
}

#[test]
fn list_pagination_and_isolation_between_customers() {
    let t = open();
    let alice = new_customer(&t.scope);
    let bob = new_customer(&t.scope);
    let alice_cards: Vec<_> = (0..5).map(|i| save_card(&t.scope, &alice.id, &visa(i)).id).collect();
    let bob_card = save_card(&t.scope, &bob.id, &visa(99)).id;
    let page = t.scope.list_payment_methods(&alice.id, &PageRequest::first(2)).unwrap();
    assert_eq!(page.payment_methods.iter().map(|p| p.id.clone()).collect::<Vec<_>>(), alice_cards[..2]);
    let rest = t
        .scope
        .list_payment_methods(&alice.id, &PageRequest { limit: 10, starting_after: page.next_starting_after })
        .unwrap();
    assert_eq!(rest.payment_methods.iter().map(|p| p.id.clone()).collect::<Vec<_>>(), alice_cards[2..]);
    assert_eq!(rest.next_starting_after, None);
    let bobs = t.scope.list_payment_methods(&bob.id, &PageRequest::default()).unwrap();
    assert_eq!(bobs.payment_methods.iter().map(|p| p.id.clone()).collect::<Vec<_>>(), vec![bob_card]);
    let err = t
        .scope
        .list_payment_methods(&strongroom_core::CustomerId::generate(None).unwrap(), &PageRequest::default())
        .unwrap_err();
    assert_eq!((err.code(), err.field()), ("HE_02", Some("customer_id")));
}

#[test]
fn fingerprint_is_shown_only_when_the_profile_opts_in() {
    let t = open();
    let customer = new_customer(&t.scope);
    let pm = save_card(&t.scope, &customer.id, "4111111111111111");
    assert_eq!(pm.card.card_fingerprint, None);
    let settings = ProfileSettings { expose_card_fingerprint: true, ..Default::default() };
    t.vault.update_profile_settings(t.scope.profile_id(), settings).unwrap();
    let fingerprint = t.scope.retrieve_payment_method(&pm.id).unwrap().card.card_fingerprint.unwrap();
    assert_eq!(fingerprint.len(), 64);
    // Keyed per profile: the same card in another profile has another fingerprint.
    let other = create_profile(&t.vault, "pro_other");
    t.vault
        .update_profile_settings(
            other.profile_id(),
            ProfileSettings { expose_card_fingerprint: true, ..Default::default() },
        )
        .unwrap();
    let their_customer = new_customer(&other);
    let theirs = save_card(&other, &their_customer.id, "4111111111111111");
    assert_ne!(theirs.card.card_fingerprint.unwrap(), fingerprint);
}

#[test]
fn card_networks_and_masking() {
    let t = open();
    let customer = new_customer(&t.scope);
    let cases = [
        ("4111111111111111", CardNetwork::Visa, "41111111"),
        ("5555555555554444", CardNetwork::Mastercard, "55555555"),
        ("2223003122003222", CardNetwork::Mastercard, "22230031"),
        ("378282246310005", CardNetwork::AmericanExpress, "378282"),
        ("6011111111111117", CardNetwork::Discover, "60111111"),
        ("3530111333300000", CardNetwork::Jcb, "353011"),
        ("30569309025904", CardNetwork::DinersClub, "305693"),
        ("6200000000000005", CardNetwork::UnionPay, "620000"),
        ("6759649826438453", CardNetwork::Maestro, "675964"),
    ];
    for (number, network, isin) in cases {
        let pm = save_card(&t.scope, &customer.id, number);
        assert_eq!(pm.card.card_network, Some(network), "{number}");
        assert_eq!(pm.card.card_isin, isin);
        assert_eq!(pm.card.last4_digits, number[number.len() - 4..]);
        let revealed = t.scope.reveal_payment_method(&pm.id).unwrap();
        assert_eq!(revealed.card_number.expose(), number);
    }
}

#[test]
fn reveal_marks_the_card_used() {
    let t = open();
    let customer = new_customer(&t.scope);
    let pm = save_card(&t.scope, &customer.id, "4111111111111111");
    t.clock.advance(Duration::from_secs(30));
    let revealed = t.scope.reveal_payment_method(&pm.id).unwrap();
    assert_eq!(revealed.expiry_month, 3);
    assert_eq!(revealed.card_holder_name.as_ref().unwrap().expose(), "joseph Doe");
    let after = t.scope.retrieve_payment_method(&pm.id).unwrap();
    assert_eq!(after.last_used_at.as_millis() - pm.last_used_at.as_millis(), 30_000);
    assert_eq!(t.scope.reveal_payment_method(&PaymentMethodId::generate(None).unwrap()).unwrap_err().code(), "HE_02");
}
