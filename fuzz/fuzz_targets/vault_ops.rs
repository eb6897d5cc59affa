//! Sequences of vault operations over the in-memory store, checked against a simple model:
//! which customers and cards exist, which number and CVC each card holds, what dedup and
//! expiry do. Every result must agree with the model; nothing may panic.
#![no_main]

use std::sync::Arc;
use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use strongroom_core::{
    CardInput, Clock, CustomerCreate, CustomerId, ManualClock, MasterKey, MasterKeyId, MasterKeyRing, MerchantId,
    PageRequest, PaymentMethodCreate, PaymentMethodId, PaymentMethodUpdate, ProfileCreate, ProfileId, ProfileSettings,
    StorageType, Timestamp, Vault, VaultOptions,
};

const CARDS: [&str; 6] = [
    "4111111111111111",
    "5555555555554444",
    "378282246310005",
    "6011111111111117",
    "4000056655665556",
    "3530111333300000",
];

#[derive(Arbitrary, Debug)]
enum Op {
    CreateCustomer,
    CreateCard { customer: u8, card: u8, cvc: Option<u16>, volatile: bool },
    Retrieve { pm: u8 },
    Reveal { pm: u8 },
    UpdateNick { pm: u8, nick: u8 },
    Delete { pm: u8 },
    TakeCvc { pm: u8 },
    DeleteCustomer { customer: u8 },
    List { customer: u8, limit: u8 },
    Advance { minutes: u16 },
    Purge,
}

struct Card {
    id: PaymentMethodId,
    customer: usize,
    number: &'static str,
    nick: Option<String>,
    cvc: Option<(String, Timestamp)>,
    expires_at: Option<Timestamp>,
    deleted: bool,
}

struct Model {
    customers: Vec<(CustomerId, bool)>,
    cards: Vec<Card>,
}

impl Model {
    fn live(&self, i: usize, now: Timestamp) -> bool {
        let c = &self.cards[i];
        !c.deleted && c.expires_at.is_none_or(|t| t > now)
    }
}

fn cvc_for(number: &str, seed: u16) -> String {
    if number.starts_with("37") { format!("{:04}", seed % 10_000) } else { format!("{:03}", seed % 1000) }
}

fuzz_target!(|ops: Vec<Op>| {
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(1_795_478_400_000)));
    let ring = MasterKeyRing::single(MasterKeyId::parse("k1").unwrap(), MasterKey::from_slice(&[9; 32]).unwrap());
    let mut options = VaultOptions::new(ring);
    options.clock = clock.clone();
    let vault = Vault::open_in_memory(options).unwrap();
    let profile = ProfileId::parse("pro_fuzz").unwrap();
    let settings = ProfileSettings::default();
    let (cvc_ttl, volatile_ttl) = (settings.cvc_ttl, settings.volatile_ttl);
    vault
        .create_profile(ProfileCreate {
            profile_id: profile.clone(),
            merchant_id: MerchantId::parse("m").unwrap(),
            settings,
        })
        .unwrap();
    let scope = vault.profile(&profile).unwrap();
    let mut model = Model { customers: Vec::new(), cards: Vec::new() };

    for op in ops.into_iter().take(64) {
        let now = clock.now();
        match op {
            Op::CreateCustomer => {
                let c =
                    scope.create_customer(CustomerCreate { name: Some("Fuzz".into()), ..Default::default() }).unwrap();
                model.customers.push((c.id, true));
            }
            Op::CreateCard { customer, card, cvc, volatile } => {
                if model.customers.is_empty() {
                    continue;
                }
                let ci = usize::from(customer) % model.customers.len();
                let number = CARDS[usize::from(card) % CARDS.len()];
                let cvc = cvc.map(|s| cvc_for(number, s));
                let mut request = PaymentMethodCreate::card(
                    model.customers[ci].0.clone(),
                    CardInput {
                        card_number: number.into(),
                        card_exp_month: "12".into(),
                        card_exp_year: "2040".into(),
                        card_cvc: cvc.as_deref().map(Into::into),
                        ..Default::default()
                    },
                );
                if volatile {
                    request.storage_type = StorageType::Volatile;
                }
                let result = scope.create_payment_method(request);
                if !model.customers[ci].1 {
                    assert_eq!(result.unwrap_err().code(), "IR_11");
                    continue;
                }
                let created = result.unwrap();
                let existing = (0..model.cards.len())
                    .find(|&i| model.live(i, now) && model.cards[i].customer == ci && model.cards[i].number == number);
                match existing {
                    Some(i) => {
                        assert!(created.duplicate);
                        assert_eq!(created.payment_method.id, model.cards[i].id);
                        if let Some(cvc) = cvc {
                            model.cards[i].cvc = Some((cvc, now.saturating_add(cvc_ttl)));
                        }
                        if !volatile {
                            model.cards[i].expires_at = None;
                        }
                    }
                    None => {
                        assert!(!created.duplicate);
                        // An expired twin is gone for good.
                        for c in model.cards.iter_mut().filter(|c| c.customer == ci && c.number == number) {
                            c.deleted = true;
                        }
                        model.cards.push(Card {
                            id: created.payment_method.id,
                            customer: ci,
                            number,
                            nick: None,
                            cvc: cvc.map(|c| (c, now.saturating_add(cvc_ttl))),
                            expires_at: volatile.then(|| now.saturating_add(volatile_ttl)),
                            deleted: false,
                        });
                    }
                }
            }
            Op::Retrieve { pm }
            | Op::Reveal { pm }
            | Op::TakeCvc { pm }
            | Op::Delete { pm }
            | Op::UpdateNick { pm, .. }
                if model.cards.is_empty() =>
            {
                let _ = pm;
            }
            Op::Retrieve { pm } => {
                let i = usize::from(pm) % model.cards.len();
                let result = scope.retrieve_payment_method(&model.cards[i].id);
                if model.live(i, now) {
                    let got = result.unwrap();
                    assert_eq!(got.card.last4_digits, &model.cards[i].number[model.cards[i].number.len() - 4..]);
                    assert_eq!(got.card.nick_name, model.cards[i].nick);
                } else {
                    assert_eq!(result.unwrap_err().code(), "HE_02");
                }
            }
            Op::Reveal { pm } => {
                let i = usize::from(pm) % model.cards.len();
                let result = scope.reveal_payment_method(&model.cards[i].id);
                if model.live(i, now) {
                    assert_eq!(result.unwrap().card_number.expose(), model.cards[i].number);
                } else {
                    assert_eq!(result.unwrap_err().code(), "HE_02");
                }
            }
            Op::TakeCvc { pm } => {
                let i = usize::from(pm) % model.cards.len();
                let result = scope.take_cvc(&model.cards[i].id);
                if model.live(i, now) {
                    let expected = model.cards[i].cvc.take().filter(|(_, until)| *until > now).map(|(c, _)| c);
                    assert_eq!(result.unwrap().map(|c| c.expose().to_owned()), expected);
                } else {
                    assert_eq!(result.unwrap_err().code(), "HE_02");
                }
            }
            Op::UpdateNick { pm, nick } => {
                let i = usize::from(pm) % model.cards.len();
                let nick = format!("nick{nick}");
                let update = PaymentMethodUpdate { nick_name: Some(nick.clone()), ..Default::default() };
                let result = scope.update_payment_method(&model.cards[i].id, update);
                if model.live(i, now) {
                    assert_eq!(result.unwrap().card.nick_name.as_deref(), Some(nick.as_str()));
                    model.cards[i].nick = Some(nick);
                } else {
                    assert_eq!(result.unwrap_err().code(), "HE_02");
                }
            }
            Op::Delete { pm } => {
                let i = usize::from(pm) % model.cards.len();
                let result = scope.delete_payment_method(&model.cards[i].id);
                if model.live(i, now) {
                    result.unwrap();
                    model.cards[i].deleted = true;
                } else {
                    assert_eq!(result.unwrap_err().code(), "HE_02");
                }
            }
            Op::DeleteCustomer { customer } => {
                if model.customers.is_empty() {
                    continue;
                }
                let ci = usize::from(customer) % model.customers.len();
                let result = scope.delete_customer(&model.customers[ci].0);
                if model.customers[ci].1 {
                    result.unwrap();
                    model.customers[ci].1 = false;
                    for c in model.cards.iter_mut().filter(|c| c.customer == ci) {
                        c.deleted = true;
                    }
                } else {
                    assert_eq!(result.unwrap_err().code(), "IR_11");
                }
            }
            Op::List { customer, limit } => {
                if model.customers.is_empty() {
                    continue;
                }
                let ci = usize::from(customer) % model.customers.len();
                let limit = usize::from(limit % 8) + 1;
                let mut seen = Vec::new();
                let mut page = PageRequest::first(limit as u32);
                loop {
                    let result = scope.list_payment_methods(&model.customers[ci].0, &page);
                    if !model.customers[ci].1 {
                        assert_eq!(result.unwrap_err().code(), "IR_11");
                        break;
                    }
                    let got = result.unwrap();
                    assert!(got.payment_methods.len() <= limit);
                    seen.extend(got.payment_methods.into_iter().map(|p| p.id));
                    match got.next_starting_after {
                        Some(next) => page.starting_after = Some(next),
                        None => break,
                    }
                }
                if model.customers[ci].1 {
                    let expected: Vec<_> = (0..model.cards.len())
                        .filter(|&i| model.cards[i].customer == ci && model.live(i, now))
                        .map(|i| model.cards[i].id.clone())
                        .collect();
                    assert_eq!(seen, expected);
                }
            }
            Op::Advance { minutes } => clock.advance(Duration::from_secs(u64::from(minutes) * 60)),
            Op::Purge => {
                vault.purge_expired().unwrap();
                for c in model.cards.iter_mut() {
                    if c.expires_at.is_some_and(|t| t <= now) {
                        c.deleted = true;
                    }
                    if c.cvc.as_ref().is_some_and(|(_, until)| *until <= now) {
                        c.cvc = None;
                    }
                }
            }
        }
    }
    let report = vault.verify(&mut |_| {}).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    // The audit chain lists, page by page, exactly what verification walked.
    let chain = vault.verify_audit(&profile).unwrap();
    assert!(chain.is_intact(), "{chain:?}");
    let mut listed = 0;
    loop {
        let page = vault.list_audit(&profile, listed, 100).unwrap();
        for (i, event) in page.iter().enumerate() {
            assert_eq!(event.seq, listed + i as u64);
        }
        listed += page.len() as u64;
        if page.len() < 100 {
            break;
        }
    }
    assert_eq!(listed, chain.events);
});
