"""Model access: litellm wrapper, retries, provider resolution."""
