"""The referral's records moved to the referrals app. State only: the tables keep their names, so a
force's database is not rewritten."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("intake", "0009_covering_indexes_for_the_dashboards"),
        ("investigations", "0003_outcomes_know_their_force"),
        ("accounts", "0003_child_protection_lead_role"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Referral",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "source",
                            models.CharField(
                                choices=[
                                    ("nca", "NCA"),
                                    ("ncmec", "NCMEC CyberTipline"),
                                    ("public", "Member of the public"),
                                    ("partner", "Partner agency"),
                                    ("proactive", "Proactive (found by police)"),
                                    ("other", "Other"),
                                ],
                                max_length=16,
                            ),
                        ),
                        ("source_reference", models.CharField(max_length=120)),
                        ("received_at", models.DateTimeField()),
                        ("summary", models.TextField(blank=True)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("received", "Received"),
                                    ("researching", "Researching"),
                                    ("graded", "Graded"),
                                    ("allocated", "Allocated"),
                                    ("enforcement", "Enforcement"),
                                    ("post_enforcement", "After enforcement"),
                                    ("outcome_pending", "Outcome pending"),
                                    ("closed", "Closed"),
                                ],
                                default="received",
                                max_length=24,
                            ),
                        ),
                        (
                            "incident_type",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("csam_upload", "Indecent images uploaded"),
                                    ("csam_possession", "Indecent images possessed"),
                                    ("csam_distribution", "Indecent images distributed"),
                                    ("csam_production", "Indecent images produced"),
                                    (
                                        "csam",
                                        "Indecent images (possession, manufacture and distribution)",
                                    ),
                                    ("online_enticement", "Online enticement of a child"),
                                    ("sexual_communication", "Sexual communication with a child"),
                                    ("sextortion", "Sextortion"),
                                    ("child_sex_trafficking", "Child sex trafficking"),
                                    ("child_sex_tourism", "Child sex tourism"),
                                    ("child_sexual_molestation", "Child sexual molestation"),
                                    (
                                        "obscene_material_to_child",
                                        "Obscene material sent to a child",
                                    ),
                                    ("misleading_domain", "Misleading domain name"),
                                    ("misleading_content", "Misleading words or images"),
                                    ("other", "Other"),
                                ],
                                max_length=40,
                            ),
                        ),
                        ("incident_type_text", models.CharField(blank=True, max_length=200)),
                        ("incident_occurred_at", models.DateTimeField(blank=True, null=True)),
                        ("platform", models.CharField(blank=True, max_length=200)),
                        ("escalated", models.BooleanField(null=True)),
                        ("escalation_reason", models.CharField(blank=True, max_length=300)),
                        ("annotations", models.JSONField(blank=True, default=list)),
                        ("indicators", models.JSONField(blank=True, default=list)),
                        ("incident_details", models.JSONField(blank=True, default=list)),
                        ("source_details", models.JSONField(blank=True, default=dict)),
                        ("unmapped", models.JSONField(blank=True, default=list)),
                        ("fact_sources", models.JSONField(blank=True, default=dict)),
                        ("grade", models.CharField(blank=True, max_length=16)),
                        ("grade_provisional", models.BooleanField(default=False)),
                        ("team", models.CharField(blank=True, max_length=100)),
                        ("flags", models.JSONField(blank=True, default=list)),
                        ("review_at", models.DateTimeField(blank=True, db_index=True, null=True)),
                        ("personal_data_deleted_at", models.DateTimeField(blank=True, null=True)),
                        ("is_restricted", models.BooleanField(default=False)),
                        ("version", models.PositiveIntegerField(default=1)),
                        ("content_digest", models.CharField(max_length=64)),
                        ("imported_at", models.DateTimeField()),
                        ("imported_by_name", models.CharField(max_length=150)),
                        (
                            "force",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="referrals",
                                to="accounts.force",
                            ),
                        ),
                        (
                            "imported_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "owner",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="owned_referrals",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "received_by_force",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="accounts.force",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "intake_referral",
                        "ordering": ["-received_at", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="NamedAccess",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("granted_by_name", models.CharField(max_length=150)),
                        ("granted_at", models.DateTimeField()),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "referral",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="named_people",
                                to="referrals.referral",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "intake_namedaccess",
                    },
                ),
                migrations.CreateModel(
                    name="Material",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("image", "Image"),
                                    ("video", "Video"),
                                    ("text", "Text or chat"),
                                    ("other", "Other"),
                                    ("unknown", "Unknown"),
                                ],
                                default="unknown",
                                max_length=16,
                            ),
                        ),
                        ("count", models.PositiveIntegerField(default=1)),
                        (
                            "category",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("A", "Category A"),
                                    ("B", "Category B"),
                                    ("C", "Category C"),
                                ],
                                max_length=1,
                            ),
                        ),
                        (
                            "industry_classification",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("A1", "A1: prepubescent, sex act"),
                                    ("A2", "A2: prepubescent, lascivious exhibition"),
                                    ("B1", "B1: pubescent, sex act"),
                                    ("B2", "B2: pubescent, lascivious exhibition"),
                                ],
                                max_length=2,
                            ),
                        ),
                        ("md5", models.CharField(blank=True, db_index=True, max_length=32)),
                        ("sha1", models.CharField(blank=True, db_index=True, max_length=64)),
                        ("pdq", models.CharField(blank=True, max_length=64)),
                        ("photodna", models.TextField(blank=True)),
                        ("annotations", models.JSONField(blank=True, default=list)),
                        ("file_name", models.CharField(blank=True, max_length=300)),
                        ("file_id", models.CharField(blank=True, max_length=120)),
                        ("details", models.JSONField(blank=True, default=dict)),
                        (
                            "referral",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="material",
                                to="referrals.referral",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name_plural": "material",
                        "db_table": "intake_material",
                        "ordering": ["id"],
                    },
                ),
                migrations.CreateModel(
                    name="Document",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("name", models.CharField(max_length=300)),
                        ("media_type", models.CharField(max_length=100)),
                        ("content", models.BinaryField()),
                        ("size", models.PositiveIntegerField()),
                        ("sha256", models.CharField(db_index=True, max_length=64)),
                        (
                            "referral",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="documents",
                                to="referrals.referral",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "intake_document",
                        "ordering": ["id"],
                    },
                ),
                migrations.CreateModel(
                    name="Transfer",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("recorded_by_name", models.CharField(max_length=150)),
                        ("recorded_at", models.DateTimeField()),
                        ("reason", models.TextField()),
                        ("transferred_at", models.DateTimeField()),
                        (
                            "from_force",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="accounts.force",
                            ),
                        ),
                        (
                            "recorded_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "referral",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="transfers",
                                to="referrals.referral",
                            ),
                        ),
                        (
                            "to_force",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="accounts.force",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "investigations_transfer",
                        "ordering": ["transferred_at", "id"],
                    },
                ),
                migrations.AddIndex(
                    model_name="referral",
                    index=models.Index(
                        fields=["force", "-received_at"], name="referral_force_received"
                    ),
                ),
                migrations.AddIndex(
                    model_name="referral",
                    index=models.Index(
                        fields=["force", "status"],
                        include=("grade", "received_at"),
                        name="referral_force_status",
                    ),
                ),
                migrations.AddIndex(
                    model_name="referral",
                    index=models.Index(fields=["force", "grade"], name="referral_force_grade"),
                ),
                migrations.AddIndex(
                    model_name="referral",
                    index=models.Index(
                        fields=["received_by_force", "received_at"],
                        include=("source", "grade", "grade_provisional"),
                        name="referral_demand",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="referral",
                    constraint=models.UniqueConstraint(
                        fields=("source", "source_reference"),
                        name="referral_unique_source_reference",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="namedaccess",
                    constraint=models.UniqueConstraint(
                        fields=("referral", "user"), name="named_access_once"
                    ),
                ),
                migrations.AddIndex(
                    model_name="transfer",
                    index=models.Index(fields=["from_force"], name="transfer_from_force"),
                ),
            ],
            database_operations=[],
        )
    ]
