"""Capture: where bytes come from (fetchers), what to fetch next (scope, politeness), the loop."""
