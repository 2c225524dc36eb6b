"""Schema revisions, oldest first. Each is raw SQL (``op.execute``) with an upgrade and a downgrade."""
