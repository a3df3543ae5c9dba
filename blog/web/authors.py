"""Author pages: ``/author/<slug>/``, an author's articles newest first with the profile of
``content/authors/<slug>.md`` when there is one, and the bylines' links to them."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup
from werkzeug.wrappers import Response as HTTPResponse

from blog.content import keys
from blog.content.index import Group
from blog.content.profiles import Profile
from blog.markup.render import costly, plain_paragraphs
from blog.web import meta
from blog.web.cache import cached_page, current_index
from blog.web.pages import find_group, newest_change, render_page
from blog.web.pagination import paginate
from blog.web.shown import shows, shows_cards, shows_group
from blog.web.state import get_html

bp = Blueprint("authors", __name__)


def bio_html(profile: Profile | None) -> Markup:
    """A profile's bio, sanitized as article text is; a bio that could take long to render
    (``costly``: a bad paste) is shown as its plain text."""
    if profile is None or not profile.bio:
        return Markup("")
    if costly(profile.bio):
        return Markup(plain_paragraphs(profile.bio))
    return get_html().renderer.html(profile.bio)


def display_name(group: Group, profile: Profile | None) -> str:
    """The profile's spelling of the name, else the bylines' commonest."""
    return profile.name if profile and profile.name else group.name


@bp.route("/author/<slug>/", defaults={"number": 1}, endpoint="author")
@bp.route("/author/<slug>/page/<int:number>/", endpoint="author")
@cached_page
def author(slug: str, number: int) -> HTTPResponse:
    """An author's articles and profile; other spellings of the slug redirect; else 404."""
    index = current_index()
    group = find_group(index.authors, slug, "authors.author", number)
    profile = index.profiles.get(group.slug)
    page = paginate(group.articles, number, "authors.author", slug=group.slug)
    shows_group("author", group)
    shows(keys.key("profile", group.slug))
    shows_cards(page.items)
    name = display_name(group, profile)
    own = meta.group_feeds("author", group)
    title = (
        name
        if page.number == 1
        else _("%(title)s, page %(number)s", title=name, number=page.number)
    )
    count = ngettext(
        "%(num)s article by %(name)s.", "%(num)s articles by %(name)s.", group.count, name=name
    )
    description = f"{profile.role}. " if profile and profile.role else ""
    page_meta = meta.author_meta(
        title,
        f"{description}{count}",
        page.canonical_url,
        name,
        profile,
        [*own, *meta.site_feeds()],
    )
    return render_page(
        "author.html",
        newest_change(page.items),
        page=page,
        group=group,
        name=name,
        profile=profile,
        bio=bio_html(profile),
        meta=page_meta,
        follow=own,
    )
