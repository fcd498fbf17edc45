"""The referral's records moved to the referrals app. State only: the tables keep their names, so a
force's database is not rewritten."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0001_referrals_move_here_from_intake"),
        ("risk", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="assessment",
                    name="referral",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="assessments",
                        to="referrals.referral",
                    ),
                ),
                migrations.AlterField(
                    model_name="override",
                    name="referral",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="overrides",
                        to="referrals.referral",
                    ),
                ),
            ],
            database_operations=[],
        )
    ]
