"""The referral's records moved to the referrals app. State only: the tables keep their names, so a
force's database is not rewritten."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0009_covering_indexes_for_the_dashboards"),
        ("clocks", "0005_referral_lives_in_referrals"),
        ("investigations", "0004_transfers_and_referrals_live_in_referrals"),
        ("people", "0003_referral_lives_in_referrals"),
        ("risk", "0002_referral_lives_in_referrals"),
        ("safeguarding", "0002_referral_lives_in_referrals"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="material",
                    name="referral",
                ),
                migrations.RemoveField(
                    model_name="namedaccess",
                    name="referral",
                ),
                migrations.RemoveField(
                    model_name="namedaccess",
                    name="user",
                ),
                migrations.RemoveField(
                    model_name="referral",
                    name="force",
                ),
                migrations.RemoveField(
                    model_name="referral",
                    name="imported_by",
                ),
                migrations.RemoveField(
                    model_name="referral",
                    name="owner",
                ),
                migrations.RemoveField(
                    model_name="referral",
                    name="received_by_force",
                ),
                migrations.DeleteModel(
                    name="Document",
                ),
                migrations.DeleteModel(
                    name="Material",
                ),
                migrations.DeleteModel(
                    name="NamedAccess",
                ),
                migrations.DeleteModel(
                    name="Referral",
                ),
            ],
            database_operations=[],
        )
    ]
