"""The parts of a full index build, on record numbers: one URL per article (slug clashes),
old addresses (aliases), and the groups (categories, tags, authors, deals).

Each reads only what it needs of the records (a slug, a label's number), so a build over
100,000 files makes no ``Article`` but for the few that clash or carry aliases.
"""

from __future__ import annotations

import hashlib
import zlib
from array import array
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import urlsplit

from blog.content.fields import slugify
from blog.content.records import ALIASED, DEALS, NO_TIME, Records, from_us
from blog.content.tables import ArticleList, key_hash


@dataclass(frozen=True)
class Group:
    """A category, a tag or an author: its URL slug, the name editors write, its articles
    newest first."""

    slug: str
    name: str
    articles: ArticleList
    spellings: Mapping[str, int] = field(default_factory=dict, compare=False)  # name → uses
    digest: int = 0  # which articles, in which order: their ``member_digest``s XORed

    @property
    def count(self) -> int:
        return len(self.articles)


@dataclass(frozen=True)
class Conflict:
    """Two files, or a file and the site, that want the same URL: the check reports these."""

    path: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.message}"


def member_digest(records: Records, rid: int) -> int:
    """A record's share of a listing's digest: what puts it in its place and links it
    (path, date, slug), not what it says, so an edit of its text leaves the listing's alone."""
    text = f"{records.path(rid)}\0{records.date_us(rid)}\0{records.slug(rid)}"
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=16).digest(), "big")


def xor(digests: Iterable[int]) -> int:
    """Digests combined so that one can be taken out or put in again in constant time."""
    total = 0
    for digest in digests:
        total ^= digest
    return total


def commonest_name(spellings: Mapping[str, int]) -> str:
    """The spelling editors use most for a group (ties: the first in sort order)."""
    return min(spellings, key=lambda n: (-spellings[n], n))


def sort_groups(groups: Mapping[str, Group]) -> Mapping[str, Group]:
    return MappingProxyType(dict(sorted(groups.items(), key=lambda kv: kv[1].name.lower())))


@dataclass
class Keys:
    """What a build reads of every record's keys, in one pass: the hashes its tables are
    sorted by, and the content version's digest."""

    paths: list[tuple[int, int]]  # (path hash, record), sorted
    slugs: list[tuple[int, int]]  # (slug hash, record), sorted
    slug_hash: dict[int, int]  # record → its slug's hash
    digest: int


def scan_keys(records: Records, rids: list[int]) -> Keys:
    """Hash every record's path and slug and fold its share into the version digest,
    from the packed keys as they are (no string is made of a path or a slug)."""
    paths: list[tuple[int, int]] = []
    slugs: list[tuple[int, int]] = []
    digest = 0
    crc32, adler32, sha256 = zlib.crc32, zlib.adler32, hashlib.sha256
    keys, at = records.keys_columns()
    commits = records.column("committed")
    for rid in rids:
        start, end = at[rid], at[rid + 1]
        if keys[start] == 1:
            source_hash, rest = keys[start + 1 : start + 33].hex(), bytes(keys[start + 33 : end])
        else:
            cut = keys.index(0, start + 1, end)
            source_hash, rest = bytes(keys[start + 1 : cut]).decode(), bytes(keys[cut + 1 : end])
        path, _, slug = rest.partition(b"\0")
        paths.append((crc32(path) << 32 | adler32(path), rid))
        slugs.append((crc32(slug) << 32 | adler32(slug), rid))
        committed = commits[rid]
        moment = None if committed == NO_TIME else from_us(committed)
        share = path + f"\0{source_hash}\0{moment}".encode()
        digest ^= int.from_bytes(sha256(share).digest()[:16], "big")
    paths.sort()
    slugs.sort()
    return Keys(paths, slugs, {rid: h for h, rid in slugs}, digest)


def assign_slugs(
    records: Records, keys: Keys, article_path: Callable[[str], str]
) -> tuple[list[int], list[Conflict]]:
    """One URL per article: the oldest claimant keeps a slug, later ones get ``-2``, ``-3``…
    (a record of their own, with that slug); the records as served, and the clashes. Only
    records whose slugs' hashes meet are read to compare."""
    slugs = keys.slugs
    served: list[int] = []
    clashes: list[Conflict] = []
    given: set[str] = set()  # slugs given to losers in this build
    i = 0
    while i < len(slugs):
        j = i + 1
        while j < len(slugs) and slugs[j][0] == slugs[i][0]:
            j += 1
        if j - i == 1:  # the usual case: nothing to settle
            served.append(slugs[i][1])
            i = j
            continue
        claims: dict[str, list[int]] = defaultdict(list)
        for _, rid in slugs[i:j]:
            claims[records.slug(rid)].append(rid)
        i = j
        for slug, claimants in claims.items():
            first, *others = sorted(claimants, key=records.order_key)
            served.append(first)
            for n, other in enumerate(others, start=2):
                while f"{slug}-{n}" in given or _claimed(records, keys, f"{slug}-{n}"):
                    n += 1
                given.add(f"{slug}-{n}")
                served.append(records.renamed(other, f"{slug}-{n}"))
                clashes.append(
                    Conflict(
                        records.path(other),
                        "slug",
                        f"'{slug}' is also claimed by {records.path(first)}, which is older and "
                        f"keeps it; this article is served at {article_path(f'{slug}-{n}')}/",
                    )
                )
    return served, clashes


def _claimed(records: Records, keys: Keys, slug: str) -> bool:
    """True when a file asks for ``slug``."""
    h = key_hash(slug)
    at = bisect_left(keys.slugs, (h, -1))
    while at < len(keys.slugs) and keys.slugs[at][0] == h:
        if records.slug(keys.slugs[at][1]) == slug:
            return True
        at += 1
    return False


def alias_path(alias: str, article_path: Callable[[str], str]) -> str:
    """Where an alias points from: an old path as written, an old URL's path, or a slug."""
    if "://" in alias:
        alias = urlsplit(alias).path
    if alias.startswith("/"):
        return alias.rstrip("/") or "/"
    return article_path(slugify(alias))


def redirects_of(
    records: Records,
    published: ArticleList,
    conflicts: list[Conflict],
    article_path: Callable[[str], str],
) -> tuple[dict[str, str], frozenset[str]]:
    """Old path → slug for every alias of a published article (live URLs always win), and
    every alias as a path."""
    aliased = [rid for rid in reversed(published.ids) if records.bits(rid) & ALIASED]
    if not aliased:
        return {}, frozenset()
    live = {article_path(records.slug(rid)) for rid in published.ids}
    redirects: dict[str, str] = {}
    paths: set[str] = set()
    for rid in aliased:  # oldest first: the first claim on a path wins
        article = records.article(rid)
        for alias in article.aliases:
            path = alias_path(alias, article_path)
            paths.add(path)
            if path in live and path != article_path(article.slug):
                conflicts.append(
                    Conflict(
                        article.path,
                        "aliases",
                        f"'{alias}' is a live article's address; "
                        "it stays that article's and is not redirected",
                    )
                )
            elif redirects.get(path, article.slug) != article.slug:
                conflicts.append(
                    Conflict(
                        article.path,
                        "aliases",
                        f"'{alias}' already redirects to "
                        f"{article_path(redirects[path])}/; it keeps doing so",
                    )
                )
            elif path not in live:
                redirects[path] = article.slug
    return redirects, frozenset(paths)


class _Grouper:
    """Articles (newest first) into groups by the slug of a name, with the commonest
    spelling shown; each name is slugified once, however many articles carry it."""

    def __init__(self, records: Records, digests: Mapping[int, int]) -> None:
        self.records = records
        self.digests = digests  # each record's ``member_digest``
        self.digest: dict[str, int] = defaultdict(int)
        self.members: dict[str, array[int]] = defaultdict(lambda: array("I"))
        self.spellings: dict[str, Counter[int]] = defaultdict(Counter)
        self._slugs: dict[int, str] = {}

    def add(self, rid: int, numbers: Iterable[int]) -> None:
        for number in numbers:
            slug = self._slugs.get(number)
            if slug is None:
                slug = self._slugs[number] = slugify(self.records.names[number])
            if slug:
                self.members[slug].append(rid)
                self.spellings[slug][number] += 1
                self.digest[slug] ^= self.digests[rid]

    def groups(self) -> Mapping[str, Group]:
        names = self.records.names
        groups = {}
        for slug, members in self.members.items():
            spellings = {names[n]: count for n, count in self.spellings[slug].items()}
            groups[slug] = Group(
                slug,
                commonest_name(spellings),
                ArticleList(self.records, members),
                spellings,
                self.digest[slug],
            )
        return sort_groups(groups)


def groups_of(
    records: Records, published: ArticleList, digests: Mapping[int, int]
) -> tuple[Mapping[str, Group], Mapping[str, Group], Mapping[str, Group], ArticleList]:
    """Categories, tags and authors of the published articles (newest first), and the
    deals; ``digests``: each one's ``member_digest``."""
    categories, tags, authors = (_Grouper(records, digests) for _ in range(3))
    deals = array("I")
    category_of, ntags_of, bits = (records.column(n) for n in ("category", "ntags", "bits"))
    labels, labels_at = records.labels_columns()
    for rid in published.ids:
        category = category_of[rid]
        if category >= 0:
            categories.add(rid, (category,))
        start, end = labels_at[rid], labels_at[rid + 1]
        split = start + ntags_of[rid]
        if split > start:
            tags.add(rid, labels[start:split])
        if end > split:
            authors.add(rid, labels[split:end])
        if bits[rid] & DEALS:
            deals.append(rid)
    return (
        categories.groups(),
        tags.groups(),
        authors.groups(),
        ArticleList(records, deals),
    )


def regroup(
    records: Records,
    groups: Mapping[str, Group],
    leaving: list[int],
    arriving: list[int],
    names_of: Callable[[int], tuple[str, ...]],
) -> Mapping[str, Group]:
    """The old groups, with those the changed records belong to (before or after) redone:
    the old versions taken out, the new ones put in, the spellings counted again."""
    touched = {slugify(n) for rid in (*leaving, *arriving) for n in names_of(rid)} - {""}
    if not touched:
        return groups
    regrouped = dict(groups)
    for slug in touched:
        group = groups.get(slug)
        out = [r for r in leaving if any(slugify(n) == slug for n in names_of(r))]
        into = [r for r in arriving if any(slugify(n) == slug for n in names_of(r))]
        items = (group.articles if group else ArticleList(records)).moved(out, into)
        spellings = Counter(group.spellings) if group else Counter()
        spellings.subtract(n for r in out for n in names_of(r) if slugify(n) == slug)
        spellings.update(n for r in into for n in names_of(r) if slugify(n) == slug)
        spellings = Counter({n: c for n, c in spellings.items() if c > 0})
        digest = xor(member_digest(records, r) for r in (*out, *into))
        digest ^= group.digest if group else 0
        if items:
            name = commonest_name(spellings)
            regrouped[slug] = Group(slug, name, items, dict(spellings), digest)
        else:
            del regrouped[slug]
    return sort_groups(regrouped)
