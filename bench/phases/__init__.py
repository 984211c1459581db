"""The measured phases of `make bench`, each a function of the run (bench.context.Bench)."""
