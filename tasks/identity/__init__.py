"""Identity resolution: staged source records -> one person per human (core.identity_links, core.persons).

Deterministic rules first (email, phone, LinkedIn, ATS person id), Splink on DuckDB for the rest,
connected components over both, stable person ids, golden-record survivorship, overrides.
"""
