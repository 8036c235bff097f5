"""Group backups: the layer above accounts, evidence and campaigns (see backups.archive)."""
