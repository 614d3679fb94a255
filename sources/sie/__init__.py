"""The SIE format (SIE 1-4, as written by any Swedish accounting program), apart from Fortnox.

`reader` turns a file into typed tables and findings, streamed in chunks of whole vouchers
(`chunks`, `fastpath`, `tokens`, `encoding`); `checks`, `anomalies` and `completeness` are the
findings; `tables` is the contract. `load_files` and `warehouse` are `sie load` (each file in one
DuckDB transaction, beside `run`'s tables); `load` is the same as a dlt source for any other
destination; `archive` keeps every file byte for byte. The Fortnox source uses the same reader
for its SIE 4 exports: the format is not Fortnox's, so it lives in its own package.
"""
