"""Operating the stream: the local services, topic creation, consumer lag, the dead-letter topic."""
