"""The web console (server-rendered pages under /console)."""
