"""`import_orders` rate: new orders imported into the loaded database."""

from bench.common import fail, say
from bench.dataset import generate, import_orders
from bench.measure import summarize


def measure(bench) -> None:
    cfg = bench.cfg
    say(f"import: import_orders of {cfg.topup:,} new orders into the loaded database, x3")
    rates = []
    for n in range(1, cfg.runs + 1):
        path = bench.data / f"topup-{n}.jsonl"
        gen = generate(bench, path, cfg.topup, 1, 100 + n, prefix=f"top{n}-")
        if gen.wait() != 0:
            fail("bench/gen_orders.py failed")
        rates.append(
            {
                "orders_per_s": round(
                    import_orders(bench, path, cfg.topup, f"import run {n}/{cfg.runs}"), 1
                )
            }
        )
        path.unlink()
    bench.results["import"] = summarize(rates, ["orders_per_s"])
