//! Bad input gets a typed error with a stable code and the field it concerns, and writes
//! nothing: the table below runs every case against one vault, checks each error, checks
//! the vault's contents after each case through the API, and compares every byte of every
//! column family before and after the whole table.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use strongroom_core::{
    Address, CardNetwork, Customer, CustomerCreate, CustomerId, MerchantId, Metadata, PageRequest, PaymentMethod,
    PaymentMethodCreate, PaymentMethodId, PaymentMethodUpdate, ProfileCreate, ProfileId, ProfileScope, ProfileSettings,
    Result, Vault,
};

/// Everything the API shows of the vault.
type Snapshot = (Vec<strongroom_core::Profile>, Vec<(Customer, Vec<PaymentMethod>)>);

fn snapshot(vault: &Vault, scope: &ProfileScope) -> Snapshot {
    let customers = scope.list_customers(&PageRequest::first(100)).unwrap().customers;
    let with_cards = customers
        .into_iter()
        .map(|c| {
            let cards = scope.list_payment_methods(&c.id, &PageRequest::first(100)).unwrap().payment_methods;
            (c, cards)
        })
        .collect();
    (vault.list_profiles().unwrap(), with_cards)
}

type Run = Box<dyn Fn(&Fixture) -> Result<()>>;

struct Case {
    name: &'static str,
    code: &'static str,
    field: Option<&'static str>,
    run: Run,
}

struct Fixture {
    vault: Vault,
    scope: ProfileScope,
    customer: CustomerId,
    redacted: CustomerId,
    pm: PaymentMethodId,
    amex_pm: PaymentMethodId,
}

fn create_card(f: &Fixture, edit: impl Fn(&mut strongroom_core::CardInput)) -> Result<()> {
    let mut input = card("4111111111111111");
    edit(&mut input);
    f.scope.create_payment_method(PaymentMethodCreate::card(f.customer.clone(), input)).map(|_| ())
}

fn create_request(f: &Fixture, edit: impl Fn(&mut PaymentMethodCreate)) -> Result<()> {
    let mut request = PaymentMethodCreate::card(f.customer.clone(), card("5555555555554444"));
    edit(&mut request);
    f.scope.create_payment_method(request).map(|_| ())
}

fn create_customer(f: &Fixture, edit: impl Fn(&mut CustomerCreate)) -> Result<()> {
    let mut request = CustomerCreate { name: Some("Ann".into()), ..Default::default() };
    edit(&mut request);
    f.scope.create_customer(request).map(|_| ())
}

fn update_pm(f: &Fixture, edit: impl Fn(&mut PaymentMethodUpdate)) -> Result<()> {
    let mut update = PaymentMethodUpdate::default();
    edit(&mut update);
    f.scope.update_payment_method(&f.pm, update).map(|_| ())
}

fn many_keys(n: usize) -> Metadata {
    Metadata((0..n).map(|i| (format!("k{i}"), "v".to_owned())).collect())
}

macro_rules! case {
    ($name:expr, $code:expr, $field:expr, $run:expr) => {
        Case { name: $name, code: $code, field: $field, run: Box::new($run) }
    };
}

fn cases() -> Vec<Case> {
    let huge = "x".repeat(1 << 20);
    let huge2 = huge.clone();
    let huge3 = huge.clone();
    vec![
        // Card number
        case!("bad Luhn", "IR_05", Some("card_number"), |f| create_card(f, |c| c.card_number =
            "4111111111111112".into())),
        case!("11 digits", "IR_05", Some("card_number"), |f| create_card(f, |c| c.card_number = "41111111113".into())),
        case!("20 digits", "IR_05", Some("card_number"), |f| create_card(f, |c| c.card_number =
            "41111111111111111113".into())),
        case!("letters", "IR_05", Some("card_number"), |f| create_card(f, |c| c.card_number =
            "4111abcd11111111".into())),
        case!("empty number", "IR_04", Some("card_number"), |f| create_card(f, |c| c.card_number = "".into())),
        case!("blank number", "IR_04", Some("card_number"), |f| create_card(f, |c| c.card_number = "   ".into())),
        case!("NUL in number", "IR_05", Some("card_number"), |f| create_card(f, |c| c.card_number =
            "4111\u{0}111111111111".into())),
        case!("full-width digits", "IR_05", Some("card_number"), |f| create_card(f, |c| c.card_number =
            "４１１１１１１１１１１１１１１１".into())),
        case!("1 MB number", "IR_05", Some("card_number"), move |f| create_card(f, |c| c.card_number =
            huge.as_str().into())),
        case!("Amex with 16 digits", "IR_05", Some("card_number"), |f| create_card(f, |c| c.card_number =
            "3782822463100005".into())),
        case!("Visa with 17 digits", "IR_05", Some("card_number"), |f| create_card(f, |c| c.card_number =
            "41111111111111113".into())),
        case!("all zeros", "IR_05", Some("card_number"), |f| create_card(f, |c| c.card_number =
            "0000 0000 0000 0000".into())),
        case!("12 zeros", "IR_05", Some("card_number"), |f| create_card(f, |c| c.card_number = "000000000000".into())),
        // An unknown BIN (9…) declared as American Express, which issues only 15 digits.
        case!("declared network of another length", "IR_05", Some("card_network"), |f| create_card(f, |c| {
            c.card_number = "9000000000000001".into();
            c.card_network = Some(strongroom_core::CardNetwork::AmericanExpress);
        })),
        case!("Mastercard with 15 digits", "IR_05", Some("card_number"), |f| create_card(f, |c| c.card_number =
            "555555555555557".into())),
        case!("declared network disagrees", "IR_05", Some("card_network"), |f| create_card(f, |c| c.card_network =
            Some(CardNetwork::Mastercard))),
        // Expiry
        case!("month 13", "IR_05", Some("card_exp_month"), |f| create_card(f, |c| c.card_exp_month = "13".into())),
        case!("month 0", "IR_05", Some("card_exp_month"), |f| create_card(f, |c| c.card_exp_month = "0".into())),
        case!("month letters", "IR_05", Some("card_exp_month"), |f| create_card(f, |c| c.card_exp_month = "ab".into())),
        case!("month missing", "IR_04", Some("card_exp_month"), |f| create_card(f, |c| c.card_exp_month = "".into())),
        case!("year missing", "IR_04", Some("card_exp_year"), |f| create_card(f, |c| c.card_exp_year = "".into())),
        case!("3-digit year", "IR_05", Some("card_exp_year"), |f| create_card(f, |c| c.card_exp_year = "203".into())),
        case!("year 9999", "IR_05", Some("card_exp_year"), |f| create_card(f, |c| c.card_exp_year = "9999".into())),
        case!("past month", "CE_05", Some("card_exp_month"), |f| create_card(f, |c| {
            c.card_exp_month = "10".into();
            c.card_exp_year = "2026".into();
        })),
        case!("past year", "CE_05", Some("card_exp_year"), |f| create_card(f, |c| c.card_exp_year = "25".into())),
        // CVC
        case!("5-digit CVC", "IR_05", Some("card_cvc"), |f| create_card(f, |c| c.card_cvc = Some("12345".into()))),
        case!("Amex with 3-digit CVC", "IR_05", Some("card_cvc"), |f| create_card(f, |c| {
            c.card_number = "378282246310005".into();
            c.card_cvc = Some("123".into());
        })),
        case!("Visa with 4-digit CVC", "IR_05", Some("card_cvc"), |f| create_card(f, |c| c.card_cvc =
            Some("1234".into()))),
        case!("CVC letters", "IR_05", Some("card_cvc"), |f| create_card(f, |c| c.card_cvc = Some("7a7".into()))),
        case!("empty CVC", "IR_04", Some("card_cvc"), |f| create_card(f, |c| c.card_cvc = Some("".into()))),
        // Names and card details
        case!("holder name 257 chars", "IR_05", Some("card_holder_name"), |f| create_card(f, |c| c.card_holder_name =
            Some("a".repeat(257).into()))),
        case!("holder name 1 MB", "IR_05", Some("card_holder_name"), move |f| create_card(f, |c| c.card_holder_name =
            Some(huge2.as_str().into()))),
        case!("holder name newline", "IR_05", Some("card_holder_name"), |f| create_card(f, |c| c.card_holder_name =
            Some("Jo\nDoe".into()))),
        case!("holder name NUL", "IR_05", Some("card_holder_name"), |f| create_card(f, |c| c.card_holder_name =
            Some("Jo\u{0}".into()))),
        case!("holder name blank", "IR_05", Some("card_holder_name"), |f| create_card(f, |c| c.card_holder_name =
            Some("  ".into()))),
        case!("nick name 65 chars", "IR_05", Some("nick_name"), |f| create_card(f, |c| c.nick_name =
            Some("n".repeat(65)))),
        case!("nick name escape", "IR_05", Some("nick_name"), |f| create_card(f, |c| c.nick_name =
            Some("\u{1b}[31m".into()))),
        case!("issuing country lower case", "IR_05", Some("card_issuing_country"), |f| create_card(f, |c| c
            .card_issuing_country =
            Some("us".into()))),
        // Payment method request
        case!("unknown customer", "HE_02", Some("customer_id"), |f| create_request(f, |r| r.customer_id =
            CustomerId::generate(None).unwrap())),
        case!("redacted customer", "IR_11", Some("customer_id"), |f| create_request(f, |r| r.customer_id =
            f.redacted.clone())),
        case!("billing country", "IR_05", Some("billing.country"), |f| create_request(f, |r| r.billing =
            Some(Address { country: Some("United States".into()), ..Default::default() }))),
        case!("billing zip 17 chars", "IR_05", Some("billing.zip"), |f| create_request(f, |r| r.billing =
            Some(Address { zip: Some("1".repeat(17)), ..Default::default() }))),
        case!("metadata 51 keys", "IR_05", Some("metadata"), |f| create_request(f, |r| r.metadata =
            Some(many_keys(51)))),
        case!("metadata 100k keys", "IR_05", Some("metadata"), |f| create_request(f, |r| r.metadata =
            Some(many_keys(100_000)))),
        case!("metadata key 41 chars", "IR_05", Some("metadata.key"), |f| create_request(f, |r| r.metadata =
            Some(Metadata(BTreeMap::from([("k".repeat(41), "v".into())]))))),
        case!("metadata value 501 chars", "IR_05", Some("metadata.value"), |f| create_request(f, |r| r.metadata =
            Some(Metadata(BTreeMap::from([("k".into(), "v".repeat(501))]))))),
        // The billing address and metadata are shown in masked views: neither may hold the number.
        case!("billing line holds the number", "IR_05", Some("billing.line1"), |f| create_request(f, |r| r.billing =
            Some(Address { line1: Some("5555 5555 5555 4444".into()), ..Default::default() }))),
        case!("billing email holds the number", "IR_05", Some("billing.email"), |f| create_request(f, |r| r.billing =
            Some(Address { email: Some("5555555555554444@example.com".into()), ..Default::default() }))),
        case!("metadata value holds the number", "IR_05", Some("metadata.value"), |f| create_request(f, |r| r
            .metadata =
            Some(Metadata(BTreeMap::from([("card".into(), "5555-5555-5555-4444".into())]))))),
        case!("metadata key holds the number", "IR_05", Some("metadata.key"), |f| create_request(f, |r| r.metadata =
            Some(Metadata(BTreeMap::from([("5555555555554444".into(), "v".into())]))))),
        // Customers
        case!("customer email", "IR_05", Some("email"), |f| create_customer(f, |c| c.email =
            Some("not-an-email".into()))),
        case!("customer phone", "IR_05", Some("phone"), |f| create_customer(f, |c| c.phone = Some("call me".into()))),
        case!("phone country code", "IR_05", Some("phone_country_code"), |f| create_customer(f, |c| c
            .phone_country_code =
            Some("1".into()))),
        case!("customer name 257 chars", "IR_05", Some("name"), |f| create_customer(f, |c| c.name =
            Some("a".repeat(257).into()))),
        case!("customer name 1 MB", "IR_05", Some("name"), move |f| create_customer(f, |c| c.name =
            Some(huge3.as_str().into()))),
        case!("description 1025 chars", "IR_05", Some("description"), |f| create_customer(f, |c| c.description =
            Some("d".repeat(1025)))),
        case!("reference with tab", "IR_05", Some("merchant_reference_id"), |f| create_customer(f, |c| c
            .merchant_reference_id =
            Some("a\tb".into()))),
        case!("reference 65 chars", "IR_05", Some("merchant_reference_id"), |f| create_customer(f, |c| c
            .merchant_reference_id =
            Some("r".repeat(65)))),
        case!("duplicate reference", "IR_12", Some("merchant_reference_id"), |f| create_customer(f, |c| c
            .merchant_reference_id =
            Some("taken".into()))),
        case!("shipping address email", "IR_05", Some("default_shipping_address.email"), |f| create_customer(f, |c| {
            c.default_shipping_address = Some(Address { email: Some("x@".into()), ..Default::default() })
        })),
        // Ids, lookups and pages
        case!("malformed payment method id", "IR_05", Some("payment_method_id"), |_| PaymentMethodId::parse("pm_xyz")
            .map(|_| ())),
        case!("customer id given as pm id", "IR_05", Some("payment_method_id"), |_| PaymentMethodId::parse(
            "cus_0190000000007000800000000000000b"
        )
        .map(|_| ())),
        case!("card number given as id", "IR_05", Some("customer_id"), |_| CustomerId::parse("4111111111111111")
            .map(|_| ())),
        case!("unknown payment method", "HE_02", Some("payment_method_id"), |f| f
            .scope
            .retrieve_payment_method(&PaymentMethodId::generate(None).unwrap())
            .map(|_| ())),
        case!("delete unknown payment method", "HE_02", Some("payment_method_id"), |f| f
            .scope
            .delete_payment_method(&PaymentMethodId::generate(None).unwrap())
            .map(|_| ())),
        case!("list limit 0", "IR_05", Some("limit"), |f| f.scope.list_customers(&PageRequest::first(0)).map(|_| ())),
        case!("list limit 101", "IR_05", Some("limit"), |f| f
            .scope
            .list_payment_methods(&f.customer, &PageRequest::first(101))
            .map(|_| ())),
        // Updates
        case!("update month without year", "IR_04", Some("card_exp_year"), |f| update_pm(f, |u| u.card_exp_month =
            Some("04".into()))),
        case!("update year without month", "IR_04", Some("card_exp_month"), |f| update_pm(f, |u| u.card_exp_year =
            Some("2031".into()))),
        case!("update to past expiry", "CE_05", Some("card_exp_year"), |f| update_pm(f, |u| {
            u.card_exp_month = Some("01".into());
            u.card_exp_year = Some("2020".into());
        })),
        case!("update CVC 5 digits", "IR_05", Some("card_cvc"), |f| update_pm(f, |u| u.card_cvc =
            Some("12345".into()))),
        case!("update Amex CVC 3 digits", "IR_05", Some("card_cvc"), |f| f
            .scope
            .update_payment_method(
                &f.amex_pm,
                PaymentMethodUpdate { card_cvc: Some("123".into()), ..Default::default() }
            )
            .map(|_| ())),
        case!("update holder name control", "IR_05", Some("card_holder_name"), |f| update_pm(f, |u| u
            .card_holder_name =
            Some("a\u{7f}".into()))),
        // As on create: the names are shown in masked views.
        case!("update nick name holds the number", "IR_05", Some("nick_name"), |f| update_pm(f, |u| u.nick_name =
            Some("card 4111-1111-1111-1111".into()))),
        case!("update holder name holds the number", "IR_05", Some("card_holder_name"), |f| update_pm(f, |u| u
            .card_holder_name =
            Some("x4111111111111111y".into()))),
        // Profiles
        case!("profile id with space", "IR_05", Some("profile_id"), |_| ProfileId::parse("pro a").map(|_| ())),
        case!("profile id 65 chars", "IR_05", Some("profile_id"), |_| ProfileId::parse(&"p".repeat(65)).map(|_| ())),
        case!("duplicate profile", "HE_01", Some("profile_id"), |f| f
            .vault
            .create_profile(ProfileCreate {
                profile_id: f.scope.profile_id().clone(),
                merchant_id: MerchantId::parse("m").unwrap(),
                settings: ProfileSettings::default()
            })
            .map(|_| ())),
        case!("CVC TTL zero", "IR_05", Some("cvc_ttl"), |f| f
            .vault
            .create_profile(ProfileCreate {
                profile_id: ProfileId::parse("pro_new").unwrap(),
                merchant_id: MerchantId::parse("m").unwrap(),
                settings: ProfileSettings { cvc_ttl: Duration::ZERO, ..Default::default() }
            })
            .map(|_| ())),
        case!("volatile TTL 31 days", "IR_05", Some("volatile_ttl"), |f| f
            .vault
            .update_profile_settings(
                f.scope.profile_id(),
                ProfileSettings { volatile_ttl: Duration::from_secs(31 * 86_400), ..Default::default() }
            )
            .map(|_| ())),
        case!("unknown profile", "HE_02", Some("profile_id"), |f| f
            .vault
            .profile(&ProfileId::parse("pro_missing").unwrap())
            .map(|_| ())),
    ]
}

#[test]
fn every_bad_input_is_a_typed_error_and_writes_nothing() {
    let mut t = open();
    let customer = t
        .scope
        .create_customer(CustomerCreate { merchant_reference_id: Some("taken".into()), ..Default::default() })
        .unwrap();
    let redacted = new_customer(&t.scope);
    t.scope.delete_customer(&redacted.id).unwrap();
    let pm = save_card(&t.scope, &customer.id, "4111111111111111").id;
    let amex_pm = save_card(&t.scope, &customer.id, "378282246310005").id;

    t.vault.close();
    let raw_before = raw_dump(t.path());
    t.reopen();

    let fixture = Fixture {
        vault: t.vault.clone(),
        scope: t.scope.clone(),
        customer: customer.id,
        redacted: redacted.id,
        pm,
        amex_pm,
    };
    let before = snapshot(&fixture.vault, &fixture.scope);
    let cases = cases();
    assert!(cases.len() >= 40, "the table has {} cases", cases.len());
    for case in &cases {
        let err = (case.run)(&fixture).expect_err(case.name);
        assert_eq!((err.code(), err.field()), (case.code, case.field), "{}: {err}", case.name);
        assert!(!err.to_string().is_empty());
        assert!(!err.to_string().contains("4111111111"), "{}: the message holds card data", case.name);
        assert_eq!(snapshot(&fixture.vault, &fixture.scope), before, "{}: the vault changed", case.name);
    }
    drop(fixture);
    t.vault.close();
    let raw_after = raw_dump(t.path());
    assert_eq!(raw_before, raw_after, "no byte of any column family changed");
}
