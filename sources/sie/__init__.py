"""The SIE format (SIE 1-4, as written by any Swedish accounting program), apart from Fortnox.

`reader` turns a file's bytes into typed tables and findings, `load` writes them to a warehouse
with dlt, `archive` keeps every file byte for byte. The Fortnox source uses the same reader for
its SIE 4 exports: the format is not Fortnox's, so it lives in its own package.
"""
