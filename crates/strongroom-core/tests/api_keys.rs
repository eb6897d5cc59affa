//! API keys and scopes: the scope matrix, authentication failures (audited), and secrets
//! that exist only in the caller's hands.

mod common;

use std::time::Duration;

use common::*;
use strongroom_core::{
    ApiKeyCreate, ApiKeyCreated, AuditAction, AuditActor, AuditOutcome, CustomerCreate, PageRequest,
    PaymentMethodCreate, PaymentMethodUpdate, ProfileScope, Result, Scope, Scopes, Vault,
};

fn key(vault: &Vault, scope: &ProfileScope, scopes: Scopes) -> String {
    let created = vault
        .create_api_key(scope.profile_id(), ApiKeyCreate { name: "test key".into(), scopes, expires_at: None })
        .unwrap();
    created.secret.expose().to_owned()
}

/// A key with every right, expiring `expires_in_secs` after the test's start.
fn created_key(vault: &Vault, scope: &ProfileScope, name: &str, expires_in_secs: Option<u64>) -> ApiKeyCreated {
    let expires_at = expires_in_secs.map(|s| start_time().saturating_add(Duration::from_secs(s)));
    vault
        .create_api_key(scope.profile_id(), ApiKeyCreate { name: name.into(), scopes: Scopes::ALL, expires_at })
        .unwrap()
}

type Operation = fn(&ProfileScope, &ProfileScope) -> Result<()>;

/// Every profile operation, the scope it needs, and how to run it (`trusted` prepares
/// fresh objects, `caller` is the API key's scope under test).
fn operations() -> Vec<(&'static str, Scope, Operation)> {
    vec![
        ("create customer", Scope::Write, |_, c| c.create_customer(CustomerCreate::default()).map(|_| ())),
        ("retrieve customer", Scope::Read, |t, c| c.retrieve_customer(&new_customer(t).id).map(|_| ())),
        ("update customer", Scope::Write, |t, c| {
            c.update_customer(&new_customer(t).id, Default::default()).map(|_| ())
        }),
        ("list customers", Scope::Read, |_, c| c.list_customers(&PageRequest::default()).map(|_| ())),
        ("delete customer", Scope::Write, |t, c| c.delete_customer(&new_customer(t).id).map(|_| ())),
        ("create payment method", Scope::Write, |t, c| {
            c.create_payment_method(PaymentMethodCreate::card(new_customer(t).id, card("4111111111111111"))).map(|_| ())
        }),
        ("retrieve payment method", Scope::Read, |t, c| {
            c.retrieve_payment_method(&save_card(t, &new_customer(t).id, "4111111111111111").id).map(|_| ())
        }),
        ("list payment methods", Scope::Read, |t, c| {
            c.list_payment_methods(&new_customer(t).id, &PageRequest::default()).map(|_| ())
        }),
        ("update payment method", Scope::Write, |t, c| {
            let pm = save_card(t, &new_customer(t).id, "4111111111111111");
            c.update_payment_method(&pm.id, PaymentMethodUpdate { nick_name: Some("n".into()), ..Default::default() })
                .map(|_| ())
        }),
        ("delete payment method", Scope::Write, |t, c| {
            c.delete_payment_method(&save_card(t, &new_customer(t).id, "4111111111111111").id).map(|_| ())
        }),
        ("reveal", Scope::Reveal, |t, c| {
            c.reveal_payment_method(&save_card(t, &new_customer(t).id, "4111111111111111").id).map(|_| ())
        }),
        ("take CVC", Scope::Reveal, |t, c| {
            c.take_cvc(&save_card(t, &new_customer(t).id, "4111111111111111").id).map(|_| ())
        }),
    ]
}

#[test]
fn scope_matrix() {
    let t = open();
    let mut checked = 0;
    for bits in 1u8..8 {
        let scopes = Scopes { read: bits & 1 != 0, write: bits & 2 != 0, reveal: bits & 4 != 0 };
        let caller = t.vault.authenticate(&key(&t.vault, &t.scope, scopes), t.scope.profile_id()).unwrap();
        assert_eq!(caller.scopes(), scopes);
        for (name, needed, run) in operations() {
            let result = run(&t.scope, &caller);
            if scopes.contains(needed) {
                assert!(result.is_ok(), "{name} with {:?}: {:?}", scopes.names(), result.err());
            } else {
                let err = result.expect_err(name);
                assert_eq!(err.code(), "IR_06", "{name} with {:?}", scopes.names());
                assert!(err.to_string().contains(needed.as_str()), "{err}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 7 * 12);
    // Refusals are in the audit chain, with the key as actor.
    let events = t.vault.list_audit(t.scope.profile_id(), 0, 1000).unwrap();
    let refused = events
        .iter()
        .filter(|e| {
            e.outcome == AuditOutcome::Failure { code: "IR_06".into() } && matches!(e.actor, AuditActor::ApiKey(_))
        })
        .count();
    assert_eq!(refused, 7 * 12 - (12 * 4), "every refused call is recorded (each op is allowed for 4 of 7 sets)");
}

#[test]
fn authentication_failures_are_unauthorized_and_audited() {
    let t = open();
    let other = create_profile(&t.vault, "pro_other");
    let good = key(&t.vault, &t.scope, Scopes::ALL);
    let others_key = key(&t.vault, &other, Scopes::ALL);
    let expiring = created_key(&t.vault, &t.scope, "short", Some(60));
    let revoked = created_key(&t.vault, &t.scope, "old", None);
    t.vault.revoke_api_key(t.scope.profile_id(), &revoked.key.id).unwrap();
    assert!(t.vault.authenticate(expiring.secret.expose(), t.scope.profile_id()).is_ok());
    t.clock.advance(Duration::from_secs(61));

    let mut wrong_secret = good.clone();
    let last = wrong_secret.pop().unwrap();
    wrong_secret.push(if last == '0' { '1' } else { '0' });
    let attempts = [
        ("wrong secret", wrong_secret),
        ("another profile's key", others_key.clone()),
        ("revoked", revoked.secret.expose().to_owned()),
        ("expired", expiring.secret.expose().to_owned()),
        ("malformed", "not-a-key".to_owned()),
        ("empty", String::new()),
        ("card number", "4111111111111111".to_owned()),
    ];
    for (name, api_key) in &attempts {
        let err = t.vault.authenticate(api_key, t.scope.profile_id()).expect_err(name);
        assert_eq!(err.code(), "IR_01", "{name}");
        assert!(!err.to_string().contains(api_key.as_str()) || api_key.is_empty(), "{name}: the key is not echoed");
    }
    assert!(t.vault.authenticate(&good, t.scope.profile_id()).is_ok());
    assert!(t.vault.authenticate(&others_key, other.profile_id()).is_ok(), "the other key works in its own profile");
    assert_eq!(
        t.vault.authenticate(&good, &profile_id("pro_missing")).unwrap_err().code(),
        "IR_01",
        "an unknown profile is not distinguishable"
    );

    let failures: Vec<_> = t
        .vault
        .list_audit(t.scope.profile_id(), 0, 1000)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == AuditAction::AuthenticationFailed)
        .collect();
    assert_eq!(failures.len(), attempts.len());
    assert!(failures.iter().all(|e| e.outcome == AuditOutcome::Failure { code: "IR_01".into() }));
    assert_eq!(failures[2].object_id.as_deref(), Some(revoked.key.id.as_str()), "the key id is recorded");
    assert!(t.vault.verify_audit(t.scope.profile_id()).unwrap().is_intact());
}

#[test]
fn keys_are_listed_without_secrets_and_never_stored() {
    let mut t = open();
    let created = t
        .vault
        .create_api_key(
            t.scope.profile_id(),
            ApiKeyCreate { name: "checkout".into(), scopes: Scopes { read: true, ..Scopes::NONE }, expires_at: None },
        )
        .unwrap();
    let secret = created.secret.expose().to_owned();
    assert!(secret.starts_with("key_") && secret.len() == 36 + 1 + 64);
    assert_eq!(format!("{:?}", created.secret), format!("ApiKeySecret({}.***)", created.key.id));
    let listed = t.vault.list_api_keys(t.scope.profile_id()).unwrap();
    assert_eq!(listed, vec![created.key.clone()]);
    assert!(!format!("{listed:?}").contains(&secret[37..]));

    let revoked = t.vault.revoke_api_key(t.scope.profile_id(), &created.key.id).unwrap();
    assert!(revoked.revoked_at.is_some());
    assert_eq!(t.vault.revoke_api_key(t.scope.profile_id(), &created.key.id).unwrap(), revoked, "idempotent");

    for (name, request) in [
        ("no scopes", ApiKeyCreate { name: "x".into(), scopes: Scopes::NONE, expires_at: None }),
        ("blank name", ApiKeyCreate { name: " ".into(), scopes: Scopes::ALL, expires_at: None }),
        ("past expiry", ApiKeyCreate { name: "x".into(), scopes: Scopes::ALL, expires_at: Some(start_time()) }),
        (
            "the year 10000",
            ApiKeyCreate {
                name: "x".into(),
                scopes: Scopes::ALL,
                expires_at: Some(strongroom_core::Timestamp::from_millis(253_402_300_800_000)),
            },
        ),
    ] {
        assert_eq!(t.vault.create_api_key(t.scope.profile_id(), request).unwrap_err().code(), "IR_05", "{name}");
    }

    t.vault.close();
    let secret_part = &secret[37..];
    for (path, bytes) in all_files(t.path()) {
        assert!(!contains(&bytes, secret_part.as_bytes()), "the secret is in {}", path.display());
    }
    t.reopen();
}

#[test]
fn audit_records_the_caller() {
    let t = open();
    let writer = t.vault.authenticate(&key(&t.vault, &t.scope, Scopes::ALL), t.scope.profile_id()).unwrap();
    let customer = writer.create_customer(CustomerCreate::default()).unwrap();
    let events = t.vault.list_audit(t.scope.profile_id(), 0, 100).unwrap();
    let last = events.last().unwrap();
    assert_eq!(last.action, AuditAction::CustomerCreated);
    assert_eq!(last.object_id.as_deref(), Some(customer.id.as_str()));
    assert_eq!(&last.actor, writer.actor());
}

/// A scope made from a key lives no longer than the key: revoking it, its expiry, or
/// destroying its profile refuses the scope's next operation (`IR_01`, audited, nothing
/// written), whatever it had authenticated earlier. Other keys' scopes are unaffected.
#[test]
fn a_scope_ends_with_its_key() {
    let t = open();
    let customer = new_customer(&t.scope);
    let pm = save_card(&t.scope, &customer.id, "4111111111111111");
    let revoked = created_key(&t.vault, &t.scope, "leaked", None);
    let kept = key(&t.vault, &t.scope, Scopes::ALL);
    let expiring = created_key(&t.vault, &t.scope, "short", Some(60));
    let leaked = t.vault.authenticate(revoked.secret.expose(), t.scope.profile_id()).unwrap();
    let live = t.vault.authenticate(&kept, t.scope.profile_id()).unwrap();
    let short = t.vault.authenticate(expiring.secret.expose(), t.scope.profile_id()).unwrap();
    for scope in [&leaked, &live, &short] {
        assert!(scope.reveal_payment_method(&pm.id).is_ok());
    }

    t.vault.revoke_api_key(t.scope.profile_id(), &revoked.key.id).unwrap();
    let before = t.vault.list_audit(t.scope.profile_id(), 0, 1000).unwrap().len();
    let refused: [(&str, Result<()>); 4] = [
        ("reveal", leaked.reveal_payment_method(&pm.id).map(|_| ())),
        ("retrieve", leaked.retrieve_payment_method(&pm.id).map(|_| ())),
        ("create customer", leaked.create_customer(CustomerCreate::default()).map(|_| ())),
        ("delete", leaked.delete_payment_method(&pm.id).map(|_| ())),
    ];
    for (name, result) in refused {
        let err = result.expect_err(name);
        assert_eq!(err.code(), "IR_01", "{name}");
        assert!(err.to_string().contains("revoked"), "{name}: {err}");
    }
    let events = t.vault.list_audit(t.scope.profile_id(), 0, 1000).unwrap();
    assert_eq!(events.len(), before + 4, "each refusal is recorded, nothing else is written");
    assert!(events[before..].iter().all(|e| e.actor == AuditActor::ApiKey(revoked.key.id.clone())
        && e.outcome == AuditOutcome::Failure { code: "IR_01".into() }));
    assert_eq!(t.scope.list_customers(&PageRequest::default()).unwrap().customers.len(), 1, "no customer was made");
    assert!(t.scope.retrieve_payment_method(&pm.id).is_ok(), "the card was not deleted");
    assert!(live.reveal_payment_method(&pm.id).is_ok(), "another key's scope still works");
    assert!(short.reveal_payment_method(&pm.id).is_ok());

    t.clock.advance(Duration::from_secs(61));
    let err = short.retrieve_payment_method(&pm.id).unwrap_err();
    assert_eq!((err.code(), err.to_string().contains("expired")), ("IR_01", true), "{err}");
    assert!(live.retrieve_payment_method(&pm.id).is_ok());

    // The profile destroyed, and another merchant's profile made under the same id.
    t.vault.destroy_profile(t.scope.profile_id()).unwrap();
    assert_eq!(live.retrieve_customer(&customer.id).unwrap_err().code(), "IR_01");
    let again = create_profile(&t.vault, t.scope.profile_id().as_str());
    let theirs = new_customer(&again);
    for result in
        [live.retrieve_customer(&theirs.id).map(|_| ()), live.create_customer(CustomerCreate::default()).map(|_| ())]
    {
        assert_eq!(result.unwrap_err().code(), "IR_01", "an old key's scope does not reach the new profile");
    }
    assert_eq!(again.list_customers(&PageRequest::default()).unwrap().customers.len(), 1);
}

/// A key's scope does not reach a profile made again under its profile's id, even when
/// neither profile ever revoked a key (so that no revocation count tells them apart).
#[test]
fn a_scope_does_not_reach_a_profile_made_again_under_its_id() {
    let t = open();
    let first = create_profile(&t.vault, "pro_reborn");
    let scope = t.vault.authenticate(&key(&t.vault, &first, Scopes::ALL), first.profile_id()).unwrap();
    assert!(scope.list_customers(&PageRequest::default()).is_ok());
    t.vault.destroy_profile(first.profile_id()).unwrap();
    let again = create_profile(&t.vault, "pro_reborn");
    let theirs = new_customer(&again);
    assert_eq!(scope.retrieve_customer(&theirs.id).unwrap_err().code(), "IR_01");
    assert_eq!(scope.list_customers(&PageRequest::default()).unwrap_err().code(), "IR_01");
}

/// Rewrites API key `api_key`'s record of `pro_test` in the closed vault at `path` as `edit`
/// says, its checksum computed again.
fn edit_key_record(path: &std::path::Path, api_key: &str, edit: strongroom_core::internals::ApiKeyEdit) {
    let db = raw_db(path);
    let cf = db.cf_handle("api_keys").unwrap();
    let id = api_key.split_once('.').unwrap().0;
    let key = [b"pro_test\0".as_slice(), id.as_bytes()].concat();
    let stored = db.get_cf(cf, &key).unwrap().unwrap();
    db.put_cf(cf, &key, strongroom_core::internals::edit_api_key_record(&stored, edit).unwrap()).unwrap();
}

fn assert_unauthorized(result: Result<ProfileScope>) {
    let err = result.map(|_| ()).unwrap_err();
    assert_eq!(err.code(), "IR_01", "{err}");
}

/// A key's scopes, expiry and revocation are in clear under a checksum anyone can compute
/// again; its digest binds them. A read key given every right in the files, an expiring
/// key made permanent and a revoked key made live again no longer authenticate.
#[test]
fn an_api_key_edited_in_the_files_no_longer_authenticates() {
    use strongroom_core::internals::ApiKeyEdit;
    let mut t = open();
    let read_only = key(&t.vault, &t.scope, Scopes { read: true, write: false, reveal: false });
    let expiring = created_key(&t.vault, &t.scope, "expiring", Some(3600)).secret.expose().to_owned();
    let revoked = created_key(&t.vault, &t.scope, "revoked", None);
    t.vault.revoke_api_key(t.scope.profile_id(), &revoked.key.id).unwrap();
    let revoked = revoked.secret.expose().to_owned();
    // Only the key's holder is told that it was revoked; a wrong secret is just wrong.
    let told = |key: &str| t.vault.authenticate(key, t.scope.profile_id()).map(|_| ()).unwrap_err().to_string();
    assert!(told(&revoked).contains("revoked"), "{}", told(&revoked));
    let wrong_secret = format!("{}.{}", revoked.split_once('.').unwrap().0, "0".repeat(64));
    assert!(told(&wrong_secret).contains("invalid API key"), "{}", told(&wrong_secret));
    let untouched = key(&t.vault, &t.scope, Scopes { read: true, write: false, reveal: false });
    t.vault.close();
    edit_key_record(t.path(), &read_only, ApiKeyEdit::AllScopes);
    edit_key_record(t.path(), &expiring, ApiKeyEdit::NoExpiry);
    edit_key_record(t.path(), &revoked, ApiKeyEdit::NotRevoked);
    t.reopen();
    let profile = t.scope.profile_id().clone();
    for edited in [&read_only, &expiring, &revoked] {
        assert_unauthorized(t.vault.authenticate(edited, &profile));
    }
    let scope = t.vault.authenticate(&untouched, &profile).unwrap();
    assert_eq!(scope.scopes(), Scopes { read: true, write: false, reveal: false });
}

/// A key stored as builds before bound digests stored it (an HMAC of the secret alone)
/// still authenticates, and its digest is bound then: edited afterwards, it is refused.
#[test]
fn an_unbound_key_digest_is_bound_at_its_next_authentication() {
    let mut t = open();
    let read_only = key(&t.vault, &t.scope, Scopes { read: true, write: false, reveal: false });
    let profile = t.scope.profile_id().clone();
    strongroom_core::internals::store_unbound_api_key_digest(&t.vault, &profile, &read_only).unwrap();
    assert!(!t.vault.authenticate(&read_only, &profile).unwrap().scopes().reveal);
    t.vault.close();
    edit_key_record(t.path(), &read_only, strongroom_core::internals::ApiKeyEdit::AllScopes);
    t.reopen();
    assert_unauthorized(t.vault.authenticate(&read_only, &profile));
}
