"""The referral's records moved to the referrals app. State only: the tables keep their names, so a
force's database is not rewritten."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0001_referrals_move_here_from_intake"),
        ("safeguarding", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="ladoreferral",
                    name="referral",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="lado_referrals",
                        to="referrals.referral",
                    ),
                ),
                migrations.AlterField(
                    model_name="socialcarereferral",
                    name="referral",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="social_care_referrals",
                        to="referrals.referral",
                    ),
                ),
                migrations.AlterField(
                    model_name="strategydiscussion",
                    name="referral",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="strategy_discussions",
                        to="referrals.referral",
                    ),
                ),
                migrations.AlterField(
                    model_name="welfareplan",
                    name="referral",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="welfare_plans",
                        to="referrals.referral",
                    ),
                ),
            ],
            database_operations=[],
        )
    ]
