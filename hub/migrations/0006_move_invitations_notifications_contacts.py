# Invitations, notifications and escalation contacts move to the rooms app,
# which owns the rooms they point at (the hub app, below rooms, must not).
# State only: the tables keep their names (the models' db_table).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('hub', '0005_random_ids_handles_partnership_end'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
        migrations.RemoveField(
            model_name='invitation',
            name='accepted_by',
        ),
        migrations.RemoveField(
            model_name='invitation',
            name='invited_by',
        ),
        migrations.RemoveField(
            model_name='invitation',
            name='organization',
        ),
        migrations.RemoveField(
            model_name='invitation',
            name='room',
        ),
        migrations.RemoveField(
            model_name='notification',
            name='person',
        ),
        migrations.RemoveField(
            model_name='notification',
            name='room',
        ),
        migrations.RemoveField(
            model_name='notification',
            name='work_item',
        ),
        migrations.DeleteModel(
            name='EscalationContact',
        ),
        migrations.DeleteModel(
            name='Invitation',
        ),
        migrations.DeleteModel(
            name='Notification',
        ),
            ],
            database_operations=[],
        ),
    ]
