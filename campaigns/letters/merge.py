"""
The letter template language: Jinja2, in its immutable sandbox, with StrictUndefined, over a fixed context of
plain values (strings, and lists of dicts of strings; never a model object).

Why Jinja2 and not a fixed placeholder set: the target's evidence and the campaign's recommendations are lists,
and a letter lays them out (numbered, with links) or leaves a line out when a field is empty (`{% if
institution_zh %}`); placeholders could only paste a pre-formatted block. Why it is still safe: before a template
is saved, `check_template` walks its syntax tree and refuses everything but the few constructs a letter needs
(text, the fields below, `for` over the two lists and the loop counter, `if`, comparisons, four string filters),
naming the line and the construct; attribute access is allowed only on a loop's item and only for the keys
offered. The sandbox and StrictUndefined are the second line, for a template that reached the database another
way (the admin, an import): rendering it still cannot reach Python objects or print an unknown field as blank.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

# The fields a template may use, with what the form's help says of each.
FIELDS = {
    "institution": gettext_lazy("the institution's name"),
    "institution_zh": gettext_lazy("its Chinese name (may be empty)"),
    "ask": gettext_lazy("what this institution is asked to do"),
    "evidence": gettext_lazy("the target's key evidence: a list of items with title, source, date and url"),
    "recommendations": gettext_lazy("the report's recommendations the campaign rests on: items with code, ask "
                                    "and summary"),
    "date": gettext_lazy("today's date, in the letter's language"),
    "sender": gettext_lazy("the sender's name, as given when the letters are generated"),
    "group": gettext_lazy("the group's name"),
    "campaign": gettext_lazy("the campaign's title"),
}
# The keys of each list's items: the only attributes a template may read.
ITEM_KEYS = {
    "evidence": ("title", "source", "date", "url"),
    "recommendations": ("code", "ask", "summary"),
}
LOOP_KEYS = ("index", "first", "last", "length")
FILTERS = ("upper", "lower", "trim", "length")

_ALLOWED_NODES = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.Const, nodes.If, nodes.Not, nodes.And,
                  nodes.Or, nodes.Compare, nodes.Operand, nodes.Concat)


def _environment():
    # autoescape off: the output is plain text, laid into Typst as a JSON string and into DOCX runs, never HTML.
    return ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


@dataclass(frozen=True)
class Problem:
    line: int
    message: str

    def __str__(self):
        return _("Line %(line)s: %(message)s") % {"line": self.line, "message": self.message}


class _Checker:
    """Walks a parsed template and notes every construct outside the letter language, with its line."""

    def __init__(self):
        self.problems = []
        self.loops = {}  # loop variable -> the list field it walks

    def refuse(self, node, message):
        self.problems.append(Problem(getattr(node, "lineno", 1) or 1, message))

    def visit(self, node):
        if isinstance(node, nodes.Name):
            self.name(node)
        elif isinstance(node, nodes.Getattr):
            self.attribute(node)
        elif isinstance(node, nodes.For):
            self.loop(node)
        elif isinstance(node, nodes.Filter):
            if node.name not in FILTERS or node.args or node.kwargs or node.dyn_args or node.dyn_kwargs:
                self.refuse(node, _("the filter “%(name)s” is not allowed; the filters are: %(allowed)s.")
                            % {"name": node.name, "allowed": ", ".join(FILTERS)})
            if node.node is not None:
                self.visit(node.node)
        elif isinstance(node, _ALLOWED_NODES):
            for child in node.iter_child_nodes():
                self.visit(child)
        else:
            self.refuse(node, self.unsafe(node))

    @staticmethod
    def unsafe(node):
        names = {
            nodes.Call: _("calling a function is not allowed"),
            nodes.Getitem: _("reading an item with [ ] is not allowed; use a field by its name"),
            nodes.Import: _("importing another template is not allowed"),
            nodes.FromImport: _("importing another template is not allowed"),
            nodes.Include: _("including another template is not allowed"),
            nodes.Extends: _("extending another template is not allowed"),
            nodes.Macro: _("macros are not allowed"),
            nodes.Assign: _("setting variables is not allowed"),
            nodes.AssignBlock: _("setting variables is not allowed"),
        }
        for kind, message in names.items():
            if isinstance(node, kind):
                return message
        return _("“%(construct)s” is not allowed in a letter template") % {"construct": type(node).__name__}

    def name(self, node):
        if node.name in FIELDS or node.name in self.loops or node.name == "loop" and self.loops:
            return
        self.refuse(node, _("“%(name)s” is not a merge field. The fields are: %(fields)s.")
                    % {"name": node.name, "fields": ", ".join(FIELDS)})

    def attribute(self, node):
        owner = node.node
        if not isinstance(owner, nodes.Name):
            self.refuse(node, _("“.%(attr)s” can only follow a loop's item") % {"attr": node.attr})
            self.visit(owner)
            return
        if owner.name == "loop" and self.loops:
            keys = LOOP_KEYS
        elif owner.name in self.loops:
            keys = ITEM_KEYS[self.loops[owner.name]]
        else:
            self.refuse(node, _("“%(name)s.%(attr)s” is not a merge field; only a loop's item has parts (%(lists)s).")
                        % {"name": owner.name, "attr": node.attr, "lists": ", ".join(ITEM_KEYS)})
            return
        if node.attr not in keys:
            self.refuse(node, _("“%(name)s.%(attr)s” is not a merge field; its parts are: %(keys)s.")
                        % {"name": owner.name, "attr": node.attr, "keys": ", ".join(keys)})

    def loop(self, node):
        if not (isinstance(node.iter, nodes.Name) and node.iter.name in ITEM_KEYS):
            self.refuse(node, _("a loop walks one of the lists: %(lists)s.") % {"lists": ", ".join(ITEM_KEYS)})
            return
        if not isinstance(node.target, nodes.Name) or node.recursive:
            self.refuse(node, _("a loop takes one item at a time: {% for item in evidence %}"))
            return
        if node.test is not None:
            self.visit(node.test)
        bound = node.target.name
        previous = self.loops.get(bound)
        self.loops[bound] = node.iter.name
        for child in (*node.body, *node.else_):
            self.visit(child)
        if previous is None:
            del self.loops[bound]
        else:
            self.loops[bound] = previous


def problems_in(source):
    """Every problem of a template's text, each with its line; an empty list for a template that may be saved."""
    try:
        tree = _environment().parse(source)
    except TemplateSyntaxError as error:
        return [Problem(error.lineno or 1, _("the template cannot be read: %(error)s") % {"error": error.message})]
    checker = _Checker()
    checker.visit(tree)
    return sorted(checker.problems, key=lambda problem: problem.line)


def check_template(**sources):
    """Raise a ValidationError on each field (subject=…, body=…) whose template may not be saved."""
    errors = {field: [str(problem) for problem in problems_in(source)] for field, source in sources.items()}
    errors = {field: messages for field, messages in errors.items() if messages}
    if errors:
        raise ValidationError(errors)


class RenderProblem(Exception):
    """A saved template failed on this context (it was checked on save, so this is rare: a changed field set)."""


def render(source, context):
    """The template's text for `context` (a dict of the FIELDS, plain values only)."""
    unknown = set(context) - set(FIELDS)
    if unknown:
        raise ValueError(f"Not merge fields: {', '.join(sorted(unknown))}")
    try:
        return _environment().from_string(source).render(context)
    except TemplateError as error:
        raise RenderProblem(str(error)) from error
