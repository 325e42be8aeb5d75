"""The stream pipeline: capture, inference and the consumer overlap on bounded queues."""
