//! Creates back to back against creates that each follow an idle pause (not a test).
//!
//! A synced create sleeps in `fdatasync` for ~100–300 µs and then runs the rest of its
//! work; this measures what such a pause alone does to the vault's CPU work, without any
//! fsync: creates timed one by one, first back to back, then each after `pause` µs of
//! sleep (the vault opened without fsync, 3 customers). With `spin` the pause busy-waits
//! instead of sleeping, so the CPU never idles.
//!
//! `cargo run --release -p strongroom-benches --example cold_create -- [creates] [pause µs] [spin]`

use std::time::{Duration, Instant};

use strongroom_benches::latency::{micros, percentile};
use strongroom_benches::setup::{BenchVault, create_request};

/// The median of `xs`, in µs.
fn median(mut xs: Vec<Duration>) -> f64 {
    xs.sort();
    micros(percentile(&xs, 0.5))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let creates: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let pause = Duration::from_micros(args.get(2).and_then(|a| a.parse().ok()).unwrap_or(300));
    let spin = args.get(3).is_some_and(|a| a == "spin");
    let b = BenchVault::new(false, 3);
    let mut serial = 0u64;
    let mut create = || {
        serial += 1;
        let customer = &b.customers[(serial % b.customers.len() as u64) as usize];
        let started = Instant::now();
        b.scope.create_payment_method(create_request(customer, serial)).expect("create");
        started.elapsed()
    };
    let hot: Vec<Duration> = (0..creates).map(|_| create()).collect();
    let cold: Vec<Duration> = (0..creates)
        .map(|_| {
            if spin {
                let until = Instant::now() + pause;
                while Instant::now() < until {
                    std::hint::spin_loop();
                }
            } else {
                std::thread::sleep(pause);
            }
            create()
        })
        .collect();
    let (hot, cold) = (median(hot), median(cold));
    println!(
        "create p50: back to back {hot:.1} µs, after a {} µs {} {cold:.1} µs ({:.1}×)",
        pause.as_micros(),
        if spin { "busy wait" } else { "sleep" },
        cold / hot
    );
}
