"""roleplay: a terminal batting cage for the hard moments of a sales conversation."""

import os

# litellm fetches a price list over the network at import unless told not to;
# this must be set before anything imports it, and here is the earliest point.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

__version__ = "0.1.0"
