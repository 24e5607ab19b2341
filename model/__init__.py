"""Finding crypto token mentions in tweets: the registry, the extractors and their training."""
