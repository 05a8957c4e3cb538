"""Criterion answers (a record kind), and the append-only decisions and allocations tables.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 15:00:33.969245
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


_APPEND_ONLY = ("decisions", "allocations")


def _protect(table: str) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            f"CREATE FUNCTION {table}_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{table} is append-only'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )


def upgrade() -> None:

    op.create_table('allocations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('protocol_id', sa.String(length=64), nullable=False),
    sa.Column('stratum', sa.String(length=200), nullable=False),
    sa.Column('sequence_no', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('arm', sa.String(length=64), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('block_size', sa.Integer(), nullable=False),
    sa.Column('made_at', sa.String(length=40), nullable=False),
    sa.Column('user_name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allocations')),
    sa.UniqueConstraint('protocol_id', 'patient_id', name='uq_allocations_protocol_patient'),
    sa.UniqueConstraint('protocol_id', 'stratum', 'sequence_no', name='uq_allocations_protocol_stratum_seq')
    )
    op.create_table('decisions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=False),
    sa.Column('protocol_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('made_at', sa.String(length=40), nullable=False),
    sa.Column('user_name', sa.String(length=200), nullable=False),
    sa.Column('outcome', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('engine_version', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions'))
    )
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decisions_patient_id'), ['patient_id'], unique=False)

    op.create_table('criterion_answers',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('natural_key', sa.String(length=400), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Text(), nullable=False),
    sa.Column('protocol_id', sa.Text(), nullable=False),
    sa.Column('criterion_id', sa.Text(), nullable=False),
    sa.Column('answer', sa.Boolean(), nullable=False),
    sa.Column('answered_on', sa.Date(), nullable=False),
    sa.Column('answered_by', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['audit_id'], ['audit_log.id'], name=op.f('fk_criterion_answers_audit_id_audit_log')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_criterion_answers')),
    sa.UniqueConstraint('natural_key', name=op.f('uq_criterion_answers_natural_key'))
    )
    with op.batch_alter_table('criterion_answers', schema=None) as batch_op:
        batch_op.create_index('ix_criterion_answers_patient_id', ['patient_id'], unique=False)
    for table in _APPEND_ONLY:
        _protect(table)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")

    with op.batch_alter_table('criterion_answers', schema=None) as batch_op:
        batch_op.drop_index('ix_criterion_answers_patient_id')

    op.drop_table('criterion_answers')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decisions_patient_id'))

    op.drop_table('decisions')
    op.drop_table('allocations')

