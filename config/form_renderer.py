"""How form widgets are rendered (settings.FORM_RENDERER)."""

from functools import cached_property

from django.forms.renderers import DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist


class WidgetRenderer(Jinja2):
    """
    Django's widget templates rendered by Jinja2, which renders a select or a group of checkboxes (a template per
    option) several times faster: 5–10 ms of a 70 ms evidence list (bench/README.md). Widgets whose templates exist
    for Django's engine only, the admin's, are rendered by it.
    """

    @cached_property
    def django_templates(self):
        return DjangoTemplates()

    def get_template(self, template_name):
        try:
            return super().get_template(template_name)
        except TemplateDoesNotExist:
            return self.django_templates.get_template(template_name)
