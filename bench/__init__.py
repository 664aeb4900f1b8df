"""Benchmarks: ``make bench`` runs every ``bench/<name>/run.py`` that defines ``main()``.

Each benchmark prints its figures and appends them to docs/benchmarks.md by hand-reviewed
copy (the numbers of record are the ones written there, with the machine they ran on).
"""
