"""The web console: server-rendered, mobile-first pages for every role (docs/console.md).

:func:`~veriseal.console.site.make_site` is the server with the console mounted. Pages
are :class:`~veriseal.extend.console.ConsoleView` s (the core's in
:mod:`veriseal.console.views`, the plugins' from ``register_console_pages``) rendered
from Jinja2 templates; the services they call hold every rule and permission check.
"""
