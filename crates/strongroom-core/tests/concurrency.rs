//! Concurrent callers: no duplicate is ever created, no update is lost, and the final state
//! equals a replay of what every thread did.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Barrier};
use std::thread;

use common::*;
use strongroom_core::{
    CustomerId, PageRequest, PaymentMethodCreate, PaymentMethodId, PaymentMethodUpdate, ProfileScope, Vault,
};

#[test]
fn the_vault_is_shareable() {
    fn assert_shareable<T: Send + Sync + Clone + 'static>() {}
    assert_shareable::<Vault>();
    assert_shareable::<ProfileScope>();
}

#[test]
fn same_card_from_8_threads_makes_one_payment_method() {
    let t = open();
    let customer = new_customer(&t.scope);
    for round in 0..5 {
        let number = visa(round);
        let barrier = Arc::new(Barrier::new(8));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (scope, barrier, customer, number) =
                    (t.scope.clone(), barrier.clone(), customer.id.clone(), number.clone());
                thread::spawn(move || {
                    barrier.wait();
                    scope.create_payment_method(PaymentMethodCreate::card(customer, card(&number))).unwrap()
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let ids: std::collections::BTreeSet<_> = results.iter().map(|r| r.payment_method.id.clone()).collect();
        assert_eq!(ids.len(), 1, "round {round}: one payment method");
        assert_eq!(results.iter().filter(|r| !r.duplicate).count(), 1, "one creation, seven duplicates");
    }
    let listed = t.scope.list_payment_methods(&customer.id, &PageRequest::first(100)).unwrap();
    assert_eq!(listed.payment_methods.len(), 5);
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct ModelCard {
    customer: CustomerId,
    number: String,
    nick: Option<String>,
    exp_month: u8,
    holder: String,
}

/// A small deterministic generator, so a failure can be replayed.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn run_thread(scope: ProfileScope, customers: Vec<CustomerId>, thread_no: u64) -> BTreeMap<PaymentMethodId, ModelCard> {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15 ^ (thread_no + 1));
    let mut mine: BTreeMap<PaymentMethodId, ModelCard> = BTreeMap::new();
    let mut created = 0u64;
    let pick = |rng: &mut XorShift, mine: &BTreeMap<PaymentMethodId, ModelCard>| {
        if mine.is_empty() {
            None
        } else {
            let i = (rng.next() % mine.len() as u64) as usize;
            mine.keys().nth(i).cloned()
        }
    };
    for op in 0..1000u64 {
        match rng.next() % 10 {
            0..=3 => {
                let number = visa(thread_no * 1_000_000 + created);
                created += 1;
                let customer = customers[(rng.next() % customers.len() as u64) as usize].clone();
                let mut input = card(&number);
                let holder = format!("holder {thread_no} {op}");
                input.card_holder_name = Some(holder.as_str().into());
                let result = scope.create_payment_method(PaymentMethodCreate::card(customer.clone(), input)).unwrap();
                assert!(!result.duplicate);
                mine.insert(result.payment_method.id, ModelCard { customer, number, nick: None, exp_month: 3, holder });
            }
            4 => {
                let Some(id) = pick(&mut rng, &mine) else { continue };
                let model = mine.get_mut(&id).unwrap();
                let mut input = card(&model.number);
                input.card_exp_month = format!("{:02}", model.exp_month);
                model.holder = format!("renamed {thread_no} {op}");
                input.card_holder_name = Some(model.holder.as_str().into());
                let result =
                    scope.create_payment_method(PaymentMethodCreate::card(model.customer.clone(), input)).unwrap();
                assert!(result.duplicate);
                assert_eq!(result.payment_method.id, id);
            }
            5 => {
                let Some(id) = pick(&mut rng, &mine) else { continue };
                let nick = format!("nick {thread_no} {op}");
                let pm = scope
                    .update_payment_method(
                        &id,
                        PaymentMethodUpdate { nick_name: Some(nick.clone()), ..Default::default() },
                    )
                    .unwrap();
                assert_eq!(pm.card.nick_name.as_deref(), Some(nick.as_str()));
                mine.get_mut(&id).unwrap().nick = Some(nick);
            }
            6 => {
                let Some(id) = pick(&mut rng, &mine) else { continue };
                let month = (rng.next() % 12 + 1) as u8;
                scope
                    .update_payment_method(
                        &id,
                        PaymentMethodUpdate {
                            card_exp_month: Some(month.to_string()),
                            card_exp_year: Some("2030".into()),
                            ..Default::default()
                        },
                    )
                    .unwrap();
                mine.get_mut(&id).unwrap().exp_month = month;
            }
            7 => {
                let Some(id) = pick(&mut rng, &mine) else { continue };
                scope.delete_payment_method(&id).unwrap();
                mine.remove(&id);
                assert_eq!(scope.retrieve_payment_method(&id).unwrap_err().code(), "HE_02");
            }
            8 => {
                let Some(id) = pick(&mut rng, &mine) else { continue };
                let pm = scope.retrieve_payment_method(&id).unwrap();
                let model = &mine[&id];
                assert_eq!(pm.card.nick_name, model.nick);
                assert_eq!(pm.card.expiry_month, model.exp_month);
                assert_eq!(pm.card.card_holder_name.as_ref().unwrap().expose(), model.holder);
            }
            _ => {
                // Another thread's cards may come and go; ours must be exactly as we left them.
                let customer = &customers[(rng.next() % customers.len() as u64) as usize];
                let mut seen = BTreeMap::new();
                let mut page = PageRequest::first(100);
                loop {
                    let listed = scope.list_payment_methods(customer, &page).unwrap();
                    for pm in listed.payment_methods {
                        assert_eq!(&pm.customer_id, customer);
                        if mine.contains_key(&pm.id) {
                            seen.insert(pm.id.clone(), pm.card.nick_name.clone());
                        }
                    }
                    match listed.next_starting_after {
                        Some(next) => page.starting_after = Some(next),
                        None => break,
                    }
                }
                let expected: BTreeMap<_, _> = mine
                    .iter()
                    .filter(|(_, m)| &m.customer == customer)
                    .map(|(id, m)| (id.clone(), m.nick.clone()))
                    .collect();
                assert_eq!(seen, expected);
            }
        }
    }
    mine
}

#[test]
fn eight_threads_of_mixed_operations_match_a_model_replay() {
    let t = open();
    let customers: Vec<CustomerId> = (0..4).map(|_| new_customer(&t.scope).id).collect();
    let handles: Vec<_> = (0..8)
        .map(|n| {
            let (scope, customers) = (t.scope.clone(), customers.clone());
            thread::spawn(move || run_thread(scope, customers, n))
        })
        .collect();
    let mut model = BTreeMap::new();
    for h in handles {
        model.extend(h.join().unwrap());
    }
    assert!(model.len() > 500, "the run leaves plenty of cards ({})", model.len());

    let mut actual = BTreeMap::new();
    for customer in &customers {
        let mut page = PageRequest::first(100);
        loop {
            let listed = t.scope.list_payment_methods(customer, &page).unwrap();
            for pm in listed.payment_methods {
                let number = t.scope.reveal_payment_method(&pm.id).unwrap().card_number.expose().to_owned();
                let card = ModelCard {
                    customer: pm.customer_id.clone(),
                    number,
                    nick: pm.card.nick_name.clone(),
                    exp_month: pm.card.expiry_month,
                    holder: pm.card.card_holder_name.as_ref().unwrap().expose().to_owned(),
                };
                actual.insert(pm.id, card);
            }
            match listed.next_starting_after {
                Some(next) => page.starting_after = Some(next),
                None => break,
            }
        }
    }
    assert_eq!(actual, model);
}
