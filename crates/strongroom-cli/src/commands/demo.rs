//! `strongroom demo`: the seed's server-to-server flow, each step's request and response
//! printed as JSON, on a temporary vault unless `--vault` names one.

use serde_json::{Value, json};
use strongroom_core::{
    ApiKeyCreate, CardInput, CustomerCreate, Error, MasterKey, MerchantId, PageRequest, PaymentMethodCreate,
    PaymentMethodUpdate, ProfileCreate, ProfileId, ProfileSettings, Scopes,
};

use crate::cli::Global;
use crate::context::{self, Context};
use crate::error::Result;
use crate::json;

fn step(n: u32, title: &str, request: Value, response: Value) -> Result<()> {
    json::print_line(format_args!("== {n}. {title}\nrequest:"))?;
    json::print(&request)?;
    json::print_line(format_args!("response:"))?;
    json::print(&response)?;
    json::print_line(format_args!(""))
}

pub fn run(global: &Global) -> Result<()> {
    let (_temp, ctx) = match &global.vault {
        Some(dir) => {
            let options = context::options(global)?;
            if !dir.join("CURRENT").exists() {
                strongroom_core::Vault::open(dir, options.clone())?.close();
            }
            (None, Context::open_at(dir, options, global.api_key.clone())?)
        }
        None => {
            let (temp, path) = context::temp_dir()?;
            let options = context::options_with_key(global, MasterKey::generate()?)?;
            strongroom_core::Vault::open(&path, options.clone())?.close();
            println!("Temporary vault in {} with a fresh master key (deleted at exit).\n", path.display());
            (Some(temp), Context::open_at(&path, options, None)?)
        }
    };
    let vault = &ctx.vault;
    let profile_id = ProfileId::parse("pro_demo")?;

    let profile = match vault.create_profile(ProfileCreate {
        profile_id: profile_id.clone(),
        merchant_id: MerchantId::parse("merchant_demo")?,
        settings: ProfileSettings::default(),
    }) {
        Ok(p) => p,
        Err(Error::Duplicate { .. }) => vault.get_profile(&profile_id)?,
        Err(e) => return Err(e.into()),
    };
    step(
        1,
        "create profile",
        json!({"profile_id": "pro_demo", "merchant_id": "merchant_demo"}),
        json::profile(&profile),
    )?;

    let server_key = vault.create_api_key(
        &profile_id,
        ApiKeyCreate {
            name: "merchant server".into(),
            scopes: Scopes { read: true, write: true, reveal: false },
            expires_at: None,
        },
    )?;
    let reveal_key = vault.create_api_key(
        &profile_id,
        ApiKeyCreate {
            name: "payment processor".into(),
            scopes: Scopes { read: true, write: false, reveal: true },
            expires_at: None,
        },
    )?;
    step(
        2,
        "create API keys (read+write for the merchant's server, read+reveal for the processor)",
        json!([{"name": "merchant server", "scopes": ["read", "write"]}, {"name": "payment processor", "scopes": ["read", "reveal"]}]),
        json!([json::api_key(&server_key.key), json::api_key(&reveal_key.key)]),
    )?;
    let server = vault.authenticate(server_key.secret.expose(), &profile_id)?;

    let customer = server.create_customer(CustomerCreate {
        merchant_reference_id: Some(format!("customer_{}", std::process::id())),
        name: Some("John Doe".into()),
        email: Some("guest@example.com".into()),
        phone: Some("999999999".into()),
        phone_country_code: Some("+65".into()),
        ..Default::default()
    })?;
    step(
        3,
        "create customer",
        json!({"merchant_reference_id": customer.merchant_reference_id, "name": "John Doe", "email": "guest@example.com", "phone": "999999999", "phone_country_code": "+65"}),
        json::customer(&customer),
    )?;

    let mut request = PaymentMethodCreate::card(
        customer.id.clone(),
        CardInput {
            card_number: "4111111111111111".into(),
            card_exp_month: "03".into(),
            card_exp_year: "2030".into(),
            card_holder_name: Some("joseph Doe".into()),
            card_cvc: Some("737".into()),
            ..Default::default()
        },
    );
    request.network_tokenization = true;
    let created = server.create_payment_method(request)?;
    let pm_id = created.payment_method.id.clone();
    step(
        4,
        "create card payment method with a network token (simulator)",
        json!({"customer_id": customer.id.as_str(), "payment_method_type": "card", "payment_method_data": {"card": {"card_number": "4111 1111 1111 1111 (test card)", "card_exp_month": "03", "card_exp_year": "2030", "card_holder_name": "joseph Doe", "card_cvc": "***"}}, "network_tokenization": {"enable": true}}),
        json::payment_method(&created.payment_method),
    )?;

    step(
        5,
        "retrieve (masked)",
        json!({"payment_method_id": pm_id.as_str()}),
        json::payment_method(&server.retrieve_payment_method(&pm_id)?),
    )?;

    let updated = server.update_payment_method(
        &pm_id,
        PaymentMethodUpdate {
            card_holder_name: Some("joseph".into()),
            nick_name: Some("some_name11".into()),
            card_cvc: Some("737".into()),
            ..Default::default()
        },
    )?;
    step(
        6,
        "update holder name, nick name, CVC",
        json!({"payment_method_id": pm_id.as_str(), "card_holder_name": "joseph", "nick_name": "some_name11", "card_cvc": "***"}),
        json::payment_method(&updated),
    )?;

    let page = server.list_payment_methods(&customer.id, &PageRequest::first(20))?;
    step(
        7,
        "list the customer's payment methods",
        json!({"customer_id": customer.id.as_str()}),
        json::payment_method_page(&page),
    )?;

    let refused = server.reveal_payment_method(&pm_id).map(|_| ()).unwrap_err();
    let processor = vault.authenticate(reveal_key.secret.expose(), &profile_id)?;
    let revealed = processor.reveal_payment_method(&pm_id)?;
    step(
        8,
        "reveal: refused to the merchant's key, allowed to the reveal-scoped key (test card)",
        json!({"payment_method_id": pm_id.as_str()}),
        json!({"merchant_server": {"error_code": refused.code(), "error": refused.to_string()}, "payment_processor": json::revealed(&revealed)}),
    )?;

    let deleted = server.delete_payment_method(&pm_id)?;
    let after = server.retrieve_payment_method(&pm_id).map(|_| ()).unwrap_err();
    step(
        9,
        "delete (the network token is deleted at the provider too)",
        json!({"payment_method_id": pm_id.as_str()}),
        json!({"deleted": deleted.id.as_str(), "retrieve_after_delete": {"error_code": after.code(), "error": after.to_string()}}),
    )?;
    Ok(())
}
