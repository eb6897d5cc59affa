//! The hosted vault's server-to-server flow, in-process: create a customer, save a card,
//! retrieve it masked, update it, list, reveal, delete.

mod common;

use common::*;
use strongroom_core::{
    CardNetwork, CustomerCreate, PageRequest, PaymentMethodCreate, PaymentMethodSubtype, PaymentMethodType,
    PaymentMethodUpdate, StorageType,
};

#[test]
fn server_to_server_flow() {
    let t = open();
    let scope = &t.scope;

    let customer = scope
        .create_customer(CustomerCreate {
            merchant_reference_id: Some("customer_1770299".into()),
            name: Some("John Doe".into()),
            email: Some("guest@example.com".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(customer.id.as_str().starts_with("cus_"));
    assert_eq!(customer.merchant_reference_id.as_deref(), Some("customer_1770299"));
    assert_eq!(customer.name.as_ref().unwrap().expose(), "John Doe");

    let created = scope
        .create_payment_method(PaymentMethodCreate {
            customer_id: customer.id.clone(),
            payment_method_type: PaymentMethodType::Card,
            payment_method_subtype: PaymentMethodSubtype::Credit,
            card: card("4111111111111111"),
            storage_type: StorageType::Persistent,
            recurring_enabled: true,
            billing: None,
            metadata: None,
            network_tokenization: false,
        })
        .unwrap();
    assert!(!created.duplicate);
    let pm = created.payment_method;
    assert!(pm.id.as_str().starts_with("pm_"));
    assert_eq!(pm.customer_id, customer.id);
    assert_eq!(pm.card.last4_digits, "1111");
    assert_eq!(pm.card.card_isin, "41111111");
    assert_eq!(pm.card.card_network, Some(CardNetwork::Visa));
    assert_eq!((pm.card.expiry_month, pm.card.expiry_year), (3, 2030));
    assert_eq!(pm.card.card_holder_name.as_ref().unwrap().expose(), "joseph Doe");
    assert!(pm.card_cvc_token_storage.is_stored);
    assert_eq!(pm.card.card_fingerprint, None, "fingerprints are hidden unless the profile opts in");
    assert!(!format!("{pm:?}").contains("4111111111111111"), "Debug of the masked view holds no card number");
    assert!(!format!("{pm:?}").contains("joseph"), "nor the holder name");

    let retrieved = scope.retrieve_payment_method(&pm.id).unwrap();
    assert_eq!(retrieved, pm);

    let updated = scope
        .update_payment_method(
            &pm.id,
            PaymentMethodUpdate {
                card_holder_name: Some("joseph".into()),
                nick_name: Some("some_name11".into()),
                card_cvc: Some("737".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(updated.card.card_holder_name.as_ref().unwrap().expose(), "joseph");
    assert_eq!(updated.card.nick_name.as_deref(), Some("some_name11"));
    assert_eq!(scope.retrieve_payment_method(&pm.id).unwrap(), updated);

    let listed = scope.list_payment_methods(&customer.id, &PageRequest::default()).unwrap();
    assert_eq!(listed.payment_methods, vec![updated.clone()]);
    assert_eq!(listed.next_starting_after, None);

    let revealed = scope.reveal_payment_method(&pm.id).unwrap();
    assert_eq!(revealed.card_number.expose(), "4111111111111111");
    assert_eq!(format!("{:?}", revealed.card_number), "CardNumber(****1111)");
    assert_eq!(scope.take_cvc(&pm.id).unwrap().unwrap().expose(), "737");
    assert!(scope.take_cvc(&pm.id).unwrap().is_none(), "a CVC is handed out once");

    let deleted = scope.delete_payment_method(&pm.id).unwrap();
    assert_eq!(deleted.id, pm.id);
    assert_eq!(scope.retrieve_payment_method(&pm.id).unwrap_err().code(), "HE_02");
    assert_eq!(scope.delete_payment_method(&pm.id).unwrap_err().code(), "HE_02");
    assert!(scope.list_payment_methods(&customer.id, &PageRequest::default()).unwrap().payment_methods.is_empty());
}
