"""The territories plugin (bundled, enabled by default): regions for sales territories.

- :mod:`.hierarchy`: administrative regions as a tree, country -> province -> city, with
  ISO 3166-1/-2 codes and, in China, GB/T 2260 provincial codes, built from the core's
  offline place data;
- :mod:`.custom`: custom sales regions drawn as GeoJSON polygons (shapely), stored in the
  plugin's own table, that a point can be tested against;
- :mod:`.plugin`: the hookimpls (CLI group ``veriseal territory regions``, HTTP routes,
  migrations).

- :mod:`.dealers`, :mod:`.grants`, :mod:`.shipments`, :mod:`.diversion`,
  :mod:`.analysis`: the dealer network, sales authorizations and ``authorize()``,
  shipments with range holdings, diversion alerts and their workflow, history ranking
  (bundled per engine by :mod:`.service`; see docs/territories.md).

Like every plugin it imports only ``veriseal``'s public API (``veriseal.__all__``).
"""
