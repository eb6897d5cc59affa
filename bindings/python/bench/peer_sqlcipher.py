"""Strongroom from Python against SQLCipher from Python (`sqlcipher3`), side by side (not a test).

What a Python host would embed instead of Strongroom: SQLCipher with a raw 256-bit key and
WAL, holding the same things per card as benches/src/peers.rs does for Rust: the record
(same size as the vault's sealed record), an HMAC-SHA256 card fingerprint with a unique
index per customer, an index by customer, and the CVC in its own table, in one transaction
per create. Both sides at equal durability: without fsync (vault `sync_writes=False`,
SQLite `synchronous=OFF`) and with an fsync per create (`sync_writes=True`,
`synchronous=FULL`). One thread. Prints one JSON line per durability with the medians over
the rounds and the ratios.

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


def compare(cards: int, rounds: int, sync: bool) -> dict:
    results = {"strongroom": ([], []), "sqlcipher": ([], [])}
    with tempfile.TemporaryDirectory() as tmp:
        conn = open_sqlcipher(tmp + "/peer.db", sync)
        with strongroom.open_vault(tmp + "/vault", bytes([7] * 32), "bench", sync_writes=sync) as vault:
            # Alternate the two, round by round, so both see the same machine.
            for r in range(rounds):
                for name, run in (("strongroom", lambda: vault_round(vault, cards, r)), ("sqlcipher", lambda: sqlcipher_round(conn, cards, r))):
                    create, retrieve = run()
                    results[name][0].append(create)
                    results[name][1].append(retrieve)
        conn.close()
    med = {name: (statistics.median(c), statistics.median(rt)) for name, (c, rt) in results.items()}
    return {
        "durability": "fsync per create" if sync else "no fsync",
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


if __name__ == "__main__":
    main()
