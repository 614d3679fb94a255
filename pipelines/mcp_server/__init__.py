"""A read-only MCP server over the warehouse, so an AI agent asks the loaded books, not Fortnox.

`server.build_server` assembles it; `warehouse` opens the file read-only per call;
`query_guard` checks the `query` tool's SQL; `privacy` keeps personal fields out by default;
`tools/` holds each area's SQL and answers.
"""
