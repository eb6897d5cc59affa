//! The seal contexts of every sealed field: where each value belongs.

use crate::crypto::SealContext;

pub(crate) fn customer_pii<'a>(profile: &'a str, customer: &'a str) -> SealContext<'a> {
    SealContext { profile_id: profile, record_kind: "customer", record_id: customer, field: "pii", bound: &[] }
}

pub(crate) fn card_details<'a>(profile: &'a str, pm: &'a str) -> SealContext<'a> {
    SealContext { profile_id: profile, record_kind: "payment_method", record_id: pm, field: "details", bound: &[] }
}

pub(crate) fn card_number<'a>(profile: &'a str, pm: &'a str) -> SealContext<'a> {
    SealContext { profile_id: profile, record_kind: "payment_method", record_id: pm, field: "pan", bound: &[] }
}

pub(crate) fn network_token_number<'a>(profile: &'a str, pm: &'a str) -> SealContext<'a> {
    SealContext {
        profile_id: profile,
        record_kind: "payment_method",
        record_id: pm,
        field: "network_token",
        bound: &[],
    }
}

pub(crate) fn cvc<'a>(profile: &'a str, pm: &'a str) -> SealContext<'a> {
    SealContext { profile_id: profile, record_kind: "cvc", record_id: pm, field: "cvc", bound: &[] }
}

pub(crate) fn audit_event<'a>(profile: &'a str, seq: &'a str) -> SealContext<'a> {
    SealContext { profile_id: profile, record_kind: "audit", record_id: seq, field: "event", bound: &[] }
}

pub(crate) fn audit_head(profile: &str) -> SealContext<'_> {
    SealContext { profile_id: profile, record_kind: "audit", record_id: "head", field: "head", bound: &[] }
}

pub(crate) fn api_key_hmac_key(profile: &str) -> SealContext<'_> {
    SealContext {
        profile_id: profile,
        record_kind: "profile",
        record_id: profile,
        field: "api_key_hmac_key",
        bound: &[],
    }
}
