"""Micro-benchmark of the Python binding (not a test).

The same workload as crates/strongroom-ffi/examples/ops_baseline.rs (Rust, on the core
directly) and bindings/kotlin/bench: per round, on a fresh profile of one vault without
fsync, create N cards for N/100 customers, retrieve each once, and make N calls of the
cheapest method (`profile_id`, the bare cost of a call through the binding). Prints one
JSON line of medians over the rounds; scripts/bench-bindings.sh compares the languages.

Run: bash bindings/python/run.sh bench [cards] [rounds]
"""

import json
import statistics
import sys
import tempfile
import time

import strongroom


def luhn_card(prefix: str, serial: int) -> str:
    body = prefix + str(serial).rjust(15 - len(prefix), "0")
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return body + str((10 - total % 10) % 10)


def card_requests(vault, cards: int, round_no: int):
    """A fresh profile with cards/100 customers; returns its scope and `cards` card requests."""
    vault.create_profile(f"pro_bench{round_no}", "merchant_bench", None)
    scope = vault.profile(f"pro_bench{round_no}")
    customers = [scope.create_customer(strongroom.CustomerCreate(name=f"c{i}")).id for i in range((cards + 99) // 100)]
    requests = [
        strongroom.PaymentMethodCreate(
            customer_id=customers[i // 100],
            card=strongroom.CardInput(
                card_number=luhn_card("4", i),
                card_exp_month="12",
                card_exp_year="2035",
                card_cvc="123",
                card_holder_name="Bench Holder",
            ),
        )
        for i in range(cards)
    ]
    return scope, requests


def main() -> None:
    cards = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    create, retrieve, call = [], [], []
    with tempfile.TemporaryDirectory() as tmp, strongroom.open_vault(
        tmp + "/vault", bytes([7] * 32), "bench", sync_writes=False
    ) as vault:
        for r in range(rounds):
            scope, requests = card_requests(vault, cards, r)
            started = time.perf_counter()
            ids = [scope.create_payment_method(req).payment_method.id for req in requests]
            create.append(cards / (time.perf_counter() - started))

            started = time.perf_counter()
            for pm_id in ids:
                scope.retrieve_payment_method(pm_id)
            retrieve.append(cards / (time.perf_counter() - started))

            started = time.perf_counter()
            for _ in range(cards):
                scope.profile_id()
            call.append(cards / (time.perf_counter() - started))
    print(
        json.dumps(
            {
                "language": "python",
                "cards": cards,
                "rounds": rounds,
                "create_ops_s": round(statistics.median(create)),
                "retrieve_ops_s": round(statistics.median(retrieve)),
                "call_ops_s": round(statistics.median(call)),
            }
        )
    )


if __name__ == "__main__":
    main()
