"""``tickertape api``: the HTTP API and the live web page over the feed store."""
