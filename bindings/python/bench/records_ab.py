"""Records read and written in one step against the generated converters, in one process
(not a test).

Per round, on a fresh profile of one vault without fsync: create N cards for N/100
customers, retrieve each once, list each customer's cards (100 a page), with one of the two
kinds of converters installed; the rounds alternate which goes first. Prints one JSON line
of medians (microseconds per call) for each, and their ratios. The generated converters are
used by putting back what `_fast_records` and `_fast_requests` replaced, so nothing else
(the faster buffers, the argument checks) changes between them.

Run: bash bindings/python/run.sh bench-records [cards] [rounds]
"""

import json
import statistics
import sys
import tempfile
import time

import strongroom
from strongroom import _fast_records, _fast_requests
from strongroom._native import strongroom as generated

from bench import card_requests

CONVERTERS = {
    "one_step": [("read", name, getattr(generated, name).read) for name in _fast_records.GENERATED]
    + [("write", name, getattr(generated, name).write) for name in _fast_requests.GENERATED],
    "generated": [("read", name, read) for name, read in _fast_records.GENERATED.items()]
    + [("write", name, write) for name, write in _fast_requests.GENERATED.items()],
}


def use(which):
    for method, name, function in CONVERTERS[which]:
        setattr(getattr(generated, name), method, staticmethod(function))


def timed(calls):
    started = time.perf_counter()
    count = 0
    for call in calls:
        call()
        count += 1
    return (time.perf_counter() - started) / count * 1e6


def main() -> None:
    cards = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    figures = {which: {"create": [], "retrieve": [], "list": []} for which in CONVERTERS}
    try:
        with tempfile.TemporaryDirectory() as tmp, strongroom.open_vault(
            tmp + "/vault", bytes([7] * 32), "bench", sync_writes=False
        ) as vault:
            for r in range(rounds):
                for which in ("one_step", "generated") if r % 2 == 0 else ("generated", "one_step"):
                    use(which)
                    scope, requests = card_requests(vault, cards, f"{r}{which}")
                    ids = []
                    figures[which]["create"].append(
                        timed(lambda q=q: ids.append(scope.create_payment_method(q).payment_method.id) for q in requests)
                    )
                    figures[which]["retrieve"].append(timed(lambda i=i: scope.retrieve_payment_method(i) for i in ids))
                    customers = sorted({q.customer_id for q in requests})
                    figures[which]["list"].append(
                        timed(lambda c=c: scope.list_payment_methods(c, 100, None) for c in customers)
                    )
    finally:
        use("one_step")
    medians = {w: {op: round(statistics.median(v), 1) for op, v in ops.items()} for w, ops in figures.items()}
    ratios = {op: round(medians["generated"][op] / medians["one_step"][op], 2) for op in medians["one_step"]}
    print(json.dumps({"cards": cards, "rounds": rounds, "us_per_call": medians, "generated_over_one_step": ratios}))


if __name__ == "__main__":
    main()
