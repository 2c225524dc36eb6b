"""Database access. The only package that imports psycopg or SQLAlchemy."""
