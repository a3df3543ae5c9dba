"""The search engine on its own: real articles in the editors' format, a real FTS5 index."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from html.parser import HTMLParser

import pytest

from blog.content.models import Article
from blog.content.store import Store
from blog.search import engine as search
from blog.search.engine import _DOCS, INLINE, Results, SearchIndex
from tests.articles import parsed_article

PLAIN_BODY = "Nothing to see in this one."


def make(
    path: str,
    title: str = "An Ordinary Day",
    body: str = PLAIN_BODY,
    date: str = "2025-06-02T07:45:10Z",
    front: str = "",
) -> Article:
    """An article whose defaults hold none of the words the tests search for."""
    return parsed_article(path, title=title, body=body, date=date, front=front)


def engine() -> SearchIndex:
    """An index in a store of its own, reading text from articles parsed with theirs."""
    return SearchIndex(Store.temporary(), text_of=lambda article: article.markdown)


def indexed(*articles: Article) -> SearchIndex:
    index = engine()
    index.sync(articles)
    return index


def paths(results: Results) -> list[str]:
    return [hit.article.path for hit in results.hits]


def marked_words(markup: str) -> list[str]:
    """The text inside each <mark>, read with an HTML parser rather than by pattern."""

    class Marks(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.depth, self.words = 0, []

        def handle_starttag(self, tag: str, attrs: object) -> None:
            if tag == "mark":
                self.depth += 1
                self.words.append("")

        def handle_endtag(self, tag: str) -> None:
            self.depth -= tag == "mark"

        def handle_data(self, data: str) -> None:
            if self.depth:
                self.words[-1] += data

    parser = Marks()
    parser.feed(markup)
    return parser.words


# Ranking


def test_headline_match_ranks_above_body_only_match() -> None:
    body_only = make(
        "body.md", body="The ferry ran late. The ferry ran early.", date="2025-06-09T00:00:00Z"
    )
    headline = make("headline.md", title="Ferry Timetable Changes", date="2025-01-01T00:00:00Z")

    results = indexed(body_only, headline).search("ferry")

    assert paths(results) == ["headline.md", "body.md"]


def test_tag_match_ranks_above_body_only_match() -> None:
    body_only = make(
        "body.md", body="The ferry ran late. The ferry ran early.", date="2025-06-09T00:00:00Z"
    )
    tagged = make("tagged.md", front='tags:\n  - "#Ferry #Transport"', date="2025-01-01T00:00:00Z")

    results = indexed(body_only, tagged).search("ferry")

    assert paths(results) == ["tagged.md", "body.md"]


def test_equal_matches_are_listed_newest_first() -> None:
    # Indexed oldest first, so the order of insertion cannot pass for the order of dates.
    dates = ["2024-03-01T00:00:00Z", "2025-03-01T00:00:00Z", "2024-09-01T00:00:00Z"]
    articles = [make(f"{d[:10]}.md", body="A ferry story.", date=d) for d in sorted(dates)]

    results = indexed(*articles).search("ferry")

    assert paths(results) == ["2025-03-01.md", "2024-09-01.md", "2024-03-01.md"]


def test_category_is_searchable() -> None:
    results = indexed(make("a.md", front="categoria: Food & Drink"), make("b.md")).search("drink")

    assert paths(results) == ["a.md"]


# Matching


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("cafe", "A new Café by the quay."),
        ("CAFÉ", "A new cafe by the quay."),
        ("HARBOUR", "The harbour is quiet."),
        ("zurich", "Trams in Zürich."),
    ],
)
def test_search_ignores_accents_and_case(query: str, text: str) -> None:
    results = indexed(make("a.md", body=text), make("b.md")).search(query)

    assert paths(results) == ["a.md"]


def test_decomposed_accents_in_a_query_match_composed_text() -> None:
    results = indexed(make("a.md", body="Trains to España."), make("b.md")).search(
        "Espan\u0303a trains"
    )

    assert paths(results) == ["a.md"]


def test_last_word_matches_as_a_prefix() -> None:
    results = indexed(make("a.md", body="The harbour is quiet."), make("b.md")).search("harb")

    assert paths(results) == ["a.md"]


def test_words_before_the_last_must_match_whole() -> None:
    index = indexed(make("a.md", body="The harbour is quiet."))

    assert index.search("harb quiet").total == 0
    assert index.search("harbour qui").total == 1


def test_single_letter_last_word_is_not_a_prefix() -> None:
    assert indexed(make("a.md", body="The harbour is quiet.")).search("h").total == 0


def test_every_word_must_match() -> None:
    index = indexed(
        make("both.md", body="Harbour trams at night."),
        make("harbour.md", body="The harbour is quiet."),
        make("trams.md", body="Trams run late."),
    )

    assert paths(index.search("harbour trams")) == ["both.md"]


def test_markup_and_link_addresses_are_not_indexed() -> None:
    body = (
        "<!--StartFragment-->\n\n### Tidal news\n\n**Bold** words and "
        "[the report](https://example.org/turbine-report).\n\n- - -\n\n<!--EndFragment-->"
    )
    index = indexed(make("a.md", body=body))

    assert index.search("report").total == 1
    assert index.search("example").total == 0
    assert index.search("StartFragment").total == 0


# Highlighting


def test_title_highlight_wraps_each_matched_word_in_mark() -> None:
    index = indexed(make("a.md", title="Harbour Cities Turn to Tidal Power"))

    hit = index.search("tidal harbour").hits[0]

    assert hit.title == "<mark>Harbour</mark> Cities Turn to <mark>Tidal</mark> Power"


def test_prefix_match_marks_the_whole_word() -> None:
    hit = indexed(make("a.md", title="Harbour Cities")).search("harb").hits[0]

    assert hit.title == "<mark>Harbour</mark> Cities"


def test_title_html_is_escaped_around_the_marks() -> None:
    index = indexed(make("a.md", title="<script>alert(1)</script> & Tidal"))

    hit = index.search("tidal").hits[0]

    assert hit.title == "&lt;script&gt;alert(1)&lt;/script&gt; &amp; <mark>Tidal</mark>"
    assert "<script" not in str(hit.snippet)


def test_snippet_comes_from_the_text_where_the_word_is_and_is_escaped() -> None:
    body = "**Tidal** power: 5 < 6 & the [report](https://example.org) says so."
    index = indexed(make("a.md", body=body, front="short-description: A standfirst."))

    hit = index.search("tidal").hits[0]

    assert hit.snippet == "<mark>Tidal</mark> power: 5 &lt; 6 &amp; the report says so."


def test_snippet_falls_back_to_the_standfirst_when_the_text_does_not_match() -> None:
    front = "short-description: '<b>Harbour</b> news in brief'"
    index = indexed(make("a.md", title="Harbour Report", front=front))

    hit = index.search("harbour").hits[0]

    assert hit.snippet == "&lt;b&gt;<mark>Harbour</mark>&lt;/b&gt; news in brief"


def test_snippet_of_a_long_text_is_an_extract_around_the_match() -> None:
    filler = " ".join(f"word{n}" for n in range(200))
    body = f"{filler} the turbine spins. {filler}"
    hit = indexed(make("a.md", body=body)).search("turbine").hits[0]

    assert marked_words(hit.snippet) == ["turbine"]
    assert len(str(hit.snippet).split()) <= 30
    assert "…" in hit.snippet


def test_control_characters_never_reach_the_markup() -> None:
    body = "Tidal\x02 power\x03 and\x07 more."
    hit = indexed(make("a.md", body=body)).search("power").hits[0]

    assert marked_words(hit.snippet) == ["power"]
    assert not any(ord(c) < 32 for c in hit.snippet)


# Queries are reader text, never syntax


@pytest.mark.parametrize(
    ("query", "total"),
    [
        ('"', 0),
        ("*", 0),
        ("NEAR(", 1),
        ("a OR", 0),
        (":", 0),
        ("-", 0),
        ("🌊", 0),
        ("?!.,;:()[]{}^", 0),
        ("x" * 10_000, 0),
        ("\x00", 0),
        ('"tidal', 1),
        ("tidal*", 1),
        ("(tidal)", 1),
        ("-tidal", 1),
        ("NOT tidal", 1),  # operators are words to find, in any case
        ("NEAR tidal", 1),
        ("tidal AND", 1),
        ("tidal OR harbour", 1),
        ("headline:tidal", 0),  # nor is a column filter
        ("🌊 tidal", 1),
        ("\ud800tidal", 1),  # a lone surrogate, as a broken form might send
    ],
)
def test_hostile_queries_are_searched_as_words(query: str, total: int) -> None:
    index = indexed(make("a.md", title="Near Or Not, Tidal And Harbour"))

    results = index.search(query)

    assert isinstance(results, Results)
    assert results.total == total


def test_a_query_the_engine_refuses_returns_no_hits(monkeypatch: pytest.MonkeyPatch) -> None:
    # Quoting makes every query valid, so a refusal can only be simulated: the safety net
    # must still turn it into an empty page rather than an error.
    monkeypatch.setattr(search, "fts_query", lambda words: '"unclosed')

    results = indexed(make("a.md", body="Ferry.")).search("ferry")

    assert results == Results("ferry", 0, [])


@pytest.mark.parametrize("query", ["", "   ", "\t\n"])
def test_empty_query_finds_nothing(query: str) -> None:
    results = indexed(make("a.md")).search(query)

    assert results == Results("", 0, [])


def test_query_is_cleaned_to_the_words_searched() -> None:
    assert indexed().search('  tidal  "harb*  ').query == "tidal harb"


def test_long_query_keeps_the_first_twelve_words() -> None:
    results = indexed(make("a.md", body="Tidal power.")).search("tidal " * 2000)

    assert results.query == " ".join(["tidal"] * 12)
    assert results.total == 1


# Pagination


def test_pages_split_the_results_and_keep_the_total() -> None:
    articles = [
        make(f"{n}.md", body="Ferry news.", date=f"2025-01-0{n}T00:00:00Z") for n in range(1, 6)
    ]
    index = indexed(*articles)

    second = index.search("ferry", limit=2, offset=2)

    assert second.total == 5
    assert paths(second) == ["3.md", "2.md"]


@pytest.mark.parametrize("offset", [-3, -(10**30)])
def test_negative_offset_is_the_first_page(offset: int) -> None:
    articles = [make(f"{n}.md", body="Ferry news.", date=f"2025-01-0{n}T00:00:00Z") for n in (1, 2)]

    assert paths(indexed(*articles).search("ferry", limit=1, offset=offset)) == ["2.md"]


@pytest.mark.parametrize(("limit", "offset"), [(2, 5), (2, 10**30), (0, 0), (-1, 0)])
def test_pages_past_the_end_or_empty_have_no_hits(limit: int, offset: int) -> None:
    articles = [make(f"{n}.md", body="Ferry news.") for n in range(5)]

    results = indexed(*articles).search("ferry", limit=limit, offset=offset)

    assert (results.total, results.hits) == (5, [])


# Keeping in step with the library


def test_editing_an_article_makes_new_words_findable_and_old_ones_not() -> None:
    index = indexed(make("a.md", body="The old ferry."))

    index.sync([make("a.md", body="The new turbine.")])

    assert index.search("turbine").total == 1
    assert index.search("ferry").total == 0


def test_deleting_an_article_removes_it_from_results() -> None:
    index = indexed(make("a.md", body="Ferry one."), make("b.md", body="Ferry two."))

    index.sync([make("b.md", body="Ferry two.")])

    assert paths(index.search("ferry")) == ["b.md"]


def test_resync_of_unchanged_articles_writes_nothing() -> None:
    articles = [make(f"{n}.md", body=f"Story {n}.") for n in range(20)]
    index = indexed(*articles)
    before = index.store.connect().total_changes

    index.sync(list(articles))

    assert index.store.connect().total_changes == before


def test_editing_one_article_rewrites_only_its_row() -> None:
    articles = [make(f"{n}.md", body=f"Story {n}.") for n in range(20)]
    index = indexed(*articles)
    statements: list[str] = []
    index.store.connect().set_trace_callback(statements.append)

    index.sync([*articles[:7], make("7.md", body="Edited."), *articles[8:]])

    writes = [s.split()[0:3] for s in statements if s.startswith(("INSERT", "DELETE", "UPDATE"))]
    assert writes == [["INSERT", "OR", "IGNORE"], ["INSERT", "INTO", _DOCS]]
    assert [hit.article.path for hit in index.search("edited").hits] == ["7.md"]
    assert index.search("story").total == 19


def test_hits_carry_the_current_article_object() -> None:
    article = make("a.md", body="Ferry.")
    index = indexed(article)
    committed = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    same_file = dataclasses.replace(article, committed=committed)

    index.sync([same_file])

    assert index.search("ferry").hits[0].article is same_file


def test_searches_and_syncs_from_many_threads_do_not_interfere() -> None:
    old = [make(f"{n}.md", body="Ferry.") for n in range(30)]
    new = [make(f"{n}.md", body="Ferry again.") for n in range(30)]
    index = indexed(*old)
    failures: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(20):
                if n % 2:
                    index.sync(new if i % 2 else old)
                elif index.search("ferry").total != 30:
                    failures.append(AssertionError("a search saw a half-done sync"))
        except Exception as e:  # collected: a thread's exception would otherwise be lost
            failures.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []


def test_identical_files_are_each_found() -> None:
    twins = [make("a.md", body="Ferry."), make("b.md", body="Ferry.")]
    assert twins[0].source_hash == twins[1].source_hash

    results = indexed(*twins).search("ferry")

    assert (results.total, sorted(paths(results))) == (2, ["a.md", "b.md"])


def test_a_second_process_on_the_same_store_reuses_the_rows() -> None:
    articles = [make(f"{n}.md", body=f"Story {n}.") for n in range(30)]
    first = indexed(*articles)
    second = SearchIndex(first.store, text_of=lambda article: article.markdown)
    statements: list[str] = []
    second.store.connect().set_trace_callback(statements.append)

    second.sync(articles)

    assert [s for s in statements if s.startswith("INSERT")] == []
    assert second.search("story").total == 30


def test_a_large_first_sync_indexes_in_the_background_and_says_so() -> None:
    articles = [make(f"{n}.md", body=f"Harbour story {n}.") for n in range(INLINE + 300)]
    index = engine()

    index.sync(articles)
    during = index.missing
    worker = index._worker
    assert worker is not None
    worker.join(timeout=60)

    assert during > 0
    assert index.missing == 0
    assert index.search("harbour").total == len(articles)


def test_prune_drops_rows_of_versions_the_store_forgot() -> None:
    old, new = make("a.md", body="Old ferry."), make("a.md", body="New turbine.")
    index = indexed(old)
    index.sync([new])
    index.store.put([(new.source_hash, new.parts)])

    index.store.prune({new.source_hash}, older_than=-1)
    dropped = index.prune()

    assert dropped == 1
    assert paths(index.search("turbine")) == ["a.md"]
    assert index.store.connect().execute(f"SELECT count(*) FROM {_DOCS}").fetchone() == (1,)
