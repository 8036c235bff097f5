from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0010_user_calendar_feed"),
    ]

    operations = [
        migrations.AddField(
            model_name="group",
            name="alert_titles_shown",
            field=models.BooleanField(default=False),
        ),
    ]
