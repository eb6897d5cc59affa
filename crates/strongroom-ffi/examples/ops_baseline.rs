//! The binding micro-benchmark's Rust side: the same workload as
//! `bindings/python/bench/bench.py` and `bindings/kotlin/bench/.../Bench.kt`, called on
//! `strongroom-core` directly, so the difference is what crossing the boundary costs.
//!
//! Workload (per round, on a fresh profile of one vault without fsync): create N cards for
//! N/100 customers, retrieve each once, and N calls of the cheapest method (`profile_id`).
//! Prints one JSON line of medians over the rounds.
//!
//! Run: `cargo run --release -p strongroom-ffi --example ops_baseline -- [cards] [rounds]`

use std::time::Instant;

use strongroom_core::{
    CardInput, CustomerCreate, MasterKey, MasterKeyId, MasterKeyRing, MerchantId, PaymentMethodCreate, ProfileCreate,
    ProfileId, ProfileSettings, Vault, VaultOptions,
};

fn luhn_card(prefix: &str, serial: usize) -> String {
    let body = format!("{prefix}{serial:0>width$}", width = 15 - prefix.len());
    let mut total = 0;
    for (i, c) in body.chars().rev().enumerate() {
        let mut d = c.to_digit(10).unwrap_or(0);
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        total += d;
    }
    format!("{body}{}", (10 - total % 10) % 10)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let cards: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let dir = tempfile::tempdir()?;
    let ring = MasterKeyRing::single(MasterKeyId::parse("bench")?, MasterKey::from_slice(&[7u8; 32])?);
    let mut options = VaultOptions::new(ring);
    options.sync_writes = false;
    let vault = Vault::open(dir.path(), options)?;

    let (mut create, mut retrieve, mut call) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let profile = ProfileId::parse(&format!("pro_bench{round}"))?;
        vault.create_profile(ProfileCreate {
            profile_id: profile.clone(),
            merchant_id: MerchantId::parse("merchant_bench")?,
            settings: ProfileSettings::default(),
        })?;
        let scope = vault.profile(&profile)?;
        let customers = (0..cards.div_ceil(100))
            .map(|i| {
                Ok(scope
                    .create_customer(CustomerCreate { name: Some(format!("c{i}").into()), ..Default::default() })?
                    .id)
            })
            .collect::<strongroom_core::Result<Vec<_>>>()?;

        let started = Instant::now();
        let mut ids = Vec::with_capacity(cards);
        for i in 0..cards {
            let card = CardInput {
                card_number: luhn_card("4", i).into(),
                card_exp_month: "12".into(),
                card_exp_year: "2035".into(),
                card_cvc: Some("123".into()),
                card_holder_name: Some("Bench Holder".into()),
                ..Default::default()
            };
            ids.push(
                scope
                    .create_payment_method(PaymentMethodCreate::card(customers[i / 100].clone(), card))?
                    .payment_method
                    .id,
            );
        }
        create.push(cards as f64 / started.elapsed().as_secs_f64());

        let started = Instant::now();
        for id in &ids {
            std::hint::black_box(scope.retrieve_payment_method(id)?);
        }
        retrieve.push(cards as f64 / started.elapsed().as_secs_f64());

        let started = Instant::now();
        for _ in 0..cards {
            std::hint::black_box(scope.profile_id().to_string());
        }
        call.push(cards as f64 / started.elapsed().as_secs_f64());
    }
    println!(
        "{{\"language\": \"rust\", \"cards\": {cards}, \"rounds\": {rounds}, \"create_ops_s\": {:.0}, \"retrieve_ops_s\": {:.0}, \"call_ops_s\": {:.0}}}",
        median(create),
        median(retrieve),
        median(call)
    );
    Ok(())
}
