"""Strongroom from Python against SQLCipher from Python (`sqlcipher3`), side by side (not a test).

What a Python host would embed instead of Strongroom: SQLCipher with a raw 256-bit key and
WAL, holding the same things per card as benches/src/peers.rs does for Rust: the record
(same size as the vault's sealed record), an HMAC-SHA256 card fingerprint with a unique
index per customer, an index by customer, and the CVC in its own table, in one transaction
per create. Both sides at equal durability: without fsync (vault `sync_writes=False`,
SQLite `synchronous=OFF`) and with an fsync per create (`sync_writes=True`,
`synchronous=FULL`). One thread. Prints one JSON line per durability with the medians over
the rounds and the ratios.

The third line is the synced comparison again, in stores that have run a while (as the Rust
`durable` bench does): first the vault takes synced creates until its RocksDB has reused a
retired write-ahead log, which a fresh store never reaches, and SQLCipher takes as many
(without fsync: sync is per connection there, as the Rust peer preloads it).

Run: bash bindings/python/run.sh bench-peer [cards] [rounds] [cards_with_fsync]
"""

import hashlib
import hmac
import json
import os
import statistics
import sys
import tempfile
import time

import sqlcipher3

import strongroom
from bench import card_requests, luhn_card

RECORD_BYTES = 300  # about the vault's payment method record (BENCHMARKS.md)
RAW_KEY = "x'" + "0f" * 32 + "'"
SETTLE_CHUNK = 1000  # creates between two looks at the vault's RocksDB info log
SETTLE_MOST = 300  # chunks; the Rust bench's vault reuses a log after ~53
SETTLE_FIRST_ROUND = 1000  # profile and id numbers of the preload, apart from the rounds'


def open_sqlcipher(path: str, sync: bool):
    conn = sqlcipher3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute(f'PRAGMA key = "{RAW_KEY}"')
    conn.execute("PRAGMA journal_mode = WAL")
    # As much page cache as the vault's block cache (128 MiB; negative: KiB).
    conn.execute("PRAGMA cache_size = -131072")
    conn.execute(f"PRAGMA synchronous = {'FULL' if sync else 'OFF'}")
    conn.executescript(
        """
        CREATE TABLE IF NOT EXISTS payment_methods (
            id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, fingerprint BLOB NOT NULL, record BLOB NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS pm_by_customer ON payment_methods (customer_id, id);
        CREATE UNIQUE INDEX IF NOT EXISTS pm_fingerprint ON payment_methods (customer_id, fingerprint);
        CREATE TABLE IF NOT EXISTS cvc (id TEXT PRIMARY KEY, expires_at INTEGER, value BLOB) WITHOUT ROWID;
        """
    )
    return conn


def sqlcipher_round(conn, cards: int, round_no: int):
    fingerprint_key = bytes(range(32))
    rows = []
    for i in range(cards):
        number = luhn_card("4", i)
        rows.append(
            (
                f"pm_{round_no:04d}{i:028d}",
                f"cus_{round_no:04d}{i // 100:028d}",
                hmac.new(fingerprint_key, number.encode(), hashlib.sha256).digest(),
                os.urandom(RECORD_BYTES),
            )
        )
    started = time.perf_counter()
    for pm_id, customer, fingerprint, record in rows:
        conn.execute("BEGIN")
        conn.execute("INSERT INTO payment_methods VALUES (?, ?, ?, ?)", (pm_id, customer, fingerprint, record))
        conn.execute("INSERT INTO cvc VALUES (?, ?, ?)", (pm_id, 0, b"123"))
        conn.execute("COMMIT")
    create = cards / (time.perf_counter() - started)
    started = time.perf_counter()
    for pm_id, *_ in rows:
        conn.execute("SELECT record FROM payment_methods WHERE id = ?", (pm_id,)).fetchone()
    retrieve = cards / (time.perf_counter() - started)
    return create, retrieve


def vault_round(vault, cards: int, round_no: int):
    scope, requests = card_requests(vault, cards, round_no)
    started = time.perf_counter()
    ids = [scope.create_payment_method(req).payment_method.id for req in requests]
    create = cards / (time.perf_counter() - started)
    started = time.perf_counter()
    for pm_id in ids:
        scope.retrieve_payment_method(pm_id)
    retrieve = cards / (time.perf_counter() - started)
    return create, retrieve


def reused_a_log(vault_dir: str) -> bool:
    """Whether RocksDB in `vault_dir` has reused a retired write-ahead log (its info log says so)."""
    try:
        with open(os.path.join(vault_dir, "LOG"), encoding="utf-8", errors="replace") as log:
            return "from recycle list" in log.read()
    except FileNotFoundError:
        return False


def settle(vault, vault_dir: str, conn) -> int:
    """Creates into the vault until its RocksDB has reused a log, then as many into SQLCipher."""
    chunks = 0
    while not reused_a_log(vault_dir):
        if chunks == SETTLE_MOST:
            raise RuntimeError(f"RocksDB reused no write-ahead log in {chunks * SETTLE_CHUNK} creates")
        scope, requests = card_requests(vault, SETTLE_CHUNK, SETTLE_FIRST_ROUND + chunks)
        for request in requests:
            scope.create_payment_method(request)
        chunks += 1
    conn.execute("PRAGMA synchronous = OFF")
    for chunk in range(chunks):
        sqlcipher_round(conn, SETTLE_CHUNK, SETTLE_FIRST_ROUND + chunk)
    conn.execute("PRAGMA synchronous = FULL")
    return chunks * SETTLE_CHUNK


def compare(cards: int, rounds: int, sync: bool, settled: bool = False) -> dict:
    results = {"strongroom": ([], []), "sqlcipher": ([], [])}
    preloaded = 0
    with tempfile.TemporaryDirectory() as tmp:
        conn = open_sqlcipher(tmp + "/peer.db", sync)
        with strongroom.open_vault(tmp + "/vault", bytes([7] * 32), "bench", sync_writes=sync) as vault:
            if settled:
                preloaded = settle(vault, tmp + "/vault", conn)
            # Alternate the two, round by round, so both see the same machine.
            for r in range(rounds):
                for name, run in (("strongroom", lambda: vault_round(vault, cards, r)), ("sqlcipher", lambda: sqlcipher_round(conn, cards, r))):
                    create, retrieve = run()
                    results[name][0].append(create)
                    results[name][1].append(retrieve)
        conn.close()
    med = {name: (statistics.median(c), statistics.median(rt)) for name, (c, rt) in results.items()}
    durability = "fsync per create" if sync else "no fsync"
    return {
        "durability": durability + (", stores that have run a while" if settled else ""),
        "preloaded": preloaded,
        "cards": cards,
        "rounds": rounds,
        "strongroom_create_ops_s": round(med["strongroom"][0]),
        "sqlcipher_create_ops_s": round(med["sqlcipher"][0]),
        "create_ratio": round(med["strongroom"][0] / med["sqlcipher"][0], 2),
        "strongroom_retrieve_ops_s": round(med["strongroom"][1]),
        "sqlcipher_retrieve_ops_s": round(med["sqlcipher"][1]),
        "retrieve_ratio": round(med["strongroom"][1] / med["sqlcipher"][1], 2),
    }


def main() -> None:
    cards = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    synced_cards = int(sys.argv[3]) if len(sys.argv) > 3 else 300
    print(json.dumps(compare(cards, rounds, sync=False)))
    print(json.dumps(compare(synced_cards, rounds, sync=True)))
    print(json.dumps(compare(synced_cards, rounds, sync=True, settled=True)))


if __name__ == "__main__":
    main()
