"""The Slack app: caseworkers ask in channels, threads, direct messages and with /refark."""
