"""The Fortnox dlt source (being built): see settings.py, client.py, auth.py and sie.py."""
