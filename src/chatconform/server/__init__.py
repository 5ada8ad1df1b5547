"""The reference server: a contract-faithful local endpoint, and its fault catalogue."""
