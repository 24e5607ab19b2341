"""The streaming side of tickertape: ingestors, inference workers, the Redis store and the CLI."""
