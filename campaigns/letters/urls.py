from django.urls import path

from campaigns.letters import views

urlpatterns = [
    path("campaigns/<int:pk>/letters/", views.letters_home, name="letters-home"),
    path("campaigns/<int:pk>/letters/templates/new/", views.letter_template_create, name="letter-template-create"),
    path("letter-templates/<int:pk>/edit/", views.letter_template_edit, name="letter-template-edit"),
    path("letter-templates/<int:pk>/generate/", views.letter_batch_create, name="letter-batch-create"),
    path("letter-batches/<int:pk>/", views.letter_batch_detail, name="letter-batch-detail"),
    path("letter-batches/<int:pk>/retry/", views.letter_batch_retry, name="letter-batch-retry"),
    path("letter-batches/<int:pk>/sent/", views.letter_batch_mark_sent, name="letter-batch-mark-sent"),
    path("letter-batches/<int:pk>/email/", views.letter_batch_email, name="letter-batch-email"),
    path("letter-batches/<int:pk>/download/", views.letter_batch_download, name="letter-batch-download"),
    path("letters/<int:pk>/<str:kind>/", views.letter_download, name="letter-download"),
]
