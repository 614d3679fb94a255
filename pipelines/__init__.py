"""Pipeline wiring and the `fortnox-pipeline` command line."""
