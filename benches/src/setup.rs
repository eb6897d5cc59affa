//! A vault in a temporary directory with one profile and customers, and the requests the
//! benchmarks send.

use std::path::Path;

use strongroom_core::{
    CardInput, CustomerCreate, CustomerId, MasterKey, MasterKeyId, MasterKeyRing, MerchantId, PaymentMethodCreate,
    PaymentMethodId, ProfileCreate, ProfileId, ProfileScope, ProfileSettings, Vault, VaultOptions,
};
use tempfile::TempDir;

use crate::cards::card_number;

pub struct BenchVault {
    pub dir: TempDir,
    pub vault: Vault,
    pub scope: ProfileScope,
    pub customers: Vec<CustomerId>,
}

pub fn options(sync_writes: bool) -> VaultOptions {
    let ring = MasterKeyRing::single(
        MasterKeyId::parse("bench").expect("static id"),
        MasterKey::from_slice(&[7; 32]).expect("32 bytes"),
    );
    let mut options = VaultOptions::new(ring);
    options.sync_writes = sync_writes;
    options
}

/// Opens a vault in `path` with profile `pro_bench` and `customers` customers.
pub fn open_at(path: &Path, sync_writes: bool, customers: usize) -> (Vault, ProfileScope, Vec<CustomerId>) {
    open_at_with(path, sync_writes, customers, |path, options| Vault::open(path, options))
}

/// [`open_at`], opening the vault with `open`.
pub fn open_at_with(
    path: &Path,
    sync_writes: bool,
    customers: usize,
    open: impl FnOnce(&Path, VaultOptions) -> strongroom_core::Result<Vault>,
) -> (Vault, ProfileScope, Vec<CustomerId>) {
    let vault = open(path, options(sync_writes)).expect("open vault");
    let profile = ProfileId::parse("pro_bench").expect("static id");
    vault
        .create_profile(ProfileCreate {
            profile_id: profile.clone(),
            merchant_id: MerchantId::parse("merchant_bench").expect("static id"),
            settings: ProfileSettings::default(),
        })
        .expect("create profile");
    let scope = vault.profile(&profile).expect("profile");
    let customers = (0..customers)
        .map(|i| {
            scope
                .create_customer(CustomerCreate { name: Some(format!("Customer {i}").into()), ..Default::default() })
                .expect("create customer")
                .id
        })
        .collect();
    (vault, scope, customers)
}

impl BenchVault {
    pub fn new(sync_writes: bool, customers: usize) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let (vault, scope, customers) = open_at(dir.path(), sync_writes, customers);
        Self { dir, vault, scope, customers }
    }

    /// A vault whose RocksDB never reuses a retired write-ahead log, otherwise alike.
    pub fn without_log_reuse(sync_writes: bool, customers: usize) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let (vault, scope, customers) =
            open_at_with(dir.path(), sync_writes, customers, strongroom_core::internals::open_vault_without_log_reuse);
        Self { dir, vault, scope, customers }
    }

    /// Creates cards numbered `from` to `from + count - 1` and returns their ids.
    pub fn fill(&self, from: u64, count: u64) -> Vec<PaymentMethodId> {
        (from..from + count)
            .map(|i| {
                let customer = &self.customers[(i % self.customers.len() as u64) as usize];
                self.scope.create_payment_method(create_request(customer, i)).expect("create").payment_method.id
            })
            .collect()
    }

    /// Creates `count` cards, numbered from `serial` on.
    pub fn preload(&self, serial: &mut u64, count: u64) {
        for _ in 0..count {
            *serial += 1;
            let customer = &self.customers[(*serial % self.customers.len() as u64) as usize];
            self.scope.create_payment_method(create_request(customer, *serial)).expect("create");
        }
    }
}

/// The create request the benchmarks send: a card with holder name and CVC (a 16-digit
/// number, ~200 B sealed record), for `customer`.
pub fn create_request(customer: &CustomerId, serial: u64) -> PaymentMethodCreate {
    PaymentMethodCreate::card(
        customer.clone(),
        CardInput {
            card_number: card_number(serial).into(),
            card_exp_month: "12".into(),
            card_exp_year: "2035".into(),
            card_holder_name: Some("Bench Holder".into()),
            card_cvc: Some("123".into()),
            ..Default::default()
        },
    )
}

/// Whether RocksDB in `dir` has reused a retired write-ahead log (its info log says so).
pub fn reused_a_log(dir: &Path) -> bool {
    strongroom_core::internals::info_log_reports_log_reuse(&dir.join("LOG"))
}

/// Creates cards in `b` (numbered from `serial` on) until RocksDB has reused a retired
/// write-ahead log, checking every thousand creates; `smoke`: a thousand creates and no
/// check. Returns how many it created.
pub fn settle(b: &BenchVault, serial: &mut u64, smoke: bool) -> u64 {
    const CHUNK: u64 = 1000;
    const MOST: u64 = 1_000_000;
    let mut created = 0;
    while created < MOST {
        b.preload(serial, CHUNK);
        created += CHUNK;
        if smoke || reused_a_log(b.dir.path()) {
            return created;
        }
    }
    panic!("RocksDB reused no write-ahead log in {MOST} creates: is reuse off?");
}
