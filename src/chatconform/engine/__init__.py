"""The engine: probes (what to send), exchanges (what came back), checks (verdicts)."""
