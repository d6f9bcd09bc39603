"""The shop app's models, one module per area (stores, catalog, promotions, orders, ...)."""

from .catalog import *  # noqa: F403
from .evaluation import *  # noqa: F403
from .funds import *  # noqa: F403
from .orders import *  # noqa: F403
from .promotions import *  # noqa: F403
from .stores import *  # noqa: F403
