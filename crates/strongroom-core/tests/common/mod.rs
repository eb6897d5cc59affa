//! Helpers shared by the behaviour tests: a vault in a temporary directory with a manual
//! clock, test cards, and raw views of the RocksDB files.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use strongroom_core::internals::{ClearFieldEdit, edit_payment_method_record};
use strongroom_core::{
    CardInput, Customer, CustomerCreate, CustomerId, ManualClock, MasterKey, MasterKeyId, MasterKeyRing, MerchantId,
    PaymentMethod, PaymentMethodCreate, ProfileCreate, ProfileId, ProfileScope, ProfileSettings, Timestamp, Vault,
    VaultOptions,
};
use tempfile::TempDir;

pub const MASTER_KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/// 2026-11-24T00:00:00Z: every test runs at this instant unless it moves the clock.
pub fn start_time() -> Timestamp {
    Timestamp::from_millis(1_795_478_400_000)
}

pub fn ring() -> MasterKeyRing {
    MasterKeyRing::single(MasterKeyId::parse("k1").unwrap(), MasterKey::from_hex(MASTER_KEY_HEX).unwrap())
}

pub fn options(clock: &Arc<ManualClock>) -> VaultOptions {
    let mut options = VaultOptions::new(ring());
    // Durability is tested where it matters; elsewhere fsync only slows the suite.
    options.sync_writes = false;
    options.clock = clock.clone();
    options
}

pub struct TestVault {
    pub dir: TempDir,
    pub clock: Arc<ManualClock>,
    pub vault: Vault,
    pub scope: ProfileScope,
}

impl TestVault {
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Closes and reopens the vault from the same directory.
    pub fn reopen(&mut self) {
        self.vault.close();
        self.vault = Vault::open(self.dir.path(), options(&self.clock)).unwrap();
        self.scope = self.vault.profile(self.scope.profile_id()).unwrap();
    }
}

pub fn profile_id(id: &str) -> ProfileId {
    ProfileId::parse(id).unwrap()
}

pub fn create_profile(vault: &Vault, id: &str) -> ProfileScope {
    vault
        .create_profile(ProfileCreate {
            profile_id: profile_id(id),
            merchant_id: MerchantId::parse("merchant_1").unwrap(),
            settings: ProfileSettings::default(),
        })
        .unwrap();
    vault.profile(&profile_id(id)).unwrap()
}

/// A fresh vault with one profile, `pro_test`.
pub fn open() -> TestVault {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(start_time()));
    let vault = Vault::open(dir.path(), options(&clock)).unwrap();
    let scope = create_profile(&vault, "pro_test");
    TestVault { dir, clock, vault, scope }
}

pub fn card(number: &str) -> CardInput {
    CardInput {
        card_number: number.into(),
        card_exp_month: "03".into(),
        card_exp_year: "2030".into(),
        card_holder_name: Some("joseph Doe".into()),
        card_cvc: Some(if number.starts_with("34") || number.starts_with("37") { "7373" } else { "737" }.into()),
        ..Default::default()
    }
}

pub fn new_customer(scope: &ProfileScope) -> Customer {
    scope
        .create_customer(CustomerCreate {
            name: Some("John Doe".into()),
            email: Some("guest@example.com".into()),
            ..Default::default()
        })
        .unwrap()
}

pub fn save_card(scope: &ProfileScope, customer: &CustomerId, number: &str) -> PaymentMethod {
    scope.create_payment_method(PaymentMethodCreate::card(customer.clone(), card(number))).unwrap().payment_method
}

/// A Luhn-valid 16-digit Visa number derived from `n` (distinct for distinct `n`).
pub fn visa(n: u64) -> String {
    let body = format!("4{:014}", n % 100_000_000_000_000);
    let check = luhn_check_digit(&body);
    format!("{body}{check}")
}

pub fn luhn_check_digit(body: &str) -> u32 {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let d2 = d * 2;
                if d2 > 9 { d2 - 9 } else { d2 }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

pub const COLUMN_FAMILIES: [&str; 11] = [
    "meta",
    "profiles",
    "customers",
    "customer_refs",
    "payment_methods",
    "pm_by_customer",
    "fingerprints",
    "cvc",
    "pm_expiry",
    "api_keys",
    "audit",
];

pub type RawDump = BTreeMap<String, Vec<(Vec<u8>, Vec<u8>)>>;

/// Every key and value of every column family, read directly with RocksDB.
/// The vault must be closed.
pub fn raw_dump(path: &Path) -> RawDump {
    let db = rocksdb::DB::open_cf_for_read_only(&rocksdb::Options::default(), path, COLUMN_FAMILIES, false).unwrap();
    let mut dump = BTreeMap::new();
    for name in COLUMN_FAMILIES {
        let cf = db.cf_handle(name).unwrap();
        let entries = db
            .iterator_cf(cf, rocksdb::IteratorMode::Start)
            .map(|e| {
                let (k, v) = e.unwrap();
                (k.to_vec(), v.to_vec())
            })
            .collect();
        dump.insert(name.to_owned(), entries);
    }
    dump
}

/// Opens the vault's RocksDB directly for writing (the vault must be closed), to tamper.
pub fn raw_db(path: &Path) -> rocksdb::DB {
    let opts = rocksdb::Options::default();
    rocksdb::DB::open_cf(&opts, path, COLUMN_FAMILIES).unwrap()
}

/// Rewrites payment method `id` of `pro_test` in `db` (from `raw_db`) with a clear field
/// changed and its checksum computed again, as someone holding no key could.
pub fn rewrite_payment_method(db: &rocksdb::DB, id: &str, edit: ClearFieldEdit) {
    let pms = db.cf_handle("payment_methods").unwrap();
    let key = [b"pro_test\0".as_slice(), id.as_bytes()].concat();
    let stored = db.get_cf(pms, &key).unwrap().unwrap();
    db.put_cf(pms, &key, edit_payment_method_record(&stored, edit).unwrap()).unwrap();
}

/// Damages payment method `id` of `pro_test` in `db` (from `raw_db`): one byte of its
/// record flipped, so that the record no longer decodes.
pub fn damage_payment_method(db: &rocksdb::DB, id: &str) {
    let pms = db.cf_handle("payment_methods").unwrap();
    let key = [b"pro_test\0".as_slice(), id.as_bytes()].concat();
    let mut value = db.get_cf(pms, &key).unwrap().unwrap();
    value[3] ^= 0x20;
    db.put_cf(pms, &key, value).unwrap();
}

/// Every file under `dir`, recursively, with its bytes.
pub fn all_files(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.push((path, bytes));
            }
        }
    }
    out
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Whether RocksDB in `dir` reused a retired write-ahead log since it was last opened
/// (its info log, `LOG`, says so).
pub fn rocksdb_reused_a_log_this_run(dir: &Path) -> bool {
    strongroom_core::internals::info_log_reports_log_reuse(&dir.join("LOG"))
}

/// Whether RocksDB in `dir` reused a retired write-ahead log in any run whose info log is
/// kept (`LOG`, and `LOG.old.*` from earlier opens).
pub fn rocksdb_reused_a_log(dir: &Path) -> bool {
    std::fs::read_dir(dir).unwrap().map(|entry| entry.unwrap().path()).any(|path| {
        path.file_name().is_some_and(|name| name.to_string_lossy().starts_with("LOG"))
            && strongroom_core::internals::info_log_reports_log_reuse(&path)
    })
}
