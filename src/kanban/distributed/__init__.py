"""Distributed mode: Redis Streams carry the log to projector workers and replicas."""
