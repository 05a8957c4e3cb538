"""Initial schema: one table per record kind and the append-only audit log.

The audit log is protected by triggers that refuse UPDATE and DELETE on both engines.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-23 14:46:38.842213
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


_APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
]
_APPEND_ONLY_POSTGRES = [
    "CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
]


def _protect_audit_log() -> None:
    dialect = op.get_bind().dialect.name
    statements = {"sqlite": _APPEND_ONLY_SQLITE, "postgresql": _APPEND_ONLY_POSTGRES}.get(dialect, [])
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.String(length=40), nullable=False),
    sa.Column('user_name', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('patient_id', sa.String(length=64), nullable=True),
    sa.Column('natural_key', sa.String(length=400), nullable=True),
    sa.Column('old_values', sa.Text(), nullable=True),
    sa.Column('new_values', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('row_count', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_patient_id'), ['patient_id'], unique=False)

    op.create_table('administrations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('natural_key', sa.String(length=400), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Text(), nullable=False),
    sa.Column('course', sa.Integer(), nullable=True),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('administered_at', sa.String(length=40), nullable=False),
    sa.Column('activity_gbq', sa.Float(precision=53), nullable=False),
    sa.Column('residual_gbq', sa.Float(precision=53), nullable=True),
    sa.Column('arm', sa.Text(), nullable=True),
    sa.Column('protocol_id', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['audit_id'], ['audit_log.id'], name=op.f('fk_administrations_audit_id_audit_log')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_administrations')),
    sa.UniqueConstraint('natural_key', name=op.f('uq_administrations_natural_key'))
    )
    with op.batch_alter_table('administrations', schema=None) as batch_op:
        batch_op.create_index('ix_administrations_patient_id', ['patient_id'], unique=False)

    op.create_table('adverse_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('natural_key', sa.String(length=400), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Text(), nullable=False),
    sa.Column('ae_id', sa.Text(), nullable=False),
    sa.Column('term', sa.Text(), nullable=False),
    sa.Column('grade', sa.Integer(), nullable=False),
    sa.Column('onset_date', sa.Date(), nullable=False),
    sa.Column('resolution_date', sa.Date(), nullable=True),
    sa.Column('attribution', sa.String(length=40), nullable=True),
    sa.Column('serious', sa.Boolean(), nullable=True),
    sa.Column('ctcae_version', sa.Text(), nullable=True),
    sa.Column('action_taken', sa.Text(), nullable=True),
    sa.Column('led_to_discontinuation', sa.Boolean(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['audit_id'], ['audit_log.id'], name=op.f('fk_adverse_events_audit_id_audit_log')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adverse_events')),
    sa.UniqueConstraint('natural_key', name=op.f('uq_adverse_events_natural_key'))
    )
    with op.batch_alter_table('adverse_events', schema=None) as batch_op:
        batch_op.create_index('ix_adverse_events_patient_id', ['patient_id'], unique=False)

    op.create_table('dosimetry',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('natural_key', sa.String(length=400), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Text(), nullable=False),
    sa.Column('course', sa.Integer(), nullable=True),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('region', sa.String(length=40), nullable=False),
    sa.Column('lesion_id', sa.Text(), nullable=True),
    sa.Column('time_after_administration_h', sa.Float(precision=53), nullable=False),
    sa.Column('activity_mbq', sa.Float(precision=53), nullable=False),
    sa.Column('mass_g', sa.Float(precision=53), nullable=True),
    sa.Column('volume_ml', sa.Float(precision=53), nullable=True),
    sa.Column('study_id', sa.Text(), nullable=True),
    sa.Column('method', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['audit_id'], ['audit_log.id'], name=op.f('fk_dosimetry_audit_id_audit_log')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dosimetry')),
    sa.UniqueConstraint('natural_key', name=op.f('uq_dosimetry_natural_key'))
    )
    with op.batch_alter_table('dosimetry', schema=None) as batch_op:
        batch_op.create_index('ix_dosimetry_patient_id', ['patient_id'], unique=False)

    op.create_table('ecog',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('natural_key', sa.String(length=400), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Text(), nullable=False),
    sa.Column('assessed_on', sa.Date(), nullable=False),
    sa.Column('ecog', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['audit_id'], ['audit_log.id'], name=op.f('fk_ecog_audit_id_audit_log')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ecog')),
    sa.UniqueConstraint('natural_key', name=op.f('uq_ecog_natural_key'))
    )
    with op.batch_alter_table('ecog', schema=None) as batch_op:
        batch_op.create_index('ix_ecog_patient_id', ['patient_id'], unique=False)

    op.create_table('enrolments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('natural_key', sa.String(length=400), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Text(), nullable=False),
    sa.Column('protocol_id', sa.Text(), nullable=False),
    sa.Column('arm', sa.Text(), nullable=True),
    sa.Column('consent_date', sa.Date(), nullable=True),
    sa.Column('enrolled_on', sa.Date(), nullable=False),
    sa.Column('randomised_on', sa.Date(), nullable=True),
    sa.Column('stratum', sa.Text(), nullable=True),
    sa.Column('off_study_on', sa.Date(), nullable=True),
    sa.Column('off_study_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['audit_id'], ['audit_log.id'], name=op.f('fk_enrolments_audit_id_audit_log')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolments')),
    sa.UniqueConstraint('natural_key', name=op.f('uq_enrolments_natural_key'))
    )
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.create_index('ix_enrolments_patient_id', ['patient_id'], unique=False)

    op.create_table('events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('natural_key', sa.String(length=400), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Text(), nullable=False),
    sa.Column('event_id', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('event_date', sa.Date(), nullable=False),
    sa.Column('progression_kind', sa.String(length=40), nullable=True),
    sa.Column('skeletal_event_kind', sa.String(length=40), nullable=True),
    sa.Column('therapy', sa.Text(), nullable=True),
    sa.Column('cause', sa.Text(), nullable=True),
    sa.Column('details', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['audit_id'], ['audit_log.id'], name=op.f('fk_events_audit_id_audit_log')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('natural_key', name=op.f('uq_events_natural_key'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_patient_id', ['patient_id'], unique=False)

    op.create_table('imaging',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('natural_key', sa.String(length=400), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Text(), nullable=False),
    sa.Column('study_id', sa.Text(), nullable=False),
    sa.Column('modality', sa.String(length=40), nullable=False),
    sa.Column('study_date', sa.Date(), nullable=False),
    sa.Column('acquired_at', sa.String(length=40), nullable=True),
    sa.Column('tracer', sa.Text(), nullable=True),
    sa.Column('cycle', sa.Integer(), nullable=True),
    sa.Column('time_after_administration_h', sa.Float(precision=53), nullable=True),
    sa.Column('ttv_ml', sa.Float(precision=53), nullable=True),
    sa.Column('mtv_ml', sa.Float(precision=53), nullable=True),
    sa.Column('suv_max_hottest', sa.Float(precision=53), nullable=True),
    sa.Column('suv_peak_hottest', sa.Float(precision=53), nullable=True),
    sa.Column('liver_suv_mean', sa.Float(precision=53), nullable=True),
    sa.Column('vision_psma_positive', sa.Boolean(), nullable=True),
    sa.Column('vision_psma_negative_lesion', sa.Boolean(), nullable=True),
    sa.Column('new_lesions', sa.Integer(), nullable=True),
    sa.Column('read_by', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['audit_id'], ['audit_log.id'], name=op.f('fk_imaging_audit_id_audit_log')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_imaging')),
    sa.UniqueConstraint('natural_key', name=op.f('uq_imaging_natural_key'))
    )
    with op.batch_alter_table('imaging', schema=None) as batch_op:
        batch_op.create_index('ix_imaging_patient_id', ['patient_id'], unique=False)

    op.create_table('labs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('natural_key', sa.String(length=400), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Text(), nullable=False),
    sa.Column('analyte', sa.String(length=40), nullable=False),
    sa.Column('sampled_on', sa.Date(), nullable=False),
    sa.Column('sampled_at', sa.String(length=40), nullable=True),
    sa.Column('value', sa.Float(precision=53), nullable=False),
    sa.Column('unit', sa.Text(), nullable=False),
    sa.Column('lln', sa.Float(precision=53), nullable=True),
    sa.Column('uln', sa.Float(precision=53), nullable=True),
    sa.Column('lab', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['audit_id'], ['audit_log.id'], name=op.f('fk_labs_audit_id_audit_log')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_labs')),
    sa.UniqueConstraint('natural_key', name=op.f('uq_labs_natural_key'))
    )
    with op.batch_alter_table('labs', schema=None) as batch_op:
        batch_op.create_index('ix_labs_patient_id', ['patient_id'], unique=False)

    op.create_table('lesions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('natural_key', sa.String(length=400), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Text(), nullable=False),
    sa.Column('study_id', sa.Text(), nullable=False),
    sa.Column('lesion_id', sa.Text(), nullable=False),
    sa.Column('organ', sa.Text(), nullable=False),
    sa.Column('site', sa.Text(), nullable=True),
    sa.Column('lesion_type', sa.String(length=40), nullable=False),
    sa.Column('longest_diameter_mm', sa.Float(precision=53), nullable=True),
    sa.Column('short_axis_mm', sa.Float(precision=53), nullable=True),
    sa.Column('soft_tissue_component_mm', sa.Float(precision=53), nullable=True),
    sa.Column('suv_max', sa.Float(precision=53), nullable=True),
    sa.Column('psma_positive_vs_liver', sa.Boolean(), nullable=True),
    sa.Column('is_new', sa.Boolean(), nullable=True),
    sa.Column('is_target', sa.Boolean(), nullable=True),
    sa.Column('present', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['audit_id'], ['audit_log.id'], name=op.f('fk_lesions_audit_id_audit_log')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lesions')),
    sa.UniqueConstraint('natural_key', name=op.f('uq_lesions_natural_key'))
    )
    with op.batch_alter_table('lesions', schema=None) as batch_op:
        batch_op.create_index('ix_lesions_patient_id', ['patient_id'], unique=False)

    op.create_table('patients',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('natural_key', sa.String(length=400), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Text(), nullable=False),
    sa.Column('sex', sa.String(length=40), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('birth_year', sa.Integer(), nullable=True),
    sa.Column('weight_kg', sa.Float(precision=53), nullable=True),
    sa.Column('height_cm', sa.Float(precision=53), nullable=True),
    sa.Column('diagnosis', sa.Text(), nullable=True),
    sa.Column('diagnosis_date', sa.Date(), nullable=True),
    sa.Column('histology', sa.Text(), nullable=True),
    sa.Column('gilbert_syndrome', sa.Boolean(), nullable=True),
    sa.Column('site', sa.Text(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['audit_id'], ['audit_log.id'], name=op.f('fk_patients_audit_id_audit_log')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patients')),
    sa.UniqueConstraint('natural_key', name=op.f('uq_patients_natural_key'))
    )
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.create_index('ix_patients_patient_id', ['patient_id'], unique=False)

    op.create_table('prior_therapies',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('natural_key', sa.String(length=400), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Text(), nullable=False),
    sa.Column('line_id', sa.Text(), nullable=False),
    sa.Column('therapy_class', sa.String(length=40), nullable=False),
    sa.Column('agent', sa.Text(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('setting', sa.Text(), nullable=True),
    sa.Column('cycles', sa.Integer(), nullable=True),
    sa.Column('cumulative_activity_gbq', sa.Float(precision=53), nullable=True),
    sa.Column('last_injection_date', sa.Date(), nullable=True),
    sa.Column('best_psa_change_pct', sa.Float(precision=53), nullable=True),
    sa.Column('progression_during', sa.Boolean(), nullable=True),
    sa.Column('progression_date', sa.Date(), nullable=True),
    sa.Column('progression_type', sa.String(length=40), nullable=True),
    sa.Column('discontinued_for_toxicity', sa.Boolean(), nullable=True),
    sa.Column('hemibody_radiotherapy', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['audit_id'], ['audit_log.id'], name=op.f('fk_prior_therapies_audit_id_audit_log')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prior_therapies')),
    sa.UniqueConstraint('natural_key', name=op.f('uq_prior_therapies_natural_key'))
    )
    with op.batch_alter_table('prior_therapies', schema=None) as batch_op:
        batch_op.create_index('ix_prior_therapies_patient_id', ['patient_id'], unique=False)

    op.create_table('pro_answers',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('natural_key', sa.String(length=400), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Text(), nullable=False),
    sa.Column('instrument', sa.String(length=40), nullable=False),
    sa.Column('item', sa.Text(), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('answered_on', sa.Date(), nullable=False),
    sa.Column('timepoint', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['audit_id'], ['audit_log.id'], name=op.f('fk_pro_answers_audit_id_audit_log')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pro_answers')),
    sa.UniqueConstraint('natural_key', name=op.f('uq_pro_answers_natural_key'))
    )
    with op.batch_alter_table('pro_answers', schema=None) as batch_op:
        batch_op.create_index('ix_pro_answers_patient_id', ['patient_id'], unique=False)
    _protect_audit_log()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")

    with op.batch_alter_table('pro_answers', schema=None) as batch_op:
        batch_op.drop_index('ix_pro_answers_patient_id')

    op.drop_table('pro_answers')
    with op.batch_alter_table('prior_therapies', schema=None) as batch_op:
        batch_op.drop_index('ix_prior_therapies_patient_id')

    op.drop_table('prior_therapies')
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_index('ix_patients_patient_id')

    op.drop_table('patients')
    with op.batch_alter_table('lesions', schema=None) as batch_op:
        batch_op.drop_index('ix_lesions_patient_id')

    op.drop_table('lesions')
    with op.batch_alter_table('labs', schema=None) as batch_op:
        batch_op.drop_index('ix_labs_patient_id')

    op.drop_table('labs')
    with op.batch_alter_table('imaging', schema=None) as batch_op:
        batch_op.drop_index('ix_imaging_patient_id')

    op.drop_table('imaging')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_patient_id')

    op.drop_table('events')
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_index('ix_enrolments_patient_id')

    op.drop_table('enrolments')
    with op.batch_alter_table('ecog', schema=None) as batch_op:
        batch_op.drop_index('ix_ecog_patient_id')

    op.drop_table('ecog')
    with op.batch_alter_table('dosimetry', schema=None) as batch_op:
        batch_op.drop_index('ix_dosimetry_patient_id')

    op.drop_table('dosimetry')
    with op.batch_alter_table('adverse_events', schema=None) as batch_op:
        batch_op.drop_index('ix_adverse_events_patient_id')

    op.drop_table('adverse_events')
    with op.batch_alter_table('administrations', schema=None) as batch_op:
        batch_op.drop_index('ix_administrations_patient_id')

    op.drop_table('administrations')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_patient_id'))

    op.drop_table('audit_log')

