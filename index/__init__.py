"""Embed, store and search chunks; knows nothing of HTTP or Slack."""
