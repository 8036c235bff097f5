"""
The comment pages both apps share (evidence/urls.py and campaigns/urls.py route to them with their own lookups):
writing one from the commented object's page, editing and deleting one's own. A form with an error is shown again
on a page of its own, with what was typed.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import comments
from accounts.forms import add_service_errors
from accounts.models import LONG_TEXT_MAX_LENGTH
from accounts.permissions import Action
from accounts.scoping import get_for_user, get_for_writer


class CommentForm(forms.Form):
    body = forms.CharField(label=gettext_lazy("Comment"), max_length=LONG_TEXT_MAX_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=gettext_lazy("Seen only by your group. Write @ and a member's username to tell "
                                                  "them."))


def _form_page(request, form, parent, comment=None):
    return render(request, "comment_form.html", {"form": form, "parent": parent, "comment": comment}, status=400)


def comment_create(request, parent_queryset, pk):
    """POST: the signed-in member comments on the object `pk` of `parent_queryset` (404 outside their groups)."""
    parent = get_for_writer(parent_queryset, request.user, Action.COMMENT, pk=pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            comment = comments.add_comment(parent, actor=request.user, body=form.cleaned_data["body"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect(comment.get_absolute_url())
    return _form_page(request, form, parent)


def comment_edit(request, comment_model, pk):
    comment = get_for_user(comment_model, request.user, pk=pk)
    if not comments.may_edit(comment, request.user):
        raise PermissionDenied(_("Only its author may edit a comment."))
    form = CommentForm(request.POST or None, initial={"body": comment.body})
    if request.method == "POST":
        if form.is_valid():
            try:
                comments.edit_comment(comment, actor=request.user, body=form.cleaned_data["body"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect(comment.get_absolute_url())
        return _form_page(request, form, comment.parent, comment)
    return render(request, "comment_form.html", {"form": form, "parent": comment.parent, "comment": comment})


def comment_delete(request, comment_model, pk):
    if request.method != "POST":
        raise Http404("POST only.")
    comment = get_for_user(comment_model, request.user, pk=pk)
    parent = comment.parent
    comments.delete_comment(comment, actor=request.user)
    messages.success(request, _("The comment was deleted."))
    return redirect(f"{parent.get_absolute_url()}#comments")


def comment_rows(parent, user):
    """The comments on `parent` for its page, each with whether `user` may edit or delete it (one query)."""
    model = parent.comments.model
    rows = list(model.objects.visible_to(user).filter(**{model.parent_field: parent}).select_related("author"))
    for row in rows:
        setattr(row, model.parent_field, parent)  # its group is the parent's, already read
        row.may_edit = comments.may_edit(row, user)
        row.may_delete = comments.may_delete(row, user)
    return rows
