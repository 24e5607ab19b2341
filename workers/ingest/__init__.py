"""Ingestors: tweets from files and the synthetic firehose onto the ``tweets`` topic."""
