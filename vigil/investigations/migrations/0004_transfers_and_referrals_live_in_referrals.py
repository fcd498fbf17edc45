"""The referral's records moved to the referrals app. State only: the tables keep their names, so a
force's database is not rewritten."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("investigations", "0003_outcomes_know_their_force"),
        ("referrals", "0001_referrals_move_here_from_intake"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="transfer",
                    name="from_force",
                ),
                migrations.RemoveField(
                    model_name="transfer",
                    name="recorded_by",
                ),
                migrations.RemoveField(
                    model_name="transfer",
                    name="referral",
                ),
                migrations.RemoveField(
                    model_name="transfer",
                    name="to_force",
                ),
                migrations.AlterField(
                    model_name="action",
                    name="referral",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="actions",
                        to="referrals.referral",
                    ),
                ),
                migrations.AlterField(
                    model_name="allocation",
                    name="referral",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="allocations",
                        to="referrals.referral",
                    ),
                ),
                migrations.AlterField(
                    model_name="outcome",
                    name="referral",
                    field=models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="outcome",
                        to="referrals.referral",
                    ),
                ),
                migrations.AlterField(
                    model_name="release",
                    name="referral",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="releases",
                        to="referrals.referral",
                    ),
                ),
                migrations.AlterField(
                    model_name="standardcheck",
                    name="referral",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="standard_checks",
                        to="referrals.referral",
                    ),
                ),
                migrations.AlterField(
                    model_name="supervisorreview",
                    name="referral",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="reviews",
                        to="referrals.referral",
                    ),
                ),
                migrations.DeleteModel(
                    name="Transfer",
                ),
            ],
            database_operations=[],
        )
    ]
