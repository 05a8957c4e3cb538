"""Storage: SQLAlchemy tables, Alembic migrations, the audited repository, and the CSV/JSON
interchange format.  The only package that knows storage formats."""
