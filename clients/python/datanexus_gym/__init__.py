"""DataNexus Gym: a Gymnasium-shaped Python client of the environment's HTTP API (stdlib only)."""

from . import actions
from .client import DataNexusEnv
from .errors import GymClientError, GymConnectionError, GymError, GymHTTPError, GymInfraError, GymServerError

__all__ = ["DataNexusEnv", "actions", "GymError", "GymHTTPError", "GymClientError", "GymServerError", "GymInfraError", "GymConnectionError"]
__version__ = "0.1.0"
