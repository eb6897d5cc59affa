//! The hosted vault's server-to-server tokenization flow, in-process, on a temporary vault:
//! create a customer, save a card (get the payment method id), retrieve it masked, update
//! holder name / nick name / CVC, list, reveal, take the CVC, delete.
//!
//! Run: `cargo run --release -p strongroom-core --example seed_flow`

use std::time::Duration;

use strongroom_core::{
    CardInput, CustomerCreate, MasterKey, MasterKeyId, MasterKeyRing, MerchantId, PageRequest, PaymentMethod,
    PaymentMethodCreate, PaymentMethodUpdate, ProfileCreate, ProfileId, ProfileSettings, Vault, VaultOptions,
};

fn show(step: &str, what: &dyn std::fmt::Debug) {
    println!("== {step}\n{what:#?}\n");
}

fn masked(pm: &PaymentMethod) -> String {
    format!(
        "{} {}…{} exp {:02}/{} ({:?}), nick {:?}, CVC stored: {}",
        pm.id,
        pm.card.card_isin,
        pm.card.last4_digits,
        pm.card.expiry_month,
        pm.card.expiry_year,
        pm.card.card_network,
        pm.card.nick_name,
        pm.card_cvc_token_storage.is_stored
    )
}

fn main() -> strongroom_core::Result<()> {
    let dir = std::env::temp_dir().join(format!("strongroom-demo-{}", std::process::id()));
    // A demo key; a real host gets its master key from a KMS through a KeyProvider.
    let master = MasterKey::generate()?;
    let options = VaultOptions::new(MasterKeyRing::single(MasterKeyId::parse("demo")?, master));
    let vault = Vault::open(&dir, options)?;
    println!("Opened a vault in {}\n", dir.display());

    let profile = vault.create_profile(ProfileCreate {
        profile_id: ProfileId::parse("pro_demo")?,
        merchant_id: MerchantId::parse("merchant_demo")?,
        settings: ProfileSettings { cvc_ttl: Duration::from_secs(15 * 60), ..Default::default() },
    })?;
    show("profile", &profile);
    let scope = vault.profile(&profile.id)?;

    let customer = scope.create_customer(CustomerCreate {
        merchant_reference_id: Some("customer_1770299".into()),
        name: Some("John Doe".into()),
        email: Some("guest@example.com".into()),
        ..Default::default()
    })?;
    show("1. create customer (personal data is sealed; Debug hides it)", &customer);

    let created = scope.create_payment_method(PaymentMethodCreate::card(
        customer.id.clone(),
        CardInput {
            card_number: "4111111111111111".into(),
            card_exp_month: "03".into(),
            card_exp_year: "2030".into(),
            card_holder_name: Some("joseph Doe".into()),
            card_cvc: Some("737".into()),
            ..Default::default()
        },
    ))?;
    let pm_id = created.payment_method.id.clone();
    println!("== 2. create payment method → token {pm_id} (duplicate: {})\n", created.duplicate);

    let retrieved = scope.retrieve_payment_method(&pm_id)?;
    show("3. retrieve (masked view)", &retrieved);

    let updated = scope.update_payment_method(
        &pm_id,
        PaymentMethodUpdate {
            card_holder_name: Some("joseph".into()),
            nick_name: Some("some_name11".into()),
            card_cvc: Some("737".into()),
            ..Default::default()
        },
    )?;
    println!("== 4. update holder / nick / CVC\n{}\n", masked(&updated));

    let listed = scope.list_payment_methods(&customer.id, &PageRequest::default())?;
    println!("== list the customer's cards");
    for pm in &listed.payment_methods {
        println!("{}", masked(pm));
    }
    println!();

    let revealed = scope.reveal_payment_method(&pm_id)?;
    println!(
        "== reveal (needs the reveal right; Debug stays masked: {:?})\nfull number for the payment network: {}\n",
        revealed.card_number,
        revealed.card_number.expose()
    );
    let cvc = scope.take_cvc(&pm_id)?;
    println!("== take_cvc → {:?}; again → {:?}\n", cvc.as_ref().map(|c| c.expose()), scope.take_cvc(&pm_id)?);

    let deleted = scope.delete_payment_method(&pm_id)?;
    show("5. delete", &deleted);
    match scope.retrieve_payment_method(&pm_id) {
        Err(e) => println!("retrieve after delete → {} ({}): {e}", e.code(), e.field().unwrap_or("-")),
        Ok(_) => unreachable!("a deleted payment method is gone"),
    }
    match scope.create_payment_method(PaymentMethodCreate::card(
        customer.id.clone(),
        CardInput { card_number: "4111111111111112".into(), ..Default::default() },
    )) {
        Err(e) => println!("a mistyped card number → {} ({}): {e}", e.code(), e.field().unwrap_or("-")),
        Ok(_) => unreachable!("Luhn rejects it"),
    }

    vault.close();
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
