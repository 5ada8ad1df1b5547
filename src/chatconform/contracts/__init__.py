"""Contracts: vendor pages as JSON Schema data, loaded, validated and compiled once."""
