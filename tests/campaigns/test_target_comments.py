"""Comments on a target's page: its campaign's group writes and reads them; another group gets a 404."""

from django.urls import reverse

from campaigns.models import TargetComment
from tests.factories import TargetFactory


def test_members_comment_on_a_target_and_others_get_404(client, volunteer, viewer, outsider, group):
    target = TargetFactory(campaign__group=group)
    client.force_login(volunteer)
    response = client.post(reverse("target-comment-create", args=[target.pk]), {"body": "Chase the ministry"})
    assert response.status_code == 302
    client.force_login(viewer)
    page = client.get(target.get_absolute_url()).content.decode()
    assert "Chase the ministry" in page
    assert client.post(reverse("target-comment-create", args=[target.pk]), {"body": "x"}).status_code == 403
    client.force_login(outsider)
    assert client.post(reverse("target-comment-create", args=[target.pk]), {"body": "x"}).status_code == 404
    comment = TargetComment.objects.get()
    assert client.get(reverse("target-comment-edit", args=[comment.pk])).status_code == 404
    assert TargetComment.objects.count() == 1
