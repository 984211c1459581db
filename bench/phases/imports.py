"""`import_orders` rate: new orders imported into the loaded database, timed whole."""

from bench.common import fail, say
from bench.dataset import generate, import_orders
from bench.measure import summarize


def measure(bench) -> None:
    cfg = bench.cfg
    say(
        f"import: import_orders of {cfg.topup:,} new orders into the loaded database, "
        f"x{cfg.runs}, each timed from process start to exit"
    )
    # The files are written first, all at once: nothing else runs meanwhile.
    paths = [bench.data / f"topup-{n}.jsonl" for n in range(1, cfg.runs + 1)]
    generators = [
        generate(bench, path, cfg.topup, 1, 100 + n, prefix=f"top{n}-")
        for n, path in enumerate(paths, start=1)
    ]
    if [gen.wait() for gen in generators] != [0] * len(generators):
        fail("bench/gen_orders.py failed")
    runs = []
    for n, path in enumerate(paths, start=1):
        runs.append(import_orders(bench, path, cfg.topup, f"import run {n}/{cfg.runs}"))
        path.unlink()
    bench.results["import"] = summarize(runs, ["orders_per_s", "command_orders_per_s"])
