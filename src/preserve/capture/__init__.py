"""Capture: where bytes come from (fetchers), what to fetch next (frontier, scope, politeness)."""
