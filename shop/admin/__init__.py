"""Staff screens of the shop app, one module per area."""

from . import catalog, evaluation, funds, orders, stores  # noqa: F401
