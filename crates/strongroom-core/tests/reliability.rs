//! Faults and hostile conditions: values tampered with at the storage level, processes
//! killed mid-write, secrets leaking to files or logs, oversized input.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use strongroom_core::{
    CustomerCreate, CustomerId, Error, ManualClock, Metadata, PageRequest, PaymentMethodCreate, PaymentMethodId,
    PaymentMethodUpdate, ProfileId, Vault,
};

fn is_integrity(e: &Error) -> bool {
    e.code() == "HE_00" && e.internal_kind() == Some("integrity")
}

/// A simple deterministic generator (the tests must not depend on a rand crate).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

// ---------------------------------------------------------------------------------------
// Tamper sweep

/// Reads one tampered value back through the public API.
type Reader = Box<dyn Fn(&TestVault) -> Result<(), Error>>;

struct Target {
    cf: &'static str,
    key: Vec<u8>,
    original: Vec<u8>,
    read: Reader,
}

/// Rewrites the targets' values through RocksDB itself (so RocksDB's own checksums are
/// valid) with `change` applied, reopens the vault and reads each target through the API.
/// Returns how many reads failed with an integrity error; any other outcome panics.
fn tamper_round(t: &mut TestVault, targets: &[Target], change: &dyn Fn(&[u8]) -> Option<Vec<u8>>) -> usize {
    t.vault.close();
    let mut changed = Vec::new();
    {
        let db = raw_db(t.path());
        for (i, target) in targets.iter().enumerate() {
            if let Some(value) = change(&target.original) {
                db.put_cf(db.cf_handle(target.cf).unwrap(), &target.key, value).unwrap();
                changed.push(i);
            }
        }
    }
    t.reopen();
    for &i in &changed {
        match (targets[i].read)(t) {
            Err(e) if is_integrity(&e) => {}
            Err(e) => panic!("tampered {} value: {} instead of an integrity error", targets[i].cf, e.code()),
            Ok(()) => panic!("tampered {} value was read as if intact", targets[i].cf),
        }
    }
    // Put the originals back for the next round.
    t.vault.close();
    {
        let db = raw_db(t.path());
        for target in targets {
            db.put_cf(db.cf_handle(target.cf).unwrap(), &target.key, &target.original).unwrap();
        }
    }
    t.reopen();
    changed.len()
}

#[test]
fn tampered_values_are_integrity_errors_never_wrong_data() {
    let mut t = open();
    let customers: Vec<_> = (0..20).map(|_| new_customer(&t.scope)).collect();
    let pms: Vec<_> = (0..200u64).map(|i| save_card(&t.scope, &customers[(i % 20) as usize].id, &visa(i))).collect();
    t.vault.close();
    let dump = raw_dump(t.path());
    t.reopen();

    let profile = b"pro_test\0".as_slice();
    let value_of = |cf: &str, key: &[u8]| dump[cf].iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap();
    let mut targets = Vec::new();
    // A sample: every 10th card's record and its stored CVC, every 4th customer.
    for pm in pms.iter().step_by(10) {
        let key = [profile, pm.id.as_str().as_bytes()].concat();
        let id = pm.id.clone();
        targets.push(Target {
            cf: "payment_methods",
            original: value_of("payment_methods", &key),
            key: key.clone(),
            read: Box::new(move |t| t.scope.retrieve_payment_method(&id).map(drop)),
        });
        let id = pm.id.clone();
        targets.push(Target {
            cf: "cvc",
            original: value_of("cvc", &key),
            key,
            read: Box::new(move |t| t.scope.take_cvc(&id).map(drop)),
        });
    }
    for customer in customers.iter().step_by(4) {
        let key = [profile, customer.id.as_str().as_bytes()].concat();
        let id = customer.id.clone();
        targets.push(Target {
            cf: "customers",
            original: value_of("customers", &key),
            key,
            read: Box::new(move |t| t.scope.retrieve_customer(&id).map(drop)),
        });
    }
    let longest = targets.iter().map(|t| t.original.len()).max().unwrap();
    let mut flips = 0;
    let started = Instant::now();
    // Every byte position of every sampled value (one position per value per round).
    for position in 0..longest {
        flips += tamper_round(&mut t, &targets, &|v: &[u8]| {
            (position < v.len()).then(|| {
                let mut v = v.to_vec();
                v[position] ^= 0x01 << (position % 8);
                v
            })
        });
    }
    let mut cuts = 0;
    for cut in [0usize, 1, 8, 9, 30] {
        cuts += tamper_round(&mut t, &targets, &|v: &[u8]| (cut < v.len()).then(|| v[..v.len() - cut.max(1)].to_vec()));
    }
    for extra in [&b"\0"[..], b"\x01\x02\x03", &[0xAB; 100]] {
        cuts += tamper_round(&mut t, &targets, &|v: &[u8]| Some([v, extra].concat()));
    }
    eprintln!(
        "tamper sweep: {} values, {flips} byte flips, {cuts} truncations/extensions, {:.1?}",
        targets.len(),
        started.elapsed()
    );
    assert!(flips > 5_000, "{flips}");
    // Untouched cards read back exactly as stored, and the vault verifies clean.
    for (i, pm) in pms.iter().enumerate() {
        let revealed = t.scope.reveal_payment_method(&pm.id).unwrap();
        assert_eq!(revealed.card_number.expose(), visa(i as u64));
    }
    assert!(t.vault.verify(&mut |_| {}).unwrap().problems.is_empty());
}

// ---------------------------------------------------------------------------------------
// Crash recovery: a child process writes with fsync on and reports what was acknowledged;
// it is killed with SIGKILL at a random moment; everything acknowledged must be there.

const CRASH_DIR: &str = "STRONGROOM_CRASH_DIR";
const CRASH_SEED: &str = "STRONGROOM_CRASH_SEED";
const CRASH_SMALL_MEMTABLES: &str = "STRONGROOM_CRASH_SMALL_MEMTABLES";
const THREADS: u64 = 4;

/// `small_memtables`: a 1 MiB memtable budget, which RocksDB exceeds every few writes, so
/// the child flushes, retires write-ahead logs and reuses them (overwriting records of
/// earlier writes) from its first milliseconds on, and a kill lands in a reused log.
fn crash_options(small_memtables: bool) -> strongroom_core::VaultOptions {
    let clock = Arc::new(ManualClock::new(start_time()));
    let mut options = options(&clock);
    options.sync_writes = true;
    if small_memtables {
        options.memtable_budget_bytes = 1 << 20;
    }
    options
}

/// The child's side: runs only when the parent starts this binary with `CRASH_DIR` set.
#[test]
#[ignore = "run by the crash tests in a child process"]
fn crash_child() {
    let Ok(dir) = std::env::var(CRASH_DIR) else { return };
    let seed: u64 = std::env::var(CRASH_SEED).unwrap().parse().unwrap();
    let vault = Vault::open(&dir, crash_options(std::env::var_os(CRASH_SMALL_MEMTABLES).is_some())).unwrap();
    let scope = vault.profile(&ProfileId::parse("pro_test").unwrap()).unwrap();
    let customers: Vec<CustomerId> =
        scope.list_customers(&PageRequest::first(100)).unwrap().customers.into_iter().map(|c| c.id).collect();
    let out = Mutex::new(std::io::stdout());
    std::thread::scope(|s| {
        for thread in 0..THREADS {
            let (scope, customers, out) = (&scope, &customers, &out);
            s.spawn(move || {
                for i in 0u64.. {
                    let serial = seed * 1_000_000 + thread * 100_000 + i;
                    let number = visa(serial);
                    let customer = customers[(serial % customers.len() as u64) as usize].clone();
                    let pm = scope.create_payment_method(PaymentMethodCreate::card(customer, card(&number))).unwrap();
                    if i % 3 == 0 {
                        let update = PaymentMethodUpdate { nick_name: Some(format!("n{i}")), ..Default::default() };
                        scope.update_payment_method(&pm.payment_method.id, update).unwrap();
                    }
                    let mut out = out.lock().unwrap();
                    use std::io::Write;
                    writeln!(out, "ack {} {number}", pm.payment_method.id).unwrap();
                    out.flush().unwrap();
                }
            });
        }
    });
}

/// A closed vault with profile `pro_test` and 10 customers, for a crash child to write to.
fn crash_vault() -> TestVault {
    let t = open();
    for _ in 0..10 {
        new_customer(&t.scope);
    }
    t.vault.close();
    t
}

/// Runs the child on `dir` and kills it (SIGKILL) after `delay`. Returns the cards it
/// acknowledged (id, number) and whether its RocksDB had reused a write-ahead log.
fn crash_once(dir: &Path, seed: u64, small_memtables: bool, delay: Duration) -> (Vec<(String, String)>, bool) {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", "crash_child", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CRASH_DIR, dir)
        .env(CRASH_SEED, seed.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if small_memtables {
        command.env(CRASH_SMALL_MEMTABLES, "1");
    }
    let mut child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| {
                let mut parts = l.strip_prefix("ack ")?.split(' ');
                Some((parts.next()?.to_owned(), parts.next()?.to_owned()))
            })
            .collect::<Vec<_>>()
    });
    std::thread::sleep(delay);
    child.kill().unwrap();
    child.wait().unwrap();
    let acked = reader.join().unwrap();
    // The killed child's info log, before a reopen starts a new one.
    (acked, rocksdb_reused_a_log_this_run(dir))
}

/// Reopens the vault after a crash and checks it: this cycle's cards reveal in full,
/// every card acknowledged so far is there with its last four digits, `verify` finds no
/// problem (every value opens; every index entry has its record and every record its
/// entries) and the audit chain verifies.
fn check_after_crash(dir: &Path, cycle: u64, acked: Vec<(String, String)>, acknowledged: &mut HashMap<String, String>) {
    // The checks' own writes (reveal is audited) need no fsync.
    let mut check_options = crash_options(false);
    check_options.sync_writes = false;
    let vault = Vault::open(dir, check_options).unwrap();
    let scope = vault.profile(&ProfileId::parse("pro_test").unwrap()).unwrap();
    for (id, number) in &acked {
        let revealed = scope.reveal_payment_method(&PaymentMethodId::parse(id).unwrap()).unwrap();
        assert_eq!(revealed.card_number.expose(), number, "cycle {cycle}: acknowledged card changed");
    }
    acknowledged.extend(acked);
    for (id, number) in acknowledged.iter() {
        let pm = scope.retrieve_payment_method(&PaymentMethodId::parse(id).unwrap()).unwrap();
        assert_eq!(pm.card.last4_digits, number[number.len() - 4..], "cycle {cycle}: acknowledged card changed");
    }
    let report = vault.verify(&mut |_| {}).unwrap();
    assert!(report.problems.is_empty(), "cycle {cycle}: {:?}", report.problems);
    assert!(vault.verify_audit(&ProfileId::parse("pro_test").unwrap()).unwrap().first_bad.is_none());
    vault.close();
}

fn cycles_from_env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|c| c.parse().ok()).unwrap_or(default)
}

/// One vault, killed again and again: every cycle's child starts on what the crashes
/// before left behind.
#[test]
fn crash_recovery_loses_nothing() {
    let cycles = cycles_from_env("STRONGROOM_CRASH_CYCLES", 20);
    let t = crash_vault();
    let mut rng = Lcg(0x5eed);
    let mut acknowledged = HashMap::new();
    let started = Instant::now();
    for cycle in 1..=cycles {
        let (acked, _) = crash_once(t.path(), cycle, false, Duration::from_millis(100 + rng.next() % 400));
        check_after_crash(t.path(), cycle, acked, &mut acknowledged);
    }
    eprintln!(
        "crash loop: {cycles} SIGKILL cycles, {} acknowledged payment methods all present, {:.1?}",
        acknowledged.len(),
        started.elapsed()
    );
    assert!(acknowledged.len() as u64 >= cycles, "the child acknowledged too little to prove anything");
}

/// Kills that land while RocksDB writes into a reused write-ahead log, whose tail still
/// holds records of the log's earlier use: recovery must stop where the new records end
/// and lose nothing acknowledged. Each cycle starts a fresh vault (a 1 MiB memtable budget
/// leaves thousands of small tables behind, which would slow every later start).
#[test]
fn crash_in_a_reused_log_loses_nothing() {
    let cycles = cycles_from_env("STRONGROOM_REUSE_CRASH_CYCLES", 6);
    let mut rng = Lcg(0x7e05e);
    let (mut acknowledged, mut reused) = (0, 0);
    for cycle in 1..=cycles {
        let t = crash_vault();
        let (acked, reused_a_log) = crash_once(t.path(), cycle, true, Duration::from_millis(200 + rng.next() % 300));
        acknowledged += acked.len();
        reused += u64::from(reused_a_log);
        check_after_crash(t.path(), cycle, acked, &mut HashMap::new());
    }
    eprintln!("reused-log crashes: {cycles} cycles, {reused} killed after reusing a log, {acknowledged} cards present");
    assert!(reused * 2 > cycles, "only {reused} of {cycles} children reused a write-ahead log before they were killed");
}

// ---------------------------------------------------------------------------------------
// Leak sweep: after a mixed workload, no secret in any file or in the captured logs.

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn no_secret_reaches_a_file_or_a_log_after_a_mixed_workload() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let mut t = open();
    let mut numbers = Vec::new();
    let mut names = Vec::new();
    tracing::subscriber::with_default(subscriber, || {
        let customers: Vec<_> = (0..10)
            .map(|i| {
                let request = CustomerCreate { name: Some(format!("Customer Wqx{i:03}").into()), ..Default::default() };
                t.scope.create_customer(request).unwrap()
            })
            .collect();
        let mut ids = Vec::new();
        for i in 0..100u64 {
            let number = visa(7_000_000 + i * 7919);
            let name = format!("Holder Jzk{i:03}");
            let mut input = card(&number);
            input.card_holder_name = Some(name.as_str().into());
            let pm = t
                .scope
                .create_payment_method(PaymentMethodCreate::card(customers[(i % 10) as usize].id.clone(), input))
                .unwrap()
                .payment_method;
            ids.push(pm.id);
            numbers.push(number);
            names.push(name);
        }
        for (i, id) in ids.iter().enumerate() {
            match i % 5 {
                0 => {
                    let renamed = format!("Renamed Pqv{i:03}");
                    let update = PaymentMethodUpdate {
                        card_holder_name: Some(renamed.as_str().into()),
                        card_cvc: Some("737".into()),
                        ..Default::default()
                    };
                    t.scope.update_payment_method(id, update).unwrap();
                    names.push(renamed);
                }
                1 => assert_eq!(t.scope.reveal_payment_method(id).unwrap().card_number.expose(), numbers[i]),
                2 => assert!(t.scope.take_cvc(id).unwrap().is_some()),
                3 => {
                    t.scope.delete_payment_method(id).unwrap();
                }
                _ => assert!(t.scope.retrieve_payment_method(id).is_ok()),
            }
        }
        // Bad input that carries a card number must not echo it either.
        let mut bad = card(&numbers[0]);
        bad.card_exp_month = "13".into();
        let err = t.scope.create_payment_method(PaymentMethodCreate::card(customers[0].id.clone(), bad)).unwrap_err();
        assert!(!format!("{err} {err:?}").contains(&numbers[0]));
        let profile = ProfileId::parse("pro_test").unwrap();
        t.vault.rotate_profile_key(&profile).unwrap();
        t.vault.reencrypt_profile(&profile, Default::default(), &mut |_| std::ops::ControlFlow::Continue(())).unwrap();
        t.reopen();
    });
    t.vault.close();
    let logs = logs.0.lock().unwrap().clone();
    let files = all_files(t.path());
    let mut hits = 0;
    for secret in numbers
        .iter()
        .map(|n| n.as_str())
        .chain(numbers.iter().map(|n| &n[..12]))
        .chain(names.iter().map(String::as_str))
    {
        for (path, bytes) in &files {
            if contains(bytes, secret.as_bytes()) {
                hits += 1;
                eprintln!("secret found in {}", path.display());
            }
        }
        if contains(&logs, secret.as_bytes()) {
            hits += 1;
            eprintln!("secret found in the logs");
        }
    }
    eprintln!(
        "leak sweep: {} files, {} bytes of logs, {} secrets searched",
        files.len(),
        logs.len(),
        numbers.len() * 2 + names.len()
    );
    assert_eq!(hits, 0);
}

// ---------------------------------------------------------------------------------------
// Resource bounds

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[test]
fn oversized_input_is_rejected_early_and_memory_stays_bounded() {
    let t = open();
    let customer = new_customer(&t.scope);
    let ten_mb = "x".repeat(10 << 20);
    let many_keys = Metadata((0..100_000).map(|i| (format!("k{i}"), "v".to_owned())).collect());
    let before = peak_rss_kib();
    let started = Instant::now();
    for _ in 0..20 {
        let e = t
            .scope
            .create_customer(CustomerCreate { name: Some(ten_mb.as_str().into()), ..Default::default() })
            .unwrap_err();
        assert_eq!((e.code(), e.field()), ("IR_05", Some("name")));
        let e = t
            .scope
            .create_customer(CustomerCreate { metadata: Some(many_keys.clone()), ..Default::default() })
            .unwrap_err();
        assert_eq!((e.code(), e.field()), ("IR_05", Some("metadata")));
        let mut input = card(&ten_mb);
        input.card_holder_name = Some(ten_mb.as_str().into());
        let e = t.scope.create_payment_method(PaymentMethodCreate::card(customer.id.clone(), input)).unwrap_err();
        assert_eq!(e.code(), "IR_05");
    }
    let elapsed = started.elapsed();
    // The inputs themselves are ~10 MB (plus the metadata clones); the vault adds no copy
    // that grows with them.
    let grown_mib = (peak_rss_kib().saturating_sub(before)) / 1024;
    eprintln!("oversized input: 60 rejections in {elapsed:.1?}, peak RSS grew {grown_mib} MiB");
    assert!(grown_mib < 64, "peak RSS grew {grown_mib} MiB");
    assert_eq!(t.vault.stats().unwrap().total.customers, 1);
}
