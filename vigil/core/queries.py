"""What every part's lists share."""


def where_given(queryset, **conditions):
    """The queryset filtered by each condition whose value was given (a blank filter on a page
    or in the API means "any")."""
    given = {lookup: value for lookup, value in conditions.items() if value not in (None, "")}
    return queryset.filter(**given) if given else queryset
