"""Web application: users (argon2 hashes, role, sites), signatures of decisions and dosimetry
reviews (both append-only: UPDATE and DELETE refused by triggers, as for ``decisions``, and
hash-chained like it: ``row_hash``, see ``lutetia.store.chain``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 11:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_APPEND_ONLY = ("signatures", "dosimetry_reviews")


def _protect(table: str) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")
    elif dialect == "postgresql":
        op.execute(f"CREATE FUNCTION {table}_append_only() RETURNS trigger AS $$ "
                   f"BEGIN RAISE EXCEPTION '{table} is append-only'; END; $$ LANGUAGE plpgsql")
        op.execute(f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()")


def upgrade() -> None:
    op.create_table(
        'users',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('display_name', sa.String(length=200), nullable=False),
        sa.Column('role', sa.String(length=40), nullable=False),
        sa.Column('sites', sa.Text(), nullable=False),
        sa.Column('password_hash', sa.String(length=200), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('demo', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
        sa.UniqueConstraint('username', name=op.f('uq_users_username')),
    )
    op.create_table(
        'signatures',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('patient_id', sa.String(length=64), nullable=False),
        sa.Column('protocol_id', sa.String(length=64), nullable=False),
        sa.Column('decision_id', sa.Integer(), nullable=False),
        sa.Column('decided_on', sa.Date(), nullable=False),
        sa.Column('cycle', sa.Integer(), nullable=True),
        sa.Column('recommended', sa.String(length=40), nullable=False),
        sa.Column('prescribed_gbq', sa.Float(), nullable=True),
        sa.Column('override_reason', sa.Text(), nullable=True),
        sa.Column('meaning', sa.Text(), nullable=False),
        sa.Column('signer', sa.String(length=64), nullable=False),
        sa.Column('signer_name', sa.String(length=200), nullable=False),
        sa.Column('signed_at', sa.String(length=40), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('row_hash', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_signatures')),
    )
    op.create_index(op.f('ix_signatures_patient_id'), 'signatures', ['patient_id'], unique=False)
    op.create_table(
        'dosimetry_reviews',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('patient_id', sa.String(length=64), nullable=False),
        sa.Column('course', sa.Integer(), nullable=False),
        sa.Column('cycle', sa.Integer(), nullable=False),
        sa.Column('verdict', sa.String(length=20), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('reviewer', sa.String(length=64), nullable=False),
        sa.Column('reviewed_at', sa.String(length=40), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('row_hash', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dosimetry_reviews')),
    )
    op.create_index(op.f('ix_dosimetry_reviews_patient_id'), 'dosimetry_reviews', ['patient_id'], unique=False)
    for table in _APPEND_ONLY:
        _protect(table)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in _APPEND_ONLY:
        if dialect == "postgresql":
            op.execute(f"DROP TABLE {table}")
            op.execute(f"DROP FUNCTION {table}_append_only()")
        else:
            op.drop_table(table)
    op.drop_table('users')
