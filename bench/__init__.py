"""Benchmarks: `python -m bench` (or `make bench`) prints p50/p95/p99 and throughput."""
