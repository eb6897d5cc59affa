"""Eight Python threads creating and reading cards on one vault."""

import threading

import strongroom
from conftest import new_card

THREADS = 8
CARDS_PER_THREAD = 25


def luhn_card(prefix: str, serial: int) -> str:
    body = f"{prefix}{serial:09d}"[:15]
    digits = [int(d) for d in body]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return body + str((10 - total % 10) % 10)


def test_eight_threads_create_and_read(vault, scope):
    results = {}
    errors = []
    barrier = threading.Barrier(THREADS)

    def worker(t):
        try:
            barrier.wait()
            customer = scope.create_customer(strongroom.CustomerCreate(name=f"thread {t}"))
            mine = {}
            for i in range(CARDS_PER_THREAD):
                number = luhn_card(f"4{t:02d}", i)
                pm = scope.create_payment_method(new_card(customer.id, number, card_cvc=f"{i:03d}")).payment_method
                assert scope.retrieve_payment_method(pm.id).card.last4_digits == number[-4:]
                mine[pm.id] = number
            listed = scope.list_payment_methods(customer.id, 100, None).payment_methods
            assert sorted(p.id for p in listed) == sorted(mine)
            for pm_id, number in mine.items():
                assert scope.reveal_payment_method(pm_id).card_number() == number
            results[t] = (customer.id, mine)
        except Exception as e:  # reported below, on the main thread
            errors.append((t, repr(e)))

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert len(results) == THREADS
    all_ids = [pm_id for _, mine in results.values() for pm_id in mine]
    assert len(set(all_ids)) == THREADS * CARDS_PER_THREAD
    stats = vault.stats()
    assert stats.total.customers == THREADS
    assert stats.total.payment_methods == THREADS * CARDS_PER_THREAD
    assert vault.verify().problems == []


def test_threads_racing_on_the_same_card_get_one_token(scope, customer):
    ids = []
    barrier = threading.Barrier(THREADS)

    def worker():
        barrier.wait()
        ids.append(scope.create_payment_method(new_card(customer.id)).payment_method.id)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(ids) == THREADS and len(set(ids)) == 1
