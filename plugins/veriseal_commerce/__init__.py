"""The commerce plugin (bundled, enabled by default): what a brand sells its dealers.

- :mod:`.money`: amounts as integer minor units with their currency, parsing and
  rounding written down;
- prices and promotions: price lists whose most specific row wins, promotions with
  conditions and benefits, and ONE pure pricing engine over a basket that the quote,
  the order and the console all call;
- orders: an explicit state machine (order, payment and fulfilment axes), the territory
  check through the ``territories.authorize`` service, review, fulfilment by scanning;
- payments: offline bank transfers and online providers shaped like WeChat Pay API v3
  and Alipay, with a sandbox provider that is a real HTTP server.

Bundled per engine by :mod:`.service`; hookimpls in :mod:`.plugin`; see docs/commerce.md.
Like every plugin it imports only ``veriseal``'s public API and ``veriseal.extend``.
"""
