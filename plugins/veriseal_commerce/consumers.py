"""The event-stream consumers of the commerce plugin (hook ``event_consumers``).

Each keeps its cursor in the transaction of its effects, so redelivery is harmless."""

from __future__ import annotations

from veriseal.extend import Consumer
from veriseal_commerce.fulfilment import DELIVERIES

CONSUMERS: list[Consumer] = [DELIVERIES]
