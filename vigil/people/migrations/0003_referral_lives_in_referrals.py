"""The referral's records moved to the referrals app. State only: the tables keep their names, so a
force's database is not rewritten."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0002_fact_provenance"),
        ("referrals", "0001_referrals_move_here_from_intake"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="link",
                    name="linked_referral",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="referrals.referral",
                    ),
                ),
                migrations.AlterField(
                    model_name="link",
                    name="referral",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="referrals.referral",
                    ),
                ),
                migrations.AlterField(
                    model_name="matchkey",
                    name="referral",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="referrals.referral",
                    ),
                ),
                migrations.AlterField(
                    model_name="person",
                    name="referral",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="people",
                        to="referrals.referral",
                    ),
                ),
            ],
            database_operations=[],
        )
    ]
