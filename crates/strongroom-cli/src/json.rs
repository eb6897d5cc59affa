//! The vault's answers as JSON. Masked views stay masked; secrets (names, emails) of a
//! customer are shown, as retrieve returns them to a caller with the right to read.

use crate::error::CliError;
use serde_json::{Value, json};
use strongroom_core::{
    Address, ApiKey, AuditActor, AuditEvent, AuditOutcome, Customer, CustomerDeleted, CustomerPage, Metadata,
    NetworkTokenInfo, PaymentMethod, PaymentMethodPage, Profile, ProfileStats, RevealedCard, SecretString, Timestamp,
    VaultStats, VerifyReport,
};

fn time(t: Timestamp) -> Value {
    Value::String(t.to_rfc3339())
}

fn secret(s: &Option<SecretString>) -> Value {
    s.as_ref().map_or(Value::Null, |s| Value::String(s.expose().to_owned()))
}

fn metadata(m: &Option<Metadata>) -> Value {
    m.as_ref().map_or(Value::Null, |m| json!(m.0))
}

fn address(a: &Option<Address>) -> Value {
    a.as_ref().map_or(Value::Null, |a| {
        json!({
            "line1": a.line1, "line2": a.line2, "line3": a.line3, "city": a.city, "state": a.state,
            "zip": a.zip, "country": a.country, "first_name": a.first_name, "last_name": a.last_name,
            "phone": a.phone, "phone_country_code": a.phone_country_code, "email": a.email,
        })
    })
}

pub fn profile(p: &Profile) -> Value {
    json!({
        "id": p.id.as_str(),
        "merchant_id": p.merchant_id.as_str(),
        "cvc_ttl_seconds": p.settings.cvc_ttl.as_secs(),
        "volatile_ttl_seconds": p.settings.volatile_ttl.as_secs(),
        "expose_card_fingerprint": p.settings.expose_card_fingerprint,
        "created_at": time(p.created_at),
        "active_key_version": p.active_key_version,
    })
}

pub fn api_key(k: &ApiKey) -> Value {
    json!({
        "id": k.id.as_str(),
        "name": k.name,
        "scopes": {"read": k.scopes.read, "write": k.scopes.write, "reveal": k.scopes.reveal},
        "created_at": time(k.created_at),
        "expires_at": k.expires_at.map(time),
        "revoked_at": k.revoked_at.map(time),
    })
}

pub fn customer(c: &Customer) -> Value {
    json!({
        "id": c.id.as_str(),
        "merchant_reference_id": c.merchant_reference_id,
        "name": secret(&c.name),
        "email": secret(&c.email),
        "phone": secret(&c.phone),
        "phone_country_code": c.phone_country_code,
        "description": c.description,
        "default_billing_address": address(&c.default_billing_address),
        "default_shipping_address": address(&c.default_shipping_address),
        "metadata": metadata(&c.metadata),
        "created_at": time(c.created_at),
        "modified_at": time(c.modified_at),
        "status": format!("{:?}", c.status).to_lowercase(),
    })
}

pub fn customer_page(p: &CustomerPage) -> Value {
    json!({
        "customers": p.customers.iter().map(customer).collect::<Vec<_>>(),
        "next_starting_after": p.next_starting_after.as_ref().map(|c| c.as_str()),
    })
}

pub fn customer_deleted(d: &CustomerDeleted) -> Value {
    json!({"id": d.id.as_str(), "customer_deleted": d.customer_deleted, "payment_methods_deleted": d.payment_methods_deleted})
}

fn network_token(t: &Option<NetworkTokenInfo>) -> Value {
    match t {
        None => Value::Null,
        Some(NetworkTokenInfo::Active(v)) => json!({
            "status": v.status.as_str(),
            "last4_digits": v.last4_digits,
            "expiry_month": v.expiry_month,
            "expiry_year": v.expiry_year,
            "token_ref": v.token_ref,
            "provisioned_at": time(v.provisioned_at),
        }),
        Some(NetworkTokenInfo::Missing { kind, reason, at }) => {
            json!({"status": "missing", "error_kind": kind.as_str(), "reason": reason, "at": time(*at)})
        }
    }
}

pub fn payment_method(p: &PaymentMethod) -> Value {
    let c = &p.card;
    json!({
        "payment_method_id": p.id.as_str(),
        "customer_id": p.customer_id.as_str(),
        "payment_method_type": "card",
        "payment_method_subtype": format!("{:?}", p.payment_method_subtype).to_lowercase(),
        "storage_type": format!("{:?}", p.storage_type).to_lowercase(),
        "recurring_enabled": p.recurring_enabled,
        "created": time(p.created),
        "modified_at": time(p.modified_at),
        "last_used_at": time(p.last_used_at),
        "expires_at": p.expires_at.map(time),
        "billing": address(&p.billing),
        "metadata": metadata(&p.metadata),
        "payment_method_data": {"card": {
            "last4_digits": c.last4_digits,
            "card_isin": c.card_isin,
            "expiry_month": format!("{:02}", c.expiry_month),
            "expiry_year": c.expiry_year.to_string(),
            "card_holder_name": secret(&c.card_holder_name),
            "nick_name": c.nick_name,
            "card_network": c.card_network.map(|n| n.as_str()),
            "card_issuer": c.card_issuer,
            "card_type": c.card_type,
            "issuer_country": c.issuer_country,
            "card_fingerprint": c.card_fingerprint,
            "saved_to_locker": c.saved_to_locker,
        }},
        "card_cvc_token_storage": {
            "is_stored": p.card_cvc_token_storage.is_stored,
            "expires_at": p.card_cvc_token_storage.expires_at.map(time),
        },
        "network_token": network_token(&p.network_token),
    })
}

pub fn payment_method_page(p: &PaymentMethodPage) -> Value {
    json!({
        "payment_methods": p.payment_methods.iter().map(payment_method).collect::<Vec<_>>(),
        "next_starting_after": p.next_starting_after.as_ref().map(|c| c.as_str()),
    })
}

/// The full card: only `pm reveal --yes-show-full-card` prints this.
pub fn revealed(r: &RevealedCard) -> Value {
    json!({
        "payment_method_id": r.payment_method_id.as_str(),
        "card_number": r.card_number.expose(),
        "expiry_month": format!("{:02}", r.expiry_month),
        "expiry_year": r.expiry_year.to_string(),
        "card_holder_name": secret(&r.card_holder_name),
        "card_network": r.card_network.map(|n| n.as_str()),
        "network_token": r.network_token.as_ref().map(|t| json!({
            "token_number": t.token_number.expose(),
            "expiry_month": t.expiry_month,
            "expiry_year": t.expiry_year,
            "token_ref": t.token_ref,
        })),
    })
}

pub fn audit_event(e: &AuditEvent) -> Value {
    json!({
        "seq": e.seq,
        "at": time(e.at),
        "actor": match &e.actor { AuditActor::Internal => "internal".to_owned(), AuditActor::ApiKey(k) => k.as_str().to_owned() },
        "action": e.action.as_str(),
        "object_id": e.object_id,
        "outcome": match &e.outcome { AuditOutcome::Success => "success".to_owned(), AuditOutcome::Failure { code } => code.clone() },
    })
}

fn profile_stats(s: &ProfileStats) -> Value {
    json!({
        "profile_id": s.profile_id.as_ref().map(|p| p.as_str()),
        "customers": s.customers,
        "redacted_customers": s.redacted_customers,
        "payment_methods": s.payment_methods,
        "stored_cvcs": s.stored_cvcs,
        "api_keys": s.api_keys,
        "audit_events": s.audit_events,
        "unreadable_records": s.unreadable_records,
        "sealed_values_by_key_version": s.sealed_values_by_key_version.iter().map(|(k, v)| (k.to_string(), *v)).collect::<std::collections::BTreeMap<_, _>>(),
    })
}

pub fn stats(s: &VaultStats) -> Value {
    json!({
        "profiles": s.profiles,
        "total": profile_stats(&s.total),
        "per_profile": s.per_profile.iter().map(profile_stats).collect::<Vec<_>>(),
    })
}

pub fn verify_report(r: &VerifyReport) -> Value {
    json!({
        "profiles": r.profiles,
        "records_checked": r.records_checked,
        "values_opened": r.values_opened,
        "index_entries_checked": r.index_entries_checked,
        "audit_events_checked": r.audit_events_checked,
        "problems": r.problems.iter().map(|p| json!({
            "profile_id": p.profile_id.as_str(), "kind": format!("{:?}", p.kind), "location": p.location, "detail": p.detail,
        })).collect::<Vec<_>>(),
    })
}

/// Prints to stdout. A failed write (a full disk, a closed pipe) is an error (exit 11):
/// output shown once, such as an API key's secret, must not be lost without a word.
pub fn print(value: &Value) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    print_line(format_args!("{text}"))
}

/// Writes one line to stdout (formatted straight into it: a secret in `line` leaves no
/// copy) and flushes it; a failure is `CliError::Io` (exit 11).
pub fn print_line(line: std::fmt::Arguments<'_>) -> Result<(), CliError> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").and_then(|()| out.flush()).map_err(|e| CliError::io("stdout", e))
}
