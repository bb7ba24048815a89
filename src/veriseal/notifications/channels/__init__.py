"""Transports of the delivery worker, one module per channel (each a ``Sender``)."""
