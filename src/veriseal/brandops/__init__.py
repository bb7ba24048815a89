"""Brand operations: the principal-checked services behind the brand console.

The catalog, printing and key services are the CLI's (the local operator, who holds the
ledger and the keys, may do anything). The console acts for signed-in people, so every
service here takes a :class:`~veriseal.accounts.models.Principal` and checks it
(:func:`veriseal.accounts.permissions.require`) before it reads or changes anything:

- :mod:`.batches`: list, create, activate batches;
- :mod:`.print_runs`: print runs rendered in the background, downloaded when done;
- :mod:`.keys`: key status and rotation age;
- :mod:`.dashboard`: scan figures from a daily rollup kept by an event-stream consumer;
- :mod:`.alerts`: the core alerts' workflow (open, investigating, confirmed, dismissed);
- :mod:`.scans`: the scan list's filters and its exports.

A brand admin acts on its own brand; the platform admin on any brand it names.
"""
