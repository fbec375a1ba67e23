"""Store: how captured exchanges become WARC records, indexes (built by reading the WARCs,
or merged from the index lines written beside them, store/indexlines.py), manifests and
logs, and the crawl state (store/crawlstate.py) that makes a crawl resumable."""
