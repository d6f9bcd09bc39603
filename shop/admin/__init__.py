"""Staff screens of the shop app, one module per area."""

from . import catalog, funds, orders, stores  # noqa: F401
