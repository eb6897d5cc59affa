//! Customers through the public API: create, retrieve, update, list, delete (redaction).

mod common;

use std::collections::BTreeMap;

use common::*;
use strongroom_core::{
    Address, CustomerCreate, CustomerId, CustomerStatus, CustomerUpdate, Metadata, PageRequest, PaymentMethodCreate,
};

#[test]
fn create_retrieve_update() {
    let t = open();
    let address = Address { line1: Some("1 Main St".into()), country: Some("US".into()), ..Default::default() };
    let created = t
        .scope
        .create_customer(CustomerCreate {
            merchant_reference_id: Some("ref-1".into()),
            name: Some("John Doe".into()),
            email: Some("guest@example.com".into()),
            phone: Some("555 0100".into()),
            phone_country_code: Some("+1".into()),
            description: Some("first customer".into()),
            default_billing_address: Some(address.clone()),
            default_shipping_address: None,
            metadata: Some(Metadata(BTreeMap::from([("tier".to_owned(), "gold".to_owned())]))),
        })
        .unwrap();
    assert_eq!(created.status, CustomerStatus::Active);
    assert_eq!(t.scope.retrieve_customer(&created.id).unwrap(), created);

    t.clock.advance(std::time::Duration::from_secs(5));
    let updated = t
        .scope
        .update_customer(&created.id, CustomerUpdate { email: Some("new@example.com".into()), ..Default::default() })
        .unwrap();
    assert_eq!(updated.email.as_ref().unwrap().expose(), "new@example.com");
    assert_eq!(updated.name, created.name, "fields not in the update are kept");
    assert_eq!(updated.default_billing_address, Some(address));
    assert!(updated.modified_at > created.modified_at);
    assert_eq!(t.scope.retrieve_customer(&created.id).unwrap(), updated);

    let unchanged = t.scope.update_customer(&created.id, CustomerUpdate::default()).unwrap();
    assert_eq!(unchanged, updated, "an empty update changes nothing");
    let shown = format!("{updated:?}");
    for personal in ["new@example.com", "John", "555 0100", "first customer", "1 Main St", "gold"] {
        assert!(!shown.contains(personal), "Debug hides personal data: {personal} in {shown}");
    }
}

#[test]
fn merchant_reference_is_unique_per_profile() {
    let t = open();
    let other = create_profile(&t.vault, "pro_other");
    let with_ref = || CustomerCreate { merchant_reference_id: Some("customer_1770299".into()), ..Default::default() };
    t.scope.create_customer(with_ref()).unwrap();
    let err = t.scope.create_customer(with_ref()).unwrap_err();
    assert_eq!((err.code(), err.field()), ("IR_12", Some("merchant_reference_id")));
    other.create_customer(with_ref()).expect("another profile may use the same reference");
}

#[test]
fn find_by_merchant_reference() {
    let t = open();
    let other = create_profile(&t.vault, "pro_other");
    let created = t
        .scope
        .create_customer(CustomerCreate { merchant_reference_id: Some("crm-42".into()), ..Default::default() })
        .unwrap();
    assert_eq!(t.scope.find_customer_by_reference("crm-42").unwrap(), created);
    for (scope, reference) in [(&t.scope, "crm-43"), (&other, "crm-42")] {
        let err = scope.find_customer_by_reference(reference).unwrap_err();
        assert_eq!((err.code(), err.field()), ("HE_02", Some("merchant_reference_id")));
    }
    t.scope.delete_customer(&created.id).unwrap();
    let err = t.scope.find_customer_by_reference("crm-42").unwrap_err();
    assert_eq!(err.code(), "HE_02", "a deleted customer's reference is released");
    // A reference no customer could hold is bad input, not a miss.
    for reference in ["", "  ", "crm\n42", &"r".repeat(65), &"r".repeat(10 * 1024 * 1024)] {
        let err = t.scope.find_customer_by_reference(reference).unwrap_err();
        assert_eq!((err.code(), err.field()), ("IR_05", Some("merchant_reference_id")), "{:.20}", reference);
    }
}

#[test]
fn list_pages_in_creation_order() {
    let t = open();
    let ids: Vec<CustomerId> = (0..7).map(|_| new_customer(&t.scope).id).collect();
    let first = t.scope.list_customers(&PageRequest::first(3)).unwrap();
    assert_eq!(first.customers.iter().map(|c| c.id.clone()).collect::<Vec<_>>(), ids[..3]);
    let second =
        t.scope.list_customers(&PageRequest { limit: 3, starting_after: first.next_starting_after.clone() }).unwrap();
    assert_eq!(second.customers.iter().map(|c| c.id.clone()).collect::<Vec<_>>(), ids[3..6]);
    let third = t.scope.list_customers(&PageRequest { limit: 3, starting_after: second.next_starting_after }).unwrap();
    assert_eq!(third.customers.iter().map(|c| c.id.clone()).collect::<Vec<_>>(), ids[6..]);
    assert_eq!(third.next_starting_after, None);

    // Deleted customers are left out, and pages stay full around them.
    t.scope.delete_customer(&ids[1]).unwrap();
    t.scope.delete_customer(&ids[2]).unwrap();
    let page = t.scope.list_customers(&PageRequest::first(3)).unwrap();
    assert_eq!(
        page.customers.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        vec![ids[0].clone(), ids[3].clone(), ids[4].clone()]
    );

    for limit in [0, 101] {
        let err = t.scope.list_customers(&PageRequest::first(limit)).unwrap_err();
        assert_eq!((err.code(), err.field()), ("IR_05", Some("limit")));
    }
}

#[test]
fn delete_redacts_and_cascades() {
    let t = open();
    let customer = t
        .scope
        .create_customer(CustomerCreate {
            merchant_reference_id: Some("ref-9".into()),
            name: Some("John Doe".into()),
            ..Default::default()
        })
        .unwrap();
    let cards: Vec<_> = (0..3).map(|i| save_card(&t.scope, &customer.id, &visa(i))).collect();
    let keeper = new_customer(&t.scope);
    let kept = save_card(&t.scope, &keeper.id, &visa(0));

    let deleted = t.scope.delete_customer(&customer.id).unwrap();
    assert!(deleted.customer_deleted);
    assert_eq!(deleted.payment_methods_deleted, 3);

    for op in [
        t.scope.retrieve_customer(&customer.id).map(|_| ()),
        t.scope.update_customer(&customer.id, CustomerUpdate::default()).map(|_| ()),
        t.scope.delete_customer(&customer.id).map(|_| ()),
        t.scope.list_payment_methods(&customer.id, &PageRequest::default()).map(|_| ()),
        t.scope.create_payment_method(PaymentMethodCreate::card(customer.id.clone(), card(&visa(7)))).map(|_| ()),
    ] {
        let err = op.unwrap_err();
        assert_eq!((err.code(), err.field()), ("IR_11", Some("customer_id")));
    }
    for pm in &cards {
        assert_eq!(t.scope.retrieve_payment_method(&pm.id).unwrap_err().code(), "HE_02");
        assert!(t.scope.take_cvc(&pm.id).is_err());
    }
    assert_eq!(t.scope.retrieve_payment_method(&kept.id).unwrap(), kept, "other customers are untouched");

    // Nothing of the customer remains in the live data.
    let mut t = t;
    t.vault.close();
    let dump = raw_dump(t.path());
    for entries in dump.values() {
        for (key, value) in entries {
            for needle in [&b"John Doe"[..], b"ref-9"] {
                assert!(!contains(key, needle) && !contains(value, needle));
            }
        }
    }
    assert!(dump["pm_by_customer"].iter().all(|(k, _)| !contains(k, customer.id.as_str().as_bytes())));
    t.reopen();

    // The reference was released with the personal data.
    t.scope
        .create_customer(CustomerCreate { merchant_reference_id: Some("ref-9".into()), ..Default::default() })
        .unwrap();
}

#[test]
fn unknown_and_malformed_customer_ids() {
    let t = open();
    let unknown = CustomerId::generate(None).unwrap();
    let err = t.scope.retrieve_customer(&unknown).unwrap_err();
    assert_eq!((err.code(), err.field()), ("HE_02", Some("customer_id")));
    assert_eq!(t.scope.delete_customer(&unknown).unwrap_err().code(), "HE_02");
    let err = CustomerId::parse("cus_123").unwrap_err();
    assert_eq!((err.code(), err.field()), ("IR_05", Some("customer_id")));
}
