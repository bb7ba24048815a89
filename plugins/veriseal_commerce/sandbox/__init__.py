"""A stand-in for WeChat Pay API v3 and the Alipay gateway: a real aiohttp server with
its own keys that checks the merchant's signatures, signs its answers, encrypts and
signs its notifications and retries them on the providers' schedules.

Its cryptography (:mod:`.keys`) is written independently of the client side's
(:mod:`veriseal_commerce.providers.crypto`), so tests that pay through it check one
implementation against the other. Run it with ``veriseal payments sandbox --port N``.
"""
