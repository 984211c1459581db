"""The benchmark behind `make bench` (issue 7): see bench/run.py and docs/performance.md."""
