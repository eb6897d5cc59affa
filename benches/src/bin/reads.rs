//! Retrieves, one thread, the vault against SQLCipher and raw RocksDB in the same rounds
//! (not criterion): on this shared machine criterion's groups run tens of seconds apart
//! and a neighbour's load moves one peer's figure and not the other's. Here the peers take
//! turns in every round (the order rotating), each timing a batch of retrieves, and the
//! ratio is taken inside each round.
//!
//! `cargo run --release -p strongroom-benches --bin reads -- [retrieves per batch] [rounds]`
//!
//! Default 20,000 retrieves × 15 rounds, over 10,000 stored cards in each store (the
//! `ops` bench's setup): the vault's masked retrieve; SQLCipher (128 MiB page cache, as
//! much as the vault's block cache) selecting the record of the same size by id; a raw
//! RocksDB get of that record. Ids are made beforehand for every peer.

use std::time::Instant;

use strongroom_benches::peers::{self, SqlCipher, WriteSet};
use strongroom_benches::setup::BenchVault;

const STORED: u64 = 10_000;
/// Steps through the stored cards in an order unrelated to insertion (a prime stride).
const STRIDE: usize = 7919;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let per_batch: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let rounds: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(15);

    let vault = BenchVault::new(false, 1000);
    let vault_ids = vault.fill(0, STORED);

    let write_set = WriteSet::of_create(200);
    let raw_dir = tempfile::tempdir().expect("temp dir");
    let db = peers::open_raw(raw_dir.path());
    let raw_keys = peers::fill_raw_records(&db, &write_set, STORED);
    let cf = db.cf_handle("payment_methods").expect("cf");

    let sql_dir = tempfile::tempdir().expect("temp dir");
    let mut sql = SqlCipher::open(&sql_dir.path().join("peer.db"), false);
    let sql_ids = sql.fill(STORED, write_set.record_shape().1);

    let names = ["vault", "SQLCipher", "raw RocksDB get"];
    let mut cursor = 0usize;
    let mut batch = |peer: usize| {
        let started = Instant::now();
        for _ in 0..per_batch {
            cursor = (cursor + STRIDE) % STORED as usize;
            match peer {
                0 => drop(std::hint::black_box(
                    vault.scope.retrieve_payment_method(&vault_ids[cursor]).expect("retrieve"),
                )),
                1 => drop(std::hint::black_box(sql.retrieve(&sql_ids[cursor]))),
                _ => drop(std::hint::black_box(db.get_pinned_cf(cf, &raw_keys[cursor]).expect("get").map(|v| v.len()))),
            }
        }
        started.elapsed().as_secs_f64() * 1e9 / per_batch as f64
    };
    // One unmeasured batch each: caches, prepared statements, branch predictors.
    for peer in 0..names.len() {
        batch(peer);
    }

    let mut per_op: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    let (mut over_sql, mut over_raw) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let mut this_round = [0.0; 3];
        for turn in 0..names.len() {
            let peer = (turn + round) % names.len();
            this_round[peer] = batch(peer);
            per_op[peer].push(this_round[peer]);
        }
        over_sql.push(this_round[0] / this_round[1]);
        over_raw.push(this_round[0] / this_round[2]);
        println!(
            "round {round:>2}  vault {:>7.0} ns  SQLCipher {:>7.0} ns  raw get {:>6.0} ns  vault/SQLCipher {:.2}×",
            this_round[0],
            this_round[1],
            this_round[2],
            this_round[0] / this_round[1]
        );
    }
    println!("medians over {rounds} rounds of {per_batch} retrieves each:");
    for (name, times) in names.iter().zip(per_op) {
        println!("  {name:<16} {:>7.0} ns per retrieve", median(times));
    }
    println!(
        "  vault / SQLCipher {:.2}× (median of the rounds' ratios), vault / raw get {:.2}×",
        median(over_sql),
        median(over_raw)
    );
}
