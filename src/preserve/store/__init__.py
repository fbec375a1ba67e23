"""Store: how captured exchanges become WARC records, indexes, manifests and logs, and the
crawl state (store/crawlstate.py) that makes a crawl resumable."""
