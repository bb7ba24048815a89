"""The plugin platform: hookspecs, the plugin manager and (``veriseal.extend`` proper)
the SDK plugins are written against. See docs/plugins.md."""
