"""Loading policies: sections, ids, metadata, and clear errors for broken documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.library import load_library
from index.policy import PolicyError, load_policy, read_policy, slugify
from qa.settings import bundled_policy


def test_bundled_policy_is_the_shared_policy_unchanged() -> None:
    shared = Path(__file__).parents[3] / "shared" / "policy" / "privacy-policy.md"
    if not shared.exists():
        pytest.skip("../shared is not beside this clone")
    assert bundled_policy().read_bytes() == shared.read_bytes()


def test_bundled_policy_splits_at_level_two_headings_with_a_preamble() -> None:
    policy = load_policy(bundled_policy())
    ids = [s.id for s in policy.sections]
    assert ids[0] == "preamble"
    assert "data-retention" in ids and "third-party-links" in ids and "contact-us" in ids
    assert len(ids) == len(set(ids)) == 13
    assert policy.title == "Privacy Policy"
    assert policy.authors == ("jmccune",)
    assert policy.date is not None and policy.date.startswith("2023-05-23")
    assert policy.last_updated == "January, 2024"
    assert len(policy.version) == 16


def test_level_three_headings_stay_inside_their_section_with_anchors_of_their_own() -> None:
    text = (
        "---\ntitle: T\n---\n## Rights\nIntro.\n"
        "### Access\nAsk us.\n### Access\nAgain.\n## Access\nx\n"
    )
    policy = read_policy(text, "t")
    assert [s.id for s in policy.sections] == ["rights", "access"]
    rights = policy.sections[0]
    assert rights.markdown == "Intro.\n### Access\nAsk us.\n### Access\nAgain."
    assert rights.path == ("Rights",) and rights.level == 2
    # The section keeps its own slug; the headings inside it get the next free ones.
    assert rights.subheadings == (("access-2", "Access"), ("access-3", "Access"))


def test_headings_inside_code_fences_do_not_split() -> None:
    text = "## Real\n```\n## not a heading\n```\n## Next\nbody\n"
    assert [s.id for s in read_policy(text, "t").sections] == ["real", "next"]


def test_slugs_are_stable_github_style_anchors() -> None:
    assert slugify("How Is Your Personal Data Collected?") == "how-is-your-personal-data-collected"
    assert slugify("Third-party Links") == "third-party-links"
    assert slugify("Données personnelles") == "donnees-personnelles"
    assert slugify("???") == "section"


def test_last_updated_comes_from_front_matter_before_the_text_line() -> None:
    text = "---\nlast_updated: 2025-03-01\n---\n_Last Updated: January, 2024_\n## A\nb\n"
    assert read_policy(text, "t").last_updated == "2025-03-01"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"---\ntitle: T\n---\nJust text, no headings.\n", "no sections"),
        (b"---\ntitle: [unclosed\n---\n## A\nb\n", "front matter is broken"),
        (b"## A\n\xff\xfe caf\xe9\n", "not UTF-8"),
        (b"---\n- a\n- b\n---\n## A\nb\n", "mapping"),
    ],
)
def test_a_broken_document_names_the_file_and_the_problem(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    path = tmp_path / "broken.md"
    path.write_bytes(content)
    with pytest.raises(PolicyError) as raised:
        load_library(path)
    assert str(path) in str(raised.value)
    assert problem in str(raised.value)


def test_a_directory_is_one_document_per_markdown_file_named_by_stem(tmp_path: Path) -> None:
    cookies = "---\ntitle: Cookies\n---\n## Cookies\nWe use some.\n"
    (tmp_path / "cookie-policy.md").write_text(cookies)
    (tmp_path / "privacy-policy.md").write_text("## Data\nWe keep data.\n")
    (tmp_path / "notes.txt").write_text("ignored")
    library = load_library(tmp_path)
    assert list(library.documents) == ["privacy-policy", "cookie-policy"]
    assert library.default.name == "privacy-policy"
    assert library.documents["cookie-policy"].title == "Cookies"


def test_a_missing_path_or_empty_directory_is_refused_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="PRIVACY_QA_POLICY"):
        load_library(tmp_path / "nope.md")
    with pytest.raises(PolicyError, match=r"no \*\.md"):
        load_library(tmp_path)
