"""Store: how captured exchanges become WARC records, indexes, manifests and logs."""
