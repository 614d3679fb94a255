"""A faithful local double of the Fortnox API with generated Swedish books."""
