//! Network tokens through the public API, with the built-in simulator and with a custom
//! provider that misbehaves.

mod common;

use std::sync::Arc;

use common::*;
use strongroom_core::internals::ClearFieldEdit;
use strongroom_core::{
    ApiKeyCreate, CryptogramRequest, ManualClock, NetworkCryptogram, NetworkToken, NetworkTokenInfo,
    NetworkTokenProvider, NetworkTokenStatus, PageRequest, PaymentMethod, PaymentMethodCreate, ProfileId,
    ProviderError, ProviderErrorKind, ProvisionRequest, ReencryptOptions, Scopes, SimulatedNetworkTokenProvider,
    SimulatorFaults, Vault,
};

struct Tokenized {
    t: TestVault,
    sim: Arc<SimulatedNetworkTokenProvider>,
}

fn open_with(provider: Arc<dyn NetworkTokenProvider>) -> TestVault {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(start_time()));
    let mut opts = options(&clock);
    opts.network_token_provider = Some(provider);
    let vault = Vault::open(dir.path(), opts).unwrap();
    let scope = create_profile(&vault, "pro_test");
    TestVault { dir, clock, vault, scope }
}

/// The vault at `path` opened again with `sim` as its provider (after raw edits).
fn reopen_with(path: &std::path::Path, clock: &Arc<ManualClock>, sim: &Arc<SimulatedNetworkTokenProvider>) -> Vault {
    let mut opts = options(clock);
    opts.network_token_provider = Some(sim.clone());
    Vault::open(path, opts).unwrap()
}

fn tokenized() -> Tokenized {
    let sim = Arc::new(SimulatedNetworkTokenProvider::new([3; 32]));
    Tokenized { t: open_with(sim.clone()), sim }
}

fn save_tokenized(t: &TestVault, customer: &strongroom_core::CustomerId, number: &str) -> PaymentMethod {
    let mut request = PaymentMethodCreate::card(customer.clone(), card(number));
    request.network_tokenization = true;
    t.scope.create_payment_method(request).unwrap().payment_method
}

fn active(pm: &PaymentMethod) -> &strongroom_core::NetworkTokenView {
    match &pm.network_token {
        Some(NetworkTokenInfo::Active(view)) => view,
        other => panic!("expected an active token, got {other:?}"),
    }
}

fn eur(amount: u64) -> CryptogramRequest {
    CryptogramRequest { amount_minor: amount, currency: "EUR".into() }
}

#[test]
fn create_provisions_a_token_from_the_networks_test_range() {
    let Tokenized { t, .. } = tokenized();
    let customer = new_customer(&t.scope);
    let pm = save_tokenized(&t, &customer.id, "4111111111111111");
    let view = active(&pm);
    assert_eq!(view.status, NetworkTokenStatus::Active);
    assert_eq!(view.card_network, Some(strongroom_core::CardNetwork::Visa));
    assert!(view.token_ref.starts_with("ntr_"));
    let revealed = t.scope.reveal_payment_method(&pm.id).unwrap();
    let token = revealed.network_token.expect("revealed with the card");
    let digits = token.token_number.expose();
    assert!(digits.starts_with("489537") && digits.len() == 16, "{digits}");
    assert!(strongroom_core::card::luhn::is_valid(digits));
    assert_ne!(digits, "4111111111111111");
    assert_eq!(&digits[12..], view.last4_digits);
    assert!(token.expiry_year >= 2029);
    // Retrieve and list show the same masked view.
    assert_eq!(t.scope.retrieve_payment_method(&pm.id).unwrap().network_token, pm.network_token);
    let listed = t.scope.list_payment_methods(&customer.id, &PageRequest::first(10)).unwrap();
    assert_eq!(listed.payment_methods[0].network_token, pm.network_token);
    // Amex gets a 15-digit token from its own range; cards without tokenization get none.
    let amex = save_tokenized(&t, &customer.id, "378282246310005");
    let amex_token = t.scope.reveal_payment_method(&amex.id).unwrap().network_token.unwrap();
    assert!(amex_token.token_number.expose().starts_with("374245") && amex_token.token_number.expose().len() == 15);
    assert_eq!(save_card(&t.scope, &customer.id, "5555555555554444").network_token, None);
}

#[test]
fn tokens_are_deterministic_per_card_and_profile() {
    let Tokenized { t, sim } = tokenized();
    let a = new_customer(&t.scope);
    let b = new_customer(&t.scope);
    let number = "5555555555554444";
    let first = t.scope.reveal_payment_method(&save_tokenized(&t, &a.id, number).id).unwrap();
    let second = t.scope.reveal_payment_method(&save_tokenized(&t, &b.id, number).id).unwrap();
    let (x, y) = (first.network_token.unwrap(), second.network_token.unwrap());
    assert_eq!(x.token_number.expose(), y.token_number.expose());
    assert_ne!(x.token_ref, y.token_ref, "each payment method has its own reference: deleting one keeps the other");
    assert!(x.token_number.expose().starts_with("520474"));
    let other = create_profile(&t.vault, "pro_other");
    let c = new_customer(&other);
    let mut request = PaymentMethodCreate::card(c.id.clone(), card(number));
    request.network_tokenization = true;
    let theirs = other.create_payment_method(request).unwrap().payment_method;
    let z = other.reveal_payment_method(&theirs.id).unwrap().network_token.unwrap();
    assert_ne!(z.token_number.expose(), x.token_number.expose());
    assert!(sim.calls() >= 3);
}

#[test]
fn a_provider_failure_never_fails_the_create_and_can_be_retried() {
    let Tokenized { t, sim } = tokenized();
    let customer = new_customer(&t.scope);
    sim.set_faults(SimulatorFaults { fail_next: 1, ..Default::default() });
    let pm = save_tokenized(&t, &customer.id, "4111111111111111");
    match &pm.network_token {
        Some(NetworkTokenInfo::Missing { kind, reason, .. }) => {
            assert_eq!(*kind, ProviderErrorKind::Unavailable);
            assert!(reason.contains("unavailable"));
        }
        other => panic!("expected a missing token, got {other:?}"),
    }
    // The card is saved and usable.
    assert_eq!(t.scope.reveal_payment_method(&pm.id).unwrap().card_number.expose(), "4111111111111111");
    assert!(t.scope.reveal_payment_method(&pm.id).unwrap().network_token.is_none());
    let failed = t.vault.list_audit(&profile_id("pro_test"), 0, 100).unwrap();
    assert!(failed.iter().any(|e| e.action.as_str() == "network_token_provisioned"
        && matches!(&e.outcome, strongroom_core::AuditOutcome::Failure { code } if code == "NT_01")));
    // A failed retry is NT_01 and still changes nothing else.
    sim.set_faults(SimulatorFaults { fail_next: 1, ..Default::default() });
    let e = t.scope.provision_network_token(&pm.id).unwrap_err();
    assert_eq!((e.code(), e.field()), ("NT_01", None));
    // Later provisioning works, and a second call is a no-op.
    let fixed = t.scope.provision_network_token(&pm.id).unwrap();
    let view = active(&fixed).clone();
    let calls = sim.calls();
    assert_eq!(active(&t.scope.provision_network_token(&pm.id).unwrap()), &view);
    assert_eq!(sim.calls(), calls, "an existing token is not provisioned again");
    // Creating the same card again with tokenization keeps the token.
    let again = save_tokenized(&t, &customer.id, "4111111111111111");
    assert_eq!(again.id, pm.id);
    assert_eq!(active(&again), &view);
}

#[test]
fn without_a_provider_tokenization_is_a_typed_error_and_writes_nothing() {
    let t = open();
    let customer = new_customer(&t.scope);
    let before = t.vault.stats().unwrap().total.payment_methods;
    let mut request = PaymentMethodCreate::card(customer.id.clone(), card("4111111111111111"));
    request.network_tokenization = true;
    let e = t.scope.create_payment_method(request).unwrap_err();
    assert_eq!((e.code(), e.field()), ("IR_05", Some("network_tokenization")));
    assert_eq!(t.vault.stats().unwrap().total.payment_methods, before);
    let pm = save_card(&t.scope, &customer.id, "4111111111111111");
    assert_eq!(t.scope.provision_network_token(&pm.id).unwrap_err().field(), Some("network_tokenization"));
}

#[test]
fn masked_views_never_hold_the_token_number() {
    let Tokenized { t, .. } = tokenized();
    let customer = new_customer(&t.scope);
    let pm = save_tokenized(&t, &customer.id, "6011111111111117");
    let token = t.scope.reveal_payment_method(&pm.id).unwrap().network_token.unwrap();
    let number = token.token_number.expose().to_owned();
    let views = [
        format!("{pm:?}"),
        format!("{:?}", t.scope.retrieve_payment_method(&pm.id).unwrap()),
        format!("{:?}", t.scope.list_payment_methods(&customer.id, &PageRequest::first(10)).unwrap()),
        format!("{token:?}"),
    ];
    for view in views {
        assert!(!view.contains(&number) && !view.contains(&number[..12]), "{view}");
    }
}

#[test]
fn cryptograms_need_the_reveal_right_are_audited_and_checked() {
    let Tokenized { t, .. } = tokenized();
    let customer = new_customer(&t.scope);
    let visa = save_tokenized(&t, &customer.id, "4111111111111111");
    let mc = save_tokenized(&t, &customer.id, "5555555555554444");
    let NetworkCryptogram { cryptogram, eci } = t.scope.network_cryptogram(&visa.id, &eur(1999)).unwrap();
    assert_eq!(cryptogram.expose().len(), 40);
    assert_eq!(eci, "05");
    assert_eq!(t.scope.network_cryptogram(&mc.id, &eur(1)).unwrap().eci, "02");
    let next = t.scope.network_cryptogram(&visa.id, &eur(1999)).unwrap();
    assert_ne!(next.cryptogram.expose(), cryptogram.expose(), "cryptograms are one-time");
    let events = t.vault.list_audit(&profile_id("pro_test"), 0, 1000).unwrap();
    assert_eq!(events.iter().filter(|e| e.action.as_str() == "network_cryptogram_issued").count(), 3);

    for (request, field) in
        [(eur(0), "amount_minor"), (CryptogramRequest { amount_minor: 5, currency: "eur".into() }, "currency")]
    {
        let e = t.scope.network_cryptogram(&visa.id, &request).unwrap_err();
        assert_eq!((e.code(), e.field()), ("IR_05", Some(field)));
    }
    let plain = save_card(&t.scope, &customer.id, "378282246310005");
    let e = t.scope.network_cryptogram(&plain.id, &eur(10)).unwrap_err();
    assert_eq!((e.code(), e.field()), ("HE_02", Some("network_token")));

    let key = t
        .vault
        .create_api_key(
            &profile_id("pro_test"),
            ApiKeyCreate {
                name: "reader".into(),
                scopes: Scopes { read: true, write: false, reveal: false },
                expires_at: None,
            },
        )
        .unwrap();
    let reader = t.vault.authenticate(key.secret.expose(), &profile_id("pro_test")).unwrap();
    assert_eq!(reader.network_cryptogram(&visa.id, &eur(10)).unwrap_err().code(), "IR_06");
}

#[test]
fn deleting_a_payment_method_deletes_its_token_at_the_provider_best_effort() {
    let Tokenized { t, sim } = tokenized();
    let customer = new_customer(&t.scope);
    let first = save_tokenized(&t, &customer.id, "4111111111111111");
    let second = save_tokenized(&t, &customer.id, "5555555555554444");
    t.scope.delete_payment_method(&first.id).unwrap();
    assert_eq!(sim.deleted(), vec![active(&first).token_ref.clone()]);
    // The provider is down: the delete still succeeds, the failure is in the audit chain.
    sim.set_faults(SimulatorFaults { fail_next: 1, ..Default::default() });
    t.scope.delete_payment_method(&second.id).unwrap();
    assert_eq!(sim.deleted().len(), 1);
    let events = t.vault.list_audit(&profile_id("pro_test"), 0, 1000).unwrap();
    let deletions: Vec<_> = events.iter().filter(|e| e.action.as_str() == "network_token_deleted").collect();
    assert_eq!(deletions.len(), 2);
    assert!(matches!(&deletions[1].outcome, strongroom_core::AuditOutcome::Failure { code } if code == "NT_01"));
    // Deleting a customer deletes its cards' tokens too.
    let other = new_customer(&t.scope);
    let third = save_tokenized(&t, &other.id, "6011111111111117");
    t.scope.delete_customer(&other.id).unwrap();
    assert!(sim.deleted().contains(&active(&third).token_ref));
}

/// A card that leaves the vault without a delete (a volatile card expiring, read late,
/// swept, or replaced by a new copy; its profile destroyed) has its token deleted at the
/// provider too: none is left live there with nothing pointing to it.
#[test]
fn expired_and_destroyed_cards_delete_their_tokens_at_the_provider() {
    let Tokenized { t, sim } = tokenized();
    let customer = new_customer(&t.scope);
    let volatile = |number: &str| {
        let mut request = PaymentMethodCreate::card(customer.id.clone(), card(number));
        request.network_tokenization = true;
        request.storage_type = strongroom_core::StorageType::Volatile;
        t.scope.create_payment_method(request).unwrap().payment_method
    };
    let swept = volatile("4111111111111111");
    let read_late = volatile("5555555555554444");
    let replaced = volatile("6011111111111117");
    let kept = save_tokenized(&t, &customer.id, "4242424242424242");
    t.clock.advance(std::time::Duration::from_secs(24 * 3600 + 1));

    assert_eq!(t.scope.retrieve_payment_method(&read_late.id).unwrap_err().code(), "HE_02");
    assert_eq!(sim.deleted(), vec![active(&read_late).token_ref.clone()], "expired on read");
    let again = save_tokenized(&t, &customer.id, "6011111111111117");
    assert_ne!(again.id, replaced.id);
    assert!(sim.deleted().contains(&active(&replaced).token_ref), "expired by a new copy");
    assert_eq!(t.vault.purge_expired().unwrap().payment_methods, 1);
    assert!(sim.deleted().contains(&active(&swept).token_ref), "swept");
    assert_eq!(sim.deleted().len(), 3);
    let events = t.vault.list_audit(&profile_id("pro_test"), 0, 1000).unwrap();
    let deletions = events.iter().filter(|e| e.action.as_str() == "network_token_deleted").count();
    assert_eq!(deletions, 3, "each recorded");

    t.vault.destroy_profile(&profile_id("pro_test")).unwrap();
    let deleted = sim.deleted();
    assert_eq!(deleted.len(), 5, "the profile's two live cards: {deleted:?}");
    assert!(deleted.contains(&active(&kept).token_ref) && deleted.contains(&active(&again).token_ref));
}

#[test]
fn eight_threads_create_tokenized_cards() {
    let Tokenized { t, .. } = tokenized();
    let customers: Vec<_> = (0..8).map(|_| new_customer(&t.scope)).collect();
    let results: Vec<Vec<(PaymentMethod, String)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8u64)
            .map(|thread| {
                let (t, customer) = (&t, &customers[thread as usize]);
                s.spawn(move || {
                    (0..25u64)
                        .map(|i| {
                            let number = visa(thread * 1000 + i);
                            (save_tokenized(t, &customer.id, &number), number)
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut tokens = std::collections::HashSet::new();
    for (pm, number) in results.into_iter().flatten() {
        active(&pm);
        let revealed = t.scope.reveal_payment_method(&pm.id).unwrap();
        assert_eq!(revealed.card_number.expose(), number);
        assert!(tokens.insert(revealed.network_token.unwrap().token_number.expose().to_owned()));
    }
    assert_eq!(tokens.len(), 200);
    assert!(t.vault.verify(&mut |_| {}).unwrap().problems.is_empty());
}

#[test]
fn reencryption_and_verify_cover_token_numbers_and_no_token_is_on_disk() {
    let Tokenized { mut t, .. } = tokenized();
    let customer = new_customer(&t.scope);
    let pms: Vec<_> = (0..50).map(|i| save_tokenized(&t, &customer.id, &visa(500 + i))).collect();
    let tokens: Vec<String> = pms
        .iter()
        .map(|pm| {
            t.scope.reveal_payment_method(&pm.id).unwrap().network_token.unwrap().token_number.expose().to_owned()
        })
        .collect();
    let profile = ProfileId::parse("pro_test").unwrap();
    t.vault.rotate_profile_key(&profile).unwrap();
    let report = t
        .vault
        .reencrypt_profile(&profile, ReencryptOptions::default(), &mut |_| std::ops::ControlFlow::Continue(()))
        .unwrap();
    assert!(report.complete && report.reencrypted >= 50, "{report:?}");
    let stats = t.vault.stats().unwrap();
    let versions: Vec<_> = stats.total.sealed_values_by_key_version.keys().copied().collect();
    assert_eq!(versions, vec![2], "every sealed value, token numbers included, moved to version 2");
    let report = t.vault.verify(&mut |_| {}).unwrap();
    assert!(report.problems.is_empty());
    assert!(report.values_opened >= 150, "details, number and token of each card");
    for (pm, token) in pms.iter().zip(&tokens) {
        let revealed = t.scope.reveal_payment_method(&pm.id).unwrap();
        assert_eq!(revealed.network_token.unwrap().token_number.expose(), token);
    }
    t.reopen();
    t.vault.close();
    let files = all_files(t.path());
    for token in &tokens {
        for (path, bytes) in &files {
            assert!(!contains(bytes, token.as_bytes()), "a token number in {}", path.display());
            assert!(!contains(bytes, &token.as_bytes()[..12]), "12 token digits in {}", path.display());
        }
    }
}

/// A provider that echoes the card number in its errors and returns junk tokens.
#[derive(Debug)]
struct Careless;

impl NetworkTokenProvider for Careless {
    fn provision(&self, request: &ProvisionRequest<'_>) -> Result<NetworkToken, ProviderError> {
        let number = request.card_number.expose();
        if number.starts_with('5') {
            return Err(ProviderError::new(ProviderErrorKind::Declined, format!("card {number} not eligible")));
        }
        let dotted: Vec<&str> = (0..number.len()).step_by(4).map(|i| &number[i..(i + 4).min(number.len())]).collect();
        let token_number = "4111111111111111";
        let token_ref = match number {
            // Built without `ProviderError::new`, which cleans the reason: the fields are public.
            "4012888888881881" => {
                return Err(ProviderError {
                    kind: ProviderErrorKind::Declined,
                    reason: format!("pan {} declined", dotted.join(".")),
                });
            }
            // A reference that is the card number, or holds the token's.
            "4242424242424242" => number.to_owned(),
            "4000056655665556" => format!("ref-{token_number}"),
            // A well-formed reference, with an expiry month 13 or one already over.
            "6011111111111117" | "378282246310005" => format!("ref-{}", request.payment_method_id),
            _ => "bad ref with spaces".into(),
        };
        let (expiry_month, expiry_year) = match number {
            "6011111111111117" => (13, 2030),
            "378282246310005" => (1, 2020),
            _ => (1, 2030),
        };
        Ok(NetworkToken {
            token_number: strongroom_core::card::number::parse(token_number).unwrap().0,
            expiry_month,
            expiry_year,
            token_ref,
            status: NetworkTokenStatus::Active,
        })
    }
    fn status(&self, _: &str) -> Result<NetworkTokenStatus, ProviderError> {
        Err(ProviderError::new(ProviderErrorKind::Failed, "no"))
    }
    fn delete(&self, _: &str) -> Result<(), ProviderError> {
        Ok(())
    }
    fn cryptogram(&self, _: &str, _: &CryptogramRequest) -> Result<NetworkCryptogram, ProviderError> {
        Err(ProviderError::new(ProviderErrorKind::Failed, "no"))
    }
}

#[test]
fn a_careless_provider_leaks_nothing_and_cannot_store_junk() {
    let t = open_with(Arc::new(Careless));
    let customer = new_customer(&t.scope);
    let declined = save_tokenized(&t, &customer.id, "5555555555554444");
    match &declined.network_token {
        Some(NetworkTokenInfo::Missing { kind, reason, .. }) => {
            assert_eq!(*kind, ProviderErrorKind::Declined);
            assert!(!reason.contains("5555555555554444") && !reason.contains("555555"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let junk = save_tokenized(&t, &customer.id, "4111111111111111");
    assert!(matches!(&junk.network_token, Some(NetworkTokenInfo::Missing { kind: ProviderErrorKind::Failed, .. })));
    let e = t.scope.provision_network_token(&declined.id).unwrap_err();
    assert!(!format!("{e} {e:?}").contains("5555555555554444"));

    for number in ["4242424242424242", "4000056655665556", "6011111111111117", "378282246310005"] {
        let holding = save_tokenized(&t, &customer.id, number);
        match &holding.network_token {
            Some(NetworkTokenInfo::Missing { kind: ProviderErrorKind::Failed, reason, .. }) => {
                assert_eq!(reason, "the provider returned a malformed token", "{number}");
            }
            other => panic!("{number}: a reference holding a number is stored: {other:?}"),
        }
    }
    let unclean = save_tokenized(&t, &customer.id, "4012888888881881");
    match &unclean.network_token {
        Some(NetworkTokenInfo::Missing { reason, .. }) => assert_eq!(reason, "pan [digits removed] declined"),
        other => panic!("{other:?}"),
    }
    let e = t.scope.provision_network_token(&unclean.id).unwrap_err();
    assert!(!format!("{e} {e:?}").contains("1881"), "{e:?}");
    t.vault.close();
    for (path, bytes) in all_files(t.path()) {
        for number in ["4242424242424242", "4111111111111111", "4012888888881881", "4012.8888"] {
            assert!(!contains(&bytes, number.as_bytes()), "{number} in {}", path.display());
        }
    }
}

type Hook = std::sync::Mutex<Option<Box<dyn FnOnce() + Send>>>;

/// The simulator, with something run during the next provision, and during the next
/// delete (while the vault waits outside its locks); it records every reference it is
/// asked to delete (the simulator's own list has only those it knew).
struct DuringProvision {
    sim: SimulatedNetworkTokenProvider,
    hook: Hook,
    on_delete: Hook,
    on_cryptogram: Hook,
    asked_to_delete: std::sync::Mutex<Vec<String>>,
}

impl DuringProvision {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            sim: SimulatedNetworkTokenProvider::new([5; 32]),
            hook: Hook::default(),
            on_delete: Hook::default(),
            on_cryptogram: Hook::default(),
            asked_to_delete: Default::default(),
        })
    }

    /// The references asked to delete so far, sorted.
    fn asked_to_delete(&self) -> Vec<String> {
        let mut refs = self.asked_to_delete.lock().unwrap().clone();
        refs.sort();
        refs
    }
}

impl std::fmt::Debug for DuringProvision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DuringProvision")
    }
}

impl NetworkTokenProvider for DuringProvision {
    fn provision(&self, request: &ProvisionRequest<'_>) -> Result<NetworkToken, ProviderError> {
        let token = self.sim.provision(request);
        if let Some(hook) = self.hook.lock().unwrap().take() {
            hook();
        }
        token
    }
    fn status(&self, token_ref: &str) -> Result<NetworkTokenStatus, ProviderError> {
        self.sim.status(token_ref)
    }
    fn delete(&self, token_ref: &str) -> Result<(), ProviderError> {
        if let Some(hook) = self.on_delete.lock().unwrap().take() {
            hook();
        }
        self.asked_to_delete.lock().unwrap().push(token_ref.to_owned());
        self.sim.delete(token_ref)
    }
    fn cryptogram(&self, token_ref: &str, request: &CryptogramRequest) -> Result<NetworkCryptogram, ProviderError> {
        if let Some(hook) = self.on_cryptogram.lock().unwrap().take() {
            hook();
        }
        self.sim.cryptogram(token_ref, request)
    }
}

/// A hook that rotates the profile's key from another thread while the provider is being
/// called, and checks that the rotation finished within 20 seconds: it waits for the gate
/// of the profile's running operations, so it would wait for the provider's answer if the
/// calling operation still held it.
fn rotate_meanwhile(vault: &Vault, to_version: u32) -> Box<dyn FnOnce() + Send> {
    let vault = vault.clone();
    Box::new(move || {
        let (sent, rotated) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = sent.send(vault.rotate_profile_key(&profile_id("pro_test")).map(|p| p.active_key_version));
        });
        let version = rotated.recv_timeout(std::time::Duration::from_secs(20));
        assert_eq!(version.ok().and_then(Result::ok), Some(to_version), "the rotation waited for the provider");
    })
}

/// The provider is called outside the operation's gate as well as its locks: a rotation of
/// the profile goes ahead while a token is being deleted or a cryptogram issued, and both
/// are still recorded in the audit chain.
#[test]
fn a_slow_provider_holds_up_no_rotation() {
    let provider = DuringProvision::new();
    let t = open_with(provider.clone());
    let customer = new_customer(&t.scope);
    let doomed = save_tokenized(&t, &customer.id, "4111111111111111");
    let kept = save_tokenized(&t, &customer.id, "5555555555554444");

    *provider.on_delete.lock().unwrap() = Some(rotate_meanwhile(&t.vault, 2));
    t.scope.delete_payment_method(&doomed.id).unwrap();
    assert_eq!(provider.asked_to_delete(), vec![active(&doomed).token_ref.clone()]);

    *provider.on_cryptogram.lock().unwrap() = Some(rotate_meanwhile(&t.vault, 3));
    t.scope.network_cryptogram(&kept.id, &eur(1000)).unwrap();

    let events = t.vault.list_audit(&profile_id("pro_test"), 0, 1000).unwrap();
    let recorded = |action: &str| {
        events
            .iter()
            .filter(|e| e.action.as_str() == action && e.outcome == strongroom_core::AuditOutcome::Success)
            .count()
    };
    assert_eq!((recorded("network_token_deleted"), recorded("network_cryptogram_issued")), (1, 1));
    assert_eq!(t.scope.retrieve_payment_method(&kept.id).unwrap().card.last4_digits, "4444");
}

/// A destroy that stopped after writing its deletes (here: the vault's files copied while
/// the provider deletes the first token) is finished by the next open of those files, which
/// sends the profile's token references to the provider again. A note that does not check
/// out (written into the files by someone without the master key, in the mac'd format or
/// in the earlier one of references alone) has its profile purged but sends nothing: it
/// could name another profile's live tokens.
#[test]
fn an_interrupted_destroy_sends_its_own_references_and_a_forged_note_none() {
    let provider = DuringProvision::new();
    let t = open_with(provider.clone());
    let customer = new_customer(&t.scope);
    let refs: Vec<String> = ["4111111111111111", "5555555555554444"]
        .iter()
        .map(|number| active(&save_tokenized(&t, &customer.id, number)).token_ref.clone())
        .collect();
    let other = create_profile(&t.vault, "pro_other");
    let their_customer = new_customer(&other);
    let mut request = PaymentMethodCreate::card(their_customer.id.clone(), card("4242424242424242"));
    request.network_tokenization = true;
    let theirs = other.create_payment_method(request).unwrap().payment_method;
    let their_ref = active(&theirs).token_ref.clone();

    let copies = tempfile::tempdir().unwrap();
    let copy = copies.path().join("copy");
    let (vault, at) = (t.vault.clone(), copy.clone());
    *provider.on_delete.lock().unwrap() = Some(Box::new(move || vault.checkpoint(&at).unwrap()));
    t.vault.destroy_profile(&profile_id("pro_test")).unwrap();
    let mut expected = refs.clone();
    expected.sort();
    assert_eq!(provider.asked_to_delete(), expected);
    t.vault.close();

    let open_copy = |provider: &Arc<DuringProvision>| {
        let mut opts = options(&t.clock);
        opts.network_token_provider = Some(provider.clone());
        Vault::open(&copy, opts).unwrap()
    };
    let provider = DuringProvision::new();
    let reopened = open_copy(&provider);
    assert_eq!(provider.asked_to_delete(), expected, "the copy's open finished the destroy");
    assert_eq!(reopened.profile(&profile_id("pro_test")).unwrap_err().code(), "HE_02");
    reopened.close();
    assert!(raw_dump(&copy)["meta"].iter().all(|(key, _)| !key.starts_with(b"destroying/")));

    let forged_mac = [[2u8, 2].as_slice(), b"k1", &[0u8; 32], their_ref.as_bytes()].concat();
    for note in [their_ref.as_bytes().to_vec(), forged_mac] {
        {
            let db = raw_db(&copy);
            db.put_cf(db.cf_handle("meta").unwrap(), b"destroying/pro_gone", note).unwrap();
        }
        let provider = DuringProvision::new();
        let reopened = open_copy(&provider);
        assert_eq!(provider.asked_to_delete(), Vec::<String>::new(), "a forged note sends no reference");
        let scope = reopened.profile(&profile_id("pro_other")).unwrap();
        assert_eq!(active(&scope.retrieve_payment_method(&theirs.id).unwrap()).token_ref, their_ref);
        reopened.close();
        assert!(raw_dump(&copy)["meta"].iter().all(|(key, _)| !key.starts_with(b"destroying/")), "and is gone");
    }
}

/// A token issued for a payment method the vault can no longer store it on (its API key
/// revoked, or the card deleted, during the provider's call) is deleted at the provider.
#[test]
fn a_token_the_vault_cannot_keep_is_deleted_at_the_provider() {
    let provider = DuringProvision::new();
    let t = open_with(provider.clone());
    let customer = new_customer(&t.scope);
    let key = t
        .vault
        .create_api_key(t.scope.profile_id(), ApiKeyCreate { name: "k".into(), scopes: Scopes::ALL, expires_at: None })
        .unwrap();
    let caller = t.vault.authenticate(key.secret.expose(), t.scope.profile_id()).unwrap();
    let (vault, profile, key_id) = (t.vault.clone(), t.scope.profile_id().clone(), key.key.id.clone());
    *provider.hook.lock().unwrap() = Some(Box::new(move || {
        vault.revoke_api_key(&profile, &key_id).unwrap();
    }));
    let mut request = PaymentMethodCreate::card(customer.id.clone(), card("4111111111111111"));
    request.network_tokenization = true;
    assert_eq!(caller.create_payment_method(request).unwrap_err().code(), "IR_01");
    assert_eq!(provider.sim.deleted().len(), 1, "the token issued during the revocation");

    let pm = save_card(&t.scope, &customer.id, "5555555555554444");
    let (scope, id) = (t.scope.clone(), pm.id.clone());
    *provider.hook.lock().unwrap() = Some(Box::new(move || {
        scope.delete_payment_method(&id).unwrap();
    }));
    assert_eq!(t.scope.provision_network_token(&pm.id).unwrap_err().code(), "HE_02");
    assert_eq!(provider.sim.deleted().len(), 2, "the token of the card deleted meanwhile");
}

/// Two tokenized cards of `pro_test`, `damaged` (its record no longer decodes) and `fine`,
/// in a vault reopened with the simulator.
struct DamagedCard {
    t: TestVault,
    sim: Arc<SimulatedNetworkTokenProvider>,
    vault: Vault,
    damaged: PaymentMethod,
    fine: PaymentMethod,
}

fn one_damaged_card() -> DamagedCard {
    let Tokenized { t, sim } = tokenized();
    let customer = new_customer(&t.scope);
    let damaged = save_tokenized(&t, &customer.id, "4111111111111111");
    let fine = save_tokenized(&t, &customer.id, "5555555555554444");
    t.vault.close();
    damage_payment_method(&raw_db(t.path()), damaged.id.as_str());
    let vault = reopen_with(t.path(), &t.clock, &sim);
    DamagedCard { t, sim, vault, damaged, fine }
}

/// Collecting a profile's token references before a destroy skips a damaged record: the
/// profile is still destroyed, and the readable cards' tokens deleted at the provider.
#[test]
fn a_damaged_card_does_not_keep_its_profile_from_being_destroyed() {
    let DamagedCard { t: _t, sim, vault, fine, .. } = one_damaged_card();
    vault.destroy_profile(&profile_id("pro_test")).unwrap();
    assert_eq!(vault.profile(&profile_id("pro_test")).unwrap_err().code(), "HE_02");
    assert_eq!(sim.deleted(), vec![active(&fine).token_ref.clone()]);
}

/// A profile whose record is damaged can be destroyed, but none of its cards' token
/// references is sent to the provider: without the profile's keys none can be checked.
#[test]
fn destroying_a_profile_whose_record_is_damaged_deletes_no_token() {
    let Tokenized { t, sim } = tokenized();
    let customer = new_customer(&t.scope);
    let pm = save_tokenized(&t, &customer.id, "4111111111111111");
    assert!(matches!(pm.network_token, Some(NetworkTokenInfo::Active(_))));
    t.vault.close();
    {
        let db = raw_db(t.path());
        let profiles = db.cf_handle("profiles").unwrap();
        let mut value = db.get_cf(profiles, b"pro_test").unwrap().unwrap();
        value[12] ^= 0x01;
        db.put_cf(profiles, b"pro_test", value).unwrap();
    }
    let vault = reopen_with(t.path(), &t.clock, &sim);
    let err = vault.profile(&profile_id("pro_test")).unwrap_err();
    assert_eq!((err.code(), err.internal_kind()), ("HE_00", Some("integrity")), "{err}");
    vault.destroy_profile(&profile_id("pro_test")).unwrap();
    assert_eq!(vault.profile(&profile_id("pro_test")).unwrap_err().code(), "HE_02");
    assert!(sim.deleted().is_empty(), "no reference sent: {:?}", sim.deleted());
}

/// Deleting a card whose record does not decode sends no token reference to the provider
/// (none can be read or checked) and records the token deletion as failed.
#[test]
fn deleting_an_unreadable_card_records_its_token_as_not_deleted() {
    let DamagedCard { t: _t, sim, vault, damaged, fine } = one_damaged_card();
    let scope = vault.profile(&profile_id("pro_test")).unwrap();
    scope.delete_payment_method(&damaged.id).unwrap();
    assert!(sim.deleted().is_empty(), "{:?}", sim.deleted());
    let events = vault.list_audit(&profile_id("pro_test"), 0, 1000).unwrap();
    let token_events: Vec<_> = events
        .iter()
        .filter(|e| e.action.as_str() == "network_token_deleted")
        .map(|e| (e.object_id.as_deref(), e.outcome.clone()))
        .collect();
    let failed = strongroom_core::AuditOutcome::Failure { code: "HE_00".into() };
    assert_eq!(token_events, vec![(Some(damaged.id.as_str()), failed)]);
    scope.delete_payment_method(&fine.id).unwrap();
    assert_eq!(sim.deleted(), vec![active(&fine).token_ref.clone()]);
}

/// A network token's reference is bound to its sealed number, and the card's storage type
/// and expiry to its details: a card pointed at another card's token, or a volatile card
/// made persistent, at the storage level, gets no cryptogram and no reveal.
#[test]
fn cryptograms_refuse_clear_fields_edited_at_the_storage_level() {
    let Tokenized { t, sim } = tokenized();
    let customer = new_customer(&t.scope);
    let mine = save_tokenized(&t, &customer.id, "4111111111111111");
    let theirs = save_tokenized(&t, &customer.id, "5555555555554444");
    let kept = save_tokenized(&t, &customer.id, "378282246310005");
    let mut request = PaymentMethodCreate::card(customer.id.clone(), card("6011111111111117"));
    request.network_tokenization = true;
    request.storage_type = strongroom_core::StorageType::Volatile;
    let volatile = t.scope.create_payment_method(request).unwrap().payment_method;
    let their_ref = t.scope.reveal_payment_method(&theirs.id).unwrap().network_token.unwrap().token_ref;
    let TestVault { dir, clock, vault, .. } = t;
    vault.close();
    {
        let db = raw_db(dir.path());
        rewrite_payment_method(&db, mine.id.as_str(), ClearFieldEdit::TokenRef(their_ref));
        rewrite_payment_method(&db, volatile.id.as_str(), ClearFieldEdit::Persistent);
    }
    let vault = reopen_with(dir.path(), &clock, &sim);
    let scope = vault.profile(&profile_id("pro_test")).unwrap();
    let integrity = |err: strongroom_core::Error| {
        assert_eq!((err.code(), err.internal_kind()), ("HE_00", Some("integrity")), "{err}");
    };
    for pm in [&mine, &volatile] {
        integrity(scope.network_cryptogram(&pm.id, &eur(100)).unwrap_err());
        integrity(scope.reveal_payment_method(&pm.id).unwrap_err());
    }
    assert_eq!(scope.network_cryptogram(&kept.id, &eur(100)).unwrap().eci, "05");
    assert!(scope.network_cryptogram(&theirs.id, &eur(100)).is_ok(), "the card whose reference was copied");
    let report = vault.verify(&mut |_| {}).unwrap();
    let token_problems = report.problems.iter().filter(|p| p.detail == "network token number does not open").count();
    assert_eq!(token_problems, 1, "{report:?}");
}

/// A token reference edited at the storage level to name another card's token is never sent
/// to the provider for deletion: not when its card is deleted, not when its profile is
/// destroyed. The other card keeps its token.
#[test]
fn an_edited_token_reference_deletes_no_other_cards_token() {
    let Tokenized { t, sim } = tokenized();
    let customer = new_customer(&t.scope);
    let deleted_one = save_tokenized(&t, &customer.id, "4111111111111111");
    let destroyed_one = save_tokenized(&t, &customer.id, "378282246310005");
    let theirs = save_tokenized(&t, &customer.id, "5555555555554444");
    let their_ref = active(&theirs).token_ref.clone();
    let TestVault { dir, clock, vault, .. } = t;
    vault.close();
    {
        let db = raw_db(dir.path());
        for pm in [&deleted_one, &destroyed_one] {
            rewrite_payment_method(&db, pm.id.as_str(), ClearFieldEdit::TokenRef(their_ref.clone()));
        }
    }
    let vault = reopen_with(dir.path(), &clock, &sim);
    let scope = vault.profile(&profile_id("pro_test")).unwrap();

    scope.delete_payment_method(&deleted_one.id).unwrap();
    assert!(sim.deleted().is_empty(), "{:?}", sim.deleted());
    assert!(scope.network_cryptogram(&theirs.id, &eur(100)).is_ok(), "their token is live");
    let events = vault.list_audit(&profile_id("pro_test"), 0, 1000).unwrap();
    let refused = events.iter().find(|e| e.action.as_str() == "network_token_deleted").unwrap();
    assert_eq!(refused.outcome, strongroom_core::AuditOutcome::Failure { code: "HE_00".into() });

    vault.destroy_profile(&profile_id("pro_test")).unwrap();
    assert_eq!(sim.deleted(), vec![their_ref], "their token once, by their own card");
}
