"""
Searching evidence records on PostgreSQL, through the search_vector column and GIN index of migration 0005.

Every word of the query must be found in the record's shared text (title, summary, institution names and aliases,
titles, excerpts and translations of unprotected sources) or, on the user's own group's records only, in the text
of its protected sources. A word is found when:
- in Chinese, it occurs as written: its two-character grams follow each other ('情绪识别' is the phrase
  '情绪' <-> '绪识' <-> '识别'), and a single character begins a gram ('课':*);
- otherwise, a word of the text begins with it, ignoring case: 'surveil' finds 'surveillance', 'vision' does not
  find 'Hikvision' (the portable search on SQLite matches any substring, so it finds a little more).
The query also asks the index for records the user may see (the '~g', '~s' and '~everyone' lexemes), so that a
common word costs what the user's matches cost, not what everyone's do; visible_to still decides what is shown.
Results are ordered by ts_rank over the shared text only, titles counting most, so protected text never changes
the order in which a record comes.
"""

import re

from django.core.paginator import EmptyPage, InvalidPage, Paginator
from django.db import connections
from django.db.models import BooleanField, Count, F, FloatField, Func, OrderBy, RowRange, Value, Window
from django.utils.functional import cached_property

from accounts.scoping import LARGEST_ID, acting_group_ids

# Han ideographs, as in migration 0005.
CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
OTHER_WORD = re.compile(r"[^\W_]+")
MAX_WORDS = 10
MAX_WORD_LENGTH = 64  # a pasted run of Chinese has no spaces; a tsquery lexeme may not pass 2 KB


def words_of(text):
    return [word[:MAX_WORD_LENGTH] for word in (text or "").split()[:MAX_WORDS]]


def rebuild_search_documents(queryset):
    """
    Recompute the search documents of these records. PostgreSQL's triggers already do it whenever a record, its
    citations, institution links or shares, a cited source or a linked institution is written, so this is for
    repairs, e.g. after loading rows with triggers disabled. Writing search_document makes the trigger run.
    Elsewhere there are no documents to rebuild.
    """
    if connections[queryset.db].vendor != "postgresql":
        return 0
    return queryset.order_by().update(search_document="")


#
# tsquery text, written here rather than by to_tsquery(): Chinese grams must not go through a text parser, whose
# idea of a letter depends on the database's locale.
#


def _lexeme(text, *, prefix=False):
    # Only letters, digits and the '~' of our own lexemes reach here: nothing needs escaping inside the quotes.
    return f"'{text.lower()}'" + (":*" if prefix else "")


def word_query(word, *, private=False):
    """The tsquery for one query word; `private` looks it up in protected text ('~p' lexemes) instead."""
    mark = "~p" if private else ""
    parts = []
    for run in CJK_RUN.findall(word):
        if len(run) == 1:
            parts.append(_lexeme(mark + run, prefix=True))
        else:
            parts.append(" <-> ".join(_lexeme(mark + run[i:i + 2]) for i in range(len(run) - 1)))
    parts += [_lexeme(mark + part, prefix=True) for part in OTHER_WORD.findall(CJK_RUN.sub(" ", word))]
    return " & ".join(f"({part})" for part in dict.fromkeys(parts))


def match_query(words, group_ids):
    """
    Every word in the shared text of a record the user may see, or also in protected text of their group's:
        (w1 | p1 & own) & (w2 | p2 & own) & … & (own | shared)
    with each word written once. GIN looks a prefix ('emotion':*) up again each time a query names it, about
    10 ms for a common word at 100,000 records, so the plainer (w1 | p1) & (w2 | p2) & own | w1 & w2 & shared,
    which names every word twice, took twice as long.
    """
    queries = [(q, word_query(w, private=True)) for w in words if (q := word_query(w))]
    if not queries:
        return None
    shared = " | ".join(["'~everyone'", *(f"'~s{g}'" for g in group_ids)])
    if not group_ids:
        return " & ".join(f"({q})" for q, _ in queries) + f" & ({shared})"
    own = " | ".join(f"'~g{g}'" for g in group_ids)
    each_word = " & ".join(f"(({q}) | (({p}) & ({own})))" for q, p in queries)
    return f"{each_word} & ({own} | {shared})"


def rank_query(words):
    return " | ".join(f"({q})" for w in words if (q := word_query(w)))


class _SearchVector(Func):
    """The row's search_vector column: migration 0005 adds it on PostgreSQL only, so it is not a model field."""

    def __init__(self):
        super().__init__(F("search_document"))

    def as_sql(self, compiler, connection, **extra_context):
        # Compiling the document column gives the table's alias, also inside a subquery.
        sql, params = compiler.compile(self.source_expressions[0])
        return sql.removesuffix('"search_document"') + '"search_vector"', params


def _tsquery(text):
    return Func(Value(text), template="%(expressions)s::tsquery")


class Matches(Func):
    template = "%(expressions)s"
    arg_joiner = " @@ "
    output_field = BooleanField()

    def __init__(self, query):
        super().__init__(_SearchVector(), _tsquery(query))


class Rank(Func):
    function = "ts_rank"
    output_field = FloatField()

    def __init__(self, query):
        super().__init__(_SearchVector(), _tsquery(query))


def search_postgresql(queryset, words, *, user):
    """`queryset` narrowed to the records `user` may see that match every word, best first."""
    group_ids = acting_group_ids(user)  # the user's groups, read once per request
    query = match_query(words, group_ids)
    if query is None:  # nothing to look up, e.g. only punctuation
        return queryset.none()
    ordering = queryset.query.order_by or queryset.model._meta.ordering
    return queryset.filter(Matches(query)).order_by(Rank(rank_query(words)).desc(), *ordering)


def _is_ranked(queryset):
    order = queryset.query.order_by
    return bool(order) and isinstance(order[0], OrderBy) and isinstance(order[0].expression, Rank)


# How many of a search's matches the evidence list ranks, at most: the newest this many. Ranking reads every match
# it ranks; a member who sees 50,000 records has 30,000 for "emotion" (bench/README.md, "Issue 20: the SQL").
RANKED_MATCHES = 1000


class SearchPaginator(Paginator):
    """
    Pages of a ranked search in two queries, as Paginator's COUNT and page are, but reading the matches once. A
    search must rank every match before it knows its best 50, and Paginator's COUNT then looks them all up again:
    26 of the 60 ms of SQL for "emotion" at 100,000 records (bench/README.md). Here the first query ranks the
    matches and returns only the page's ids, with the number of matches counted over the ranked set; the second
    reads those records. Anything else (SQLite's search, unranked lists) is paginated as usual.

    With `rank_at_most` (a multiple of per_page; the evidence list's), a search ranks only its newest
    `rank_at_most` matches: their pages come first, best first, then every older match follows, newest first, a
    page at a time. An unranked list counts only to `rank_at_most` + 1 the same way. When there are more,
    `more_than` is `rank_at_most` and the count is only "more than" that: counting them all would read them all.
    The API leaves it out: its `count` stays exact, which clients may rely on.
    """

    def __init__(self, object_list, per_page, *, rank_at_most=None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        assert rank_at_most is None or rank_at_most % per_page == 0, "whole pages of ranked matches"
        self.rank_at_most = rank_at_most
        self.more_than = None
        self.ranks = _is_ranked(object_list)  # for the page to say how the pages are ordered

    def get_page(self, number):
        # Paginator.get_page checks the number against num_pages first, which sends the COUNT this class exists to
        # avoid (the evidence list's search sent it on every page). The ranked query finds the page and the count;
        # only a number it cannot serve goes to Paginator, which counts and falls back to the first or last page.
        # (With rank_at_most, pages past the counted ones are served by page() too.)
        if _is_ranked(self.object_list) or self.rank_at_most is not None:
            try:
                return self.page(number)
            except InvalidPage:
                pass
        return super().get_page(number)

    @cached_property
    def count(self):
        """Exact, except in a list with rank_at_most, which counts to one more than that and says "more than"."""
        if self.rank_at_most is None or _is_ranked(self.object_list):
            return super().count
        counted = self.object_list.order_by()[:self.rank_at_most + 1].count()
        if counted > self.rank_at_most:
            self.more_than = self.rank_at_most
        return counted

    def page(self, number):
        # Anything but a page whose rows the database can count to (an OFFSET is a 64-bit integer) goes to
        # Paginator, which says what is wrong with the number.
        if not (str(number).isdigit() and 1 <= int(number) <= LARGEST_ID // self.per_page):
            return super().page(number)
        number = int(number)
        if not _is_ranked(self.object_list):
            # An unranked list with rank_at_most: its first pages as Paginator's, with the capped count above;
            # after them, the pages of the rest in the list's order, each knowing only whether another follows.
            if self.rank_at_most is not None and number > self.rank_at_most // self.per_page:
                return self._older_page(self.object_list, number - self.rank_at_most // self.per_page)
            return super().page(number)
        if self.rank_at_most is None:
            return self._ranked_page(self.object_list, number)
        # The query's own order after the rank, the newest first, and the id to settle ties between pages.
        order = [*self.object_list.query.order_by[1:], "-pk"]
        if not all(isinstance(item, str) for item in order):
            return self._ranked_page(self.object_list, number)  # an order this cannot sort by: rank them all
        newest = self.object_list.order_by(*order)
        ranked_pages = self.rank_at_most // self.per_page
        if number > ranked_pages:
            return self._older_page(newest, number - ranked_pages)
        # The newest matches (one more, to know whether there are more), found walking the newest-first index for
        # a common word or sorting a rare word's few matches, and the rank of those only, read by id: the ids are
        # already of matches the user may see, and only numbers come back, so the outer query does not look the
        # words up again (given both, PostgreSQL read every match of "emotion" and then kept these).
        fields = [item.removeprefix("-") for item in order]
        rows = list(self.object_list.model._default_manager
                    .filter(pk__in=newest.values("pk")[:self.rank_at_most + 1])
                    .annotate(search_rank=self.object_list.query.order_by[0].expression)
                    .values_list("search_rank", *fields))
        # Sorted here as the query's ORDER BY would: its order (NULLs first when descending, as PostgreSQL),
        # the newest `rank_at_most` kept, then by rank, which a stable sort leaves in that order where equal.
        for position, item in reversed(list(enumerate(order, start=1))):
            rows.sort(key=lambda row, i=position: (row[i] is None, 0 if row[i] is None else row[i]),
                      reverse=item.startswith("-"))
        ranked = sorted(rows[:self.rank_at_most], key=lambda row: -row[0])
        bottom = (number - 1) * self.per_page
        if not ranked[bottom:bottom + self.per_page]:  # past the last page, or nothing matches
            return super().page(number)
        if len(rows) > self.rank_at_most:
            self._more_than(self.rank_at_most + 1)
        else:
            self.count = len(ranked)
        return self._page_of([row[-1] for row in ranked[bottom:bottom + self.per_page]], number)

    def _ranked_page(self, object_list, number):
        ordering = [item if isinstance(item, OrderBy) else
                    F(item[1:]).desc() if item.startswith("-") else F(item).asc()
                    for item in object_list.query.order_by]
        # The window's ORDER BY is the query's, so the rank is computed below the sort and the window keeps
        # (id, rank, date) rows, not each match's search_vector.
        matches = Window(Count("*"), order_by=ordering, frame=RowRange(start=None, end=None))
        bottom = (number - 1) * self.per_page
        found = list(object_list.annotate(matches_in_all=matches)
                     .values_list("pk", "matches_in_all")[bottom:bottom + self.per_page])
        if not found:  # past the last page, or nothing matches: Paginator counts and says which
            return super().page(number)
        self.count = found[0][1]
        return self._page_of([pk for pk, _ in found], number)

    def _older_page(self, newest, number_after_ranked):
        """A page of the matches older than the ranked ones, newest first, and whether another follows."""
        bottom = self.rank_at_most + (number_after_ranked - 1) * self.per_page
        ids = list(newest.values_list("pk", flat=True)[bottom:bottom + self.per_page + 1])
        if not ids:
            # Past the end: get_page goes back to the last page it can count to (the true last one in a search).
            raise EmptyPage(self.error_messages["no_results"])
        shown = ids[:self.per_page]
        self._more_than(bottom + len(shown) + (1 if len(ids) > self.per_page else 0))
        return self._page_of(shown, self.rank_at_most // self.per_page + number_after_ranked)

    def _more_than(self, known):
        """There are more matches than are ranked; `known` of them are known, which sets the pages to come."""
        self.more_than = self.rank_at_most
        self.count = known
        self.__dict__.pop("num_pages", None)

    def _page_of(self, ids, number):
        position = {pk: i for i, pk in enumerate(ids)}
        rows = sorted(self.object_list.filter(pk__in=position), key=lambda record: position[record.pk])
        return self._get_page(rows, number, self)
