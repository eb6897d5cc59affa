"""Creates back to back against creates that each follow an idle pause (not a test).

The Python counterpart of benches/examples/cold_create.rs: without fsync, creates timed
one by one, first back to back, then each after `pause` µs of sleep.

Run: bash bindings/python/run.sh cold-create [creates] [pause µs]
"""

import statistics
import sys
import tempfile
import time

import strongroom
from bench import card_requests


def main() -> None:
    creates = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    pause = (int(sys.argv[2]) if len(sys.argv) > 2 else 300) / 1e6
    with tempfile.TemporaryDirectory() as tmp, strongroom.open_vault(
        tmp + "/vault", bytes([7] * 32), "bench", sync_writes=False
    ) as vault:
        scope, requests = card_requests(vault, 2 * creates, 0)

        def timed(request):
            started = time.perf_counter()
            scope.create_payment_method(request)
            return time.perf_counter() - started

        hot = [timed(r) for r in requests[:creates]]
        cold = []
        for r in requests[creates:]:
            time.sleep(pause)
            cold.append(timed(r))
    hot_us, cold_us = statistics.median(hot) * 1e6, statistics.median(cold) * 1e6
    print(f"create p50: back to back {hot_us:.1f} µs, after a {pause * 1e6:.0f} µs pause {cold_us:.1f} µs ({cold_us / hot_us:.1f}×)")


if __name__ == "__main__":
    main()
