"""Real-world Markdown policies: front matter kinds, heading shapes, raw HTML, dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from html import escape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from markdown_it import MarkdownIt

from index import passages
from index.library import Library, load_library
from index.metadata import split_front_matter
from index.passages import inline_text, plain_blocks, section_sentences
from index.policy import Policy, PolicyError, parse_date, read_policy
from index.sections import outline as read_outline
from index.sections import split_sections
from index.visible import visible_text
from qa.answering.assistant import Assistant
from qa.answering.evaluation import run_eval
from qa.answering.render import render_markdown
from qa.cli.main import main
from qa.settings import Settings, bundled_policy
from web.app import create_app

DATA = Path(__file__).parents[1] / "data"


def outline(policy: Policy) -> list[tuple[str, int, tuple[str, ...]]]:
    """(id, level, path) of each section."""
    return [(s.id, s.level, s.path) for s in policy.sections]


# -- front matter ---------------------------------------------------------------------------


def test_toml_front_matter_gives_title_authors_and_lastmod() -> None:
    text = (
        '+++\ntitle = "Hugo Privacy"\nauthors = ["Legal"]\n'
        "date = 2023-01-01\nlastmod = 2025-02-03T10:00:00Z\n+++\n"
        "## Data\nWe keep data.\n## Cookies\nWe set some.\n"
    )
    policy = read_policy(text, "hugo")
    assert policy.title == "Hugo Privacy"
    assert policy.authors == ("Legal",)
    assert policy.date == "2023-01-01"
    assert policy.last_updated == "2025-02-03T10:00:00+00:00"
    assert policy.updated_on == dt.date(2025, 2, 3)
    assert [s.id for s in policy.sections] == ["data", "cookies"]
    assert policy.metadata["lastmod"].year == 2025


@pytest.mark.parametrize(
    ("content", "problem", "fix"),
    [
        ('+++\ntitle = "unclosed\n+++\n## A\nb\n', "TOML front matter is broken", "'+++' lines"),
        ("+++\ntitle = 'T'\n## A\nb\n", "never closed", "end it with a '+++' line"),
        ("---\ntitle: T\n## A\nb\n", "never closed", "end it with a '---' line"),
        ("---\njust a string\n---\n## A\nb\n", "must be a YAML mapping", "'---' lines"),
    ],
)
def test_bad_front_matter_names_the_file_the_problem_and_the_fix(
    tmp_path: Path, content: str, problem: str, fix: str
) -> None:
    path = tmp_path / "policy.md"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PolicyError) as raised:
        load_library(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: ")
    assert problem in message and fix in message


def test_a_document_without_front_matter_takes_its_title_from_a_lone_h1() -> None:
    policy = read_policy("# Acme Privacy Notice\n\nHello.\n\n## Data\nx\n## Cookies\ny\n", "n")
    assert policy.title == "Acme Privacy Notice"
    assert outline(policy) == [
        ("preamble", 0, ("Acme Privacy Notice",)),
        ("data", 2, ("Data",)),
        ("cookies", 2, ("Cookies",)),
    ]
    assert policy.sections[0].markdown == "Hello."  # the title line is not preamble text


# -- heading levels -------------------------------------------------------------------------


def test_a_document_of_only_level_three_headings_splits_at_them() -> None:
    policy = read_policy("### Data\nWe keep data.\n### Sharing\nWe share none.\n", "p")
    assert outline(policy) == [("data", 3, ("Data",)), ("sharing", 3, ("Sharing",))]


def test_a_document_of_several_h1_splits_at_them_and_keeps_h2_inside() -> None:
    text = "# Data\nWe keep data.\n## Kinds\nNames.\n# Rights\nAsk us.\n"
    policy = read_policy(text, "p")
    assert outline(policy) == [("data", 1, ("Data",)), ("rights", 1, ("Rights",))]
    data = policy.sections[0]
    assert data.markdown == "We keep data.\n## Kinds\nNames."
    assert data.subheadings == (("kinds", "Kinds"),)


def test_a_single_h2_around_every_h3_does_not_split_and_heads_their_paths() -> None:
    text = (
        "# Privacy Policy\n\n## Our policy\n\n### Data we collect\nNames.\n\n"
        "### Cookies\nSome.\n\n#### Analytics\nCounts.\n"
    )
    policy = read_policy(text, "p")
    assert policy.title == "Privacy Policy"
    assert outline(policy) == [
        ("data-we-collect", 3, ("Our policy", "Data we collect")),
        ("cookies", 3, ("Our policy", "Cookies")),
    ]
    assert policy.sections[1].subheadings == (("analytics", "Analytics"),)


def test_a_section_too_long_to_read_is_split_again_at_the_headings_inside_it() -> None:
    filler = " ".join(["We keep the records we need."] * 30)  # 180 words a subsection
    text = (
        f"## About us\nA small shop.\n\n## Your data\nIn short: little.\n\n"
        f"### What we collect\n{filler}\n\n### Who sees it\n{filler}\n\n"
        f"#### Couriers\n{filler}\n\n## Contact\nWrite to us.\n"
    )
    policy = read_policy(text, "p")
    # "Your data" holds 540 words: split at its ###; "Who sees it" (360 words with its
    # ####) is short enough to keep its #### inside.
    assert [s.id for s in policy.sections] == [
        "about-us",
        "your-data",
        "what-we-collect",
        "who-sees-it",
        "contact",
    ]
    parent, child = policy.sections[1], policy.sections[3]
    assert parent.markdown == "In short: little."
    assert child.path == ("Your data", "Who sees it")
    assert child.subheadings == (("couriers", "Couriers"),)


def test_a_short_section_keeps_its_subheadings_inside() -> None:
    text = "## About us\nA shop.\n\n## Your data\nLittle.\n\n### Cookies\nNone.\n"
    assert [s.id for s in read_policy(text, "p").sections] == ["about-us", "your-data"]


def test_a_lone_h1_over_one_h2_is_the_title_not_a_section_holding_it() -> None:
    policy = read_policy("# Acme Privacy\nIntro.\n## Contact\nWrite to us.\n", "p")
    assert policy.title == "Acme Privacy"
    assert outline(policy) == [("preamble", 0, ("Acme Privacy",)), ("contact", 2, ("Contact",))]


def test_a_wrapping_heading_with_text_of_its_own_is_a_section() -> None:
    text = "## Rights\nYou have rights.\n### Access\nAsk.\n### Erasure\nDelete.\n"
    assert outline(read_policy(text, "p")) == [
        ("rights", 2, ("Rights",)),
        ("access", 3, ("Rights", "Access")),
        ("erasure", 3, ("Rights", "Erasure")),
    ]


def test_setext_headings_are_level_one_and_two() -> None:
    text = "Privacy Notice\n==============\n\nIntro.\n\nData\n----\nNames.\n\nCookies\n---\nSome.\n"
    policy = read_policy(text, "p")
    assert policy.title == "Privacy Notice"
    assert outline(policy) == [
        ("preamble", 0, ("Privacy Notice",)),
        ("data", 2, ("Data",)),
        ("cookies", 2, ("Cookies",)),
    ]


def test_numbered_headings_keep_their_numbers_and_get_slugs() -> None:
    text = "## 1. Information We Collect\nNames.\n### 1.3 Cookies\nSome.\n## 2. Use\nTo serve.\n"
    policy = read_policy(text, "p")
    assert [(s.id, s.heading) for s in policy.sections] == [
        ("1-information-we-collect", "1. Information We Collect"),
        ("2-use", "2. Use"),
    ]
    assert policy.sections[0].subheadings == (("13-cookies", "1.3 Cookies"),)


def test_headings_in_code_fences_lists_and_quotes_do_not_split() -> None:
    text = "## Real\n~~~\n## not one\nTitle\n=====\n~~~\n> ## quoted\n\n## Next\nbody\n"
    policy = read_policy(text, "p")
    assert [s.id for s in policy.sections] == ["real", "next"]
    assert "## not one" in policy.sections[0].markdown


def test_kramdown_ids_name_the_section_and_leave_the_heading_text() -> None:
    text = (
        "## Cookies {#cookie-use}\nSome.\n"
        "## Your rights\n{: #rights .big}\nAsk.\n### Access {#access-right}\nCopy.\n"
    )
    policy = read_policy(text, "p")
    assert [(s.id, s.heading) for s in policy.sections] == [
        ("cookie-use", "Cookies"),
        ("rights", "Your rights"),
    ]
    rights = policy.sections[1]
    assert rights.markdown == "Ask.\n### Access {#access-right}\nCopy."  # verbatim
    assert rights.subheadings == (("access-right", "Access"),)
    html = render_markdown(rights.markdown, rights.subheadings)
    assert html == '<p>Ask.</p>\n<h3 id="access-right">Access</h3>\n<p>Copy.</p>\n'
    assert "{" not in " ".join(section_sentences(rights.markdown))


def test_emphasis_is_not_part_of_a_heading() -> None:
    text = "## **Cookies**\nSome.\n## Your *rights*\nAsk.\n## Fish &amp; chips\nYes.\n"
    policy = read_policy(text, "p")
    # Emphasis goes; an entity stays as written (the page shows it escaped, as before).
    assert [(s.id, s.heading) for s in policy.sections] == [
        ("cookies", "Cookies"),
        ("your-rights", "Your rights"),
        ("fish-amp-chips", "Fish &amp; chips"),
    ]


def test_a_heading_with_no_text_of_its_own_is_merged_into_the_next_section() -> None:
    text = "## Intro\nHello.\n## Your rights\n\n## Access\nAsk for a copy.\n## Empty at the end\n"
    policy = read_policy(text, "p")
    assert outline(policy) == [
        ("intro", 2, ("Intro",)),
        ("access", 2, ("Your rights", "Access")),
    ]
    assert all(section_sentences(s.markdown) for s in policy.sections)  # no 0-token section


def test_a_section_of_only_a_code_block_is_not_empty() -> None:
    policy = read_policy("## Snippet\n```\nopt-out=1\n```\n## Next\nbody\n", "p")
    assert [s.id for s in policy.sections] == ["snippet", "next"]


def test_a_document_whose_headings_have_no_text_is_refused() -> None:
    with pytest.raises(PolicyError, match="no sections"):
        read_policy("## A\n## B\n", "p")


# -- raw HTML -------------------------------------------------------------------------------

COOKIE_TABLE = """\
## Cookies

We set these cookies:

<table class="cookies">
  <tr><th>Name</th><th>Purpose</th><th>Duration</th></tr>
  <tr><td><code>_ga</code></td><td>Counts visits &amp; pages</td><td>2 years</td></tr>
  <tr><td>session</td><td style="color:red">Keeps you <b>signed in</b></td><td>1 day</td></tr>
</table>

<script>trackEveryone()</script>

| Name | Duration |
|------|----------|
| lang | 1 year |
"""


def test_raw_html_is_indexed_by_its_visible_text_one_table_row_at_a_time() -> None:
    sentences = section_sentences(read_policy(COOKIE_TABLE, "p").sections[0].markdown)
    assert sentences == [
        "We set these cookies:",
        "Name | Purpose | Duration",
        "_ga | Counts visits & pages | 2 years",
        "session | Keeps you signed in | 1 day",
        "Name | Duration",
        "lang | 1 year",
    ]


def test_inline_html_tags_are_not_words_but_the_markdown_keeps_them() -> None:
    section = read_policy("## A\nWe <em class='x'>never</em> sell data.\n## B\nb\n", "p").sections[
        0
    ]
    assert plain_blocks(section.markdown) == ["We never sell data."]
    assert section.markdown == "We <em class='x'>never</em> sell data."


@pytest.mark.parametrize(
    "markdown",
    [
        "Tom &amp; Jerry, &lt;b&gt; and &#60;i&#62; &copy; &amp",
        r"Escaped \<b\> and \&amp; and a & alone, a &lt without its semicolon",
        "`<script>alert(1)</script>` in code, and `a && b`",
        "An image ![a <b> & c](x.png) and *emphasis* and **more**",
        "Line one  \nline two\nline three \u00a0 with a no-break space",
        "Data &#0; &#x110000; &unknown; &ampx; ;&;",
        "A [link to &lt;it&gt;](https://example.com) and <https://example.com/?a=1&b=2>",
    ],
)
def test_text_without_tags_reads_as_the_html_parser_would_read_it(markdown: str) -> None:
    # inline_text reads a run with no raw HTML in it without the HTML parser: its words must be
    # what the parser makes of the run escaped, character for character.
    inline = next(t for t in MarkdownIt("commonmark").parse(markdown) if t.type == "inline")
    children = inline.children or []
    assert all(child.type != "html_inline" for child in children)
    escaped = "".join(
        escape(c.content, quote=False) if c.type in ("text", "code_inline", "image") else " "
        for c in children
        if c.type in ("text", "code_inline", "image", "softbreak", "hardbreak")
    )
    assert inline_text(children) == " ".join(visible_text(escaped))


def test_a_question_about_a_cookie_in_an_html_table_finds_its_row() -> None:
    text = "---\ntitle: T\n---\n" + COOKIE_TABLE + "\n## Sharing\n\nWe share nothing.\n"
    policy = read_policy(text, "p")
    answer = Assistant(Library({"p": policy})).answer("how long does the _ga cookie last?")
    top = answer.sections[0]
    assert top.id == "cookies"
    assert "_ga | Counts visits & pages | 2 years" in top.snippet
    assert "<td" not in top.snippet and "class" not in top.snippet


# -- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "written", "day"),
    [
        ("Last Updated: March 3, 2025", "March 3, 2025", dt.date(2025, 3, 3)),
        ("_Last Revised: 2023-01-05_", "2023-01-05", dt.date(2023, 1, 5)),
        ("**Last updated:** 3 March 2025", "3 March 2025", dt.date(2025, 3, 3)),
        ("Updated on Mar. 3, 2025", "Mar. 3, 2025", dt.date(2025, 3, 3)),
        ("Effective date: 1 January 2024", "1 January 2024", dt.date(2024, 1, 1)),
        ("Effective January 1, 2024", "January 1, 2024", dt.date(2024, 1, 1)),
        (
            "We may change it. This policy was last modified on 21st of June, 2022.",
            "21st of June, 2022",
            dt.date(2022, 6, 21),
        ),
        ("We last updated this notice on 2 May 2024.", "2 May 2024", dt.date(2024, 5, 2)),
        ("_Last Updated: January, 2024_", "January, 2024", None),  # a month names no day
        ("Last updated: 03/04/2025", "03/04/2025", None),  # March 4 or 3 April
        ("Last updated: sometime in spring", "sometime in spring", None),
    ],
)
def test_the_last_updated_date_is_read_from_the_text(
    line: str, written: str, day: dt.date | None
) -> None:
    policy = read_policy(f"{line}\n\n## A\nb\n", "p")
    assert (policy.last_updated, policy.updated_on) == (written, day)


@pytest.mark.parametrize(
    ("front", "body", "written"),
    [
        ("lastmod: 2025-05-01\ndate: 2020-01-01", "Last updated: 1 May 2024", "2025-05-01"),
        ("updated: 2025-04-01", "Effective date: 1 May 2024", "2025-04-01"),
        (
            "date: 2020-01-01",
            "Effective date: 1 May 2024\n\nLast revised: 2 June 2024",
            "2 June 2024",
        ),
        ("date: 2020-01-01", "Effective date: 1 May 2024", "1 May 2024"),
        ("date: 2020-01-01", "No date here.", "2020-01-01"),
        ("title: T", "No date here.", None),
    ],
)
def test_front_matter_lastmod_beats_the_text_which_beats_the_front_matter_date(
    front: str, body: str, written: str | None
) -> None:
    policy = read_policy(f"---\n{front}\n---\n{body}\n\n## A\nb\n", "p")
    assert policy.last_updated == written


@pytest.mark.parametrize(
    "text", ["", "2025-02-30", "February 30, 2025", "Smarch 3, 2025", "3 3 3", "13/13/2025"]
)
def test_an_unparsable_date_is_none_never_an_exception(text: str) -> None:
    assert parse_date(text) is None


# -- on the page and in the evaluation ------------------------------------------------------


def test_the_policy_page_gives_each_heading_inside_a_section_its_anchor(
    widgets_client: TestClient,
) -> None:
    page = widgets_client.get("/policy").text
    assert '<section id="your-rights"' in page
    assert '<h3 id="withdrawing-consent">Withdrawing Consent</h3>' in page
    assert '<time datetime="2025-03-03">March 3, 2025</time>' in page
    html = widgets_client.get("/api/policy/sections/your-rights").json()["html"]
    assert '<h3 id="withdrawing-consent">' in html


def test_a_document_split_at_h3_shows_its_sections_as_h2(tmp_path: Path) -> None:
    path = tmp_path / "notice.md"
    path.write_text("### Data\nWe keep data.\n### Sharing\nWe share none.\n", encoding="utf-8")
    settings = Settings(policy=path, data_dir=tmp_path, privacy_email="privacy@example.org")
    with TestClient(create_app(settings)) as client:
        page = client.get("/policy").text
    assert '<h2 id="data-h"><a class="anchor" href="#data">Data</a></h2>' in page
    assert '<li class="level-2"><a href="#sharing">Sharing</a></li>' in page


def test_the_evaluation_counts_a_labelled_heading_inside_a_section_as_a_hit() -> None:
    results = run_eval([DATA / "questions.jsonl"], load_library(DATA / "widgets-policy.md"))
    withdraw = next(r for r in results if r.row.id == "w-3")
    assert withdraw.row.relevant == ["Withdrawing Consent"]
    assert withdraw.rank == 1 and withdraw.top[0] == "Your Rights"


# -- a policy that names no contact e-mail --------------------------------------------------

NO_EMAIL = (
    "---\ntitle: Quiet Ltd\n---\n## Data\nWe keep your orders.\n## Contact\nWrite to 1 Main St.\n"
)
CANARY = "canary.requester@example.net"


@pytest.fixture()
def quiet_policy(tmp_path: Path) -> Path:
    """A policy whose contact section gives a postal address and no e-mail."""
    path = tmp_path / "quiet-policy.md"
    path.write_text(NO_EMAIL, encoding="utf-8")
    return path


def expected_warning(path: Path) -> str:
    """The line the server logs and `privacy-qa index` prints."""
    return (
        f"warning: {path} names no contact e-mail; rights requests and escalations are off "
        "until PRIVACY_QA_PRIVACY_EMAIL is set"
    )


def test_privacy_qa_index_warns_in_one_line_of_a_policy_with_no_email(
    quiet_policy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PRIVACY_QA_POLICY", str(quiet_policy))
    monkeypatch.delenv("PRIVACY_QA_PRIVACY_EMAIL", raising=False)
    assert main(["index"]) == 0
    assert capsys.readouterr().err == expected_warning(quiet_policy) + "\n"
    monkeypatch.setenv("PRIVACY_QA_PRIVACY_EMAIL", "team@example.org")
    assert main(["index"]) == 0
    assert capsys.readouterr().err == ""


def test_a_policy_with_no_email_starts_answers_and_refuses_requests_with_503(
    quiet_policy: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(policy=quiet_policy, data_dir=tmp_path / "data")
    with caplog.at_level("INFO"), TestClient(create_app(settings)) as client:
        assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
            expected_warning(quiet_policy)
        ]
        asked = client.post("/api/ask", json={"question": "do you keep my orders?"})
        assert asked.status_code == 200 and asked.json()["sections"][0]["id"] == "data"
        assert client.get("/", params={"q": "do you keep my orders?"}).status_code == 200
        assert client.get("/policy").status_code == 200
        assert client.get("/readyz").status_code == 200

        request = {"right": "erasure", "jurisdiction": "gdpr", "name": "Ana", "email": CANARY}
        for path, body in (
            ("/api/rights-requests", request),
            ("/api/escalations", {"question": "Who reads this?", "email": CANARY, "consent": True}),
        ):
            refused = client.post(path, json=body)
            assert refused.status_code == 503, path
            error = refused.json()["error"]
            assert (error["status"], error["code"]) == (503, "privacy_email_not_set")
            assert "PRIVACY_QA_PRIVACY_EMAIL" in error["message"]

        for path in ("/rights-requests/new", "/escalations/new"):
            page = client.get(path)
            assert page.status_code == 503, path
            assert "PRIVACY_QA_PRIVACY_EMAIL" in page.text and 'name="token"' not in page.text
        token = client.app.state.form_tokens.issue("rights-request")  # type: ignore[attr-defined]
        sent = client.post("/rights-requests/new", data={"token": token, **request})
        assert sent.status_code == 503 and "PRIVACY_QA_PRIVACY_EMAIL" in sent.text
        assert client.app.state.services.store is not None  # type: ignore[attr-defined]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert CANARY not in logged and "Ana" not in logged


def test_privacy_qa_privacy_email_turns_requests_on_for_a_policy_with_no_email(
    quiet_policy: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(policy=quiet_policy, data_dir=tmp_path, privacy_email="team@example.org")
    with caplog.at_level("WARNING"), TestClient(create_app(settings)) as client:
        made = client.post(
            "/api/escalations", json={"question": "Who reads this?", "consent": False}
        )
        assert made.status_code == 201
    assert not [r for r in caplog.records if "names no contact e-mail" in r.getMessage()]


# -- a section read from the document's own parse ------------------------------------------

# Documents whose sections the shared reading must read as each section's own parse does,
# and those where it must not be used (references, raw HTML, "\r", an attribute line).
SHARED_READING = [
    "Intro line.\n\n## One\nText one.\n\n- a\n- b\n\n## Two\n```\n## not a heading\n```\nAfter.\n",
    "Setext\n======\nPreamble.\n\nOne\n---\nBody *em* `code` \\* escaped &amp; entity.\n\n"
    "## Two\n| a | b |\n|---|---|\n| c | d |\n\n    indented code\n\n> quote\nlazy\n",
    "## One {#first}\n{: #named .x}\nFirst line.\n\n## Two\n{: .only}\n\nText.\n"
    "## Three\n\n1. a\n\n   loose\n2. b\n### Inside\nDeeper.\n",
    "## One\nSee [the site][site].\n\n## Two\nMore.\n\n[site]: https://example.com\n",
    "## One\nA <b>bold</b> claim.\n\n## Two\n<div>\nHTML block\n</div>\n\n## Three\n<https://x.io>\n",
    "## One\r\nCarriage returns.\r\n\r\n## Two\r\nMore.\r\n",
    "Old Mac lines.\n## One\rText one.\r\r## Two\rMore.\r\n## Three\nLast.\n",
    "# Title\n\n## A\n\n## B\nOnly B has text.\n\n## C\n***\n\n## D\n![alt text](x.png)\n",
    # Links our pages refuse and markdown-it does not, and ones both refuse or allow.
    "## Links\n[web](https://a.io) [mail](mailto:p@a.io) [file](ftp://a.io/x) [js](javascript:x)"
    " ![img](data:image/png;base64,AAAA) [rel](/policy#x) [tel](tel:+15550100)\n\n"
    "## Only good links\nSee [us](https://a.io) and ![*alt* text](https://a.io/i.png).\n",
    "## Table\n| left | right |\n|:-----|------:|\n| a | b |\n\n### Sub {#custom-id}\nText.\n\n"
    "{: .note}\nAfter an attribute line.\n\n{: .lonely}\n\n### {: .only-attributes}\n\n"
    "#### Plain sub\nEnd.\n",
    "## Raw\n<script>alert(1)</script>\n\nInline <img src=x onerror=alert(1)> and &copy;.\n",
]


def _readable(path: Path) -> bool:
    try:
        read_policy(path.read_text(encoding="utf-8"), path.stem)
    except PolicyError:
        return False
    return True


# The tricky documents and every one of our policies.
SHARED_DOCUMENTS = [
    *SHARED_READING,
    *(
        path.read_text(encoding="utf-8")
        for path in [bundled_policy(), *sorted(DATA.glob("**/*.md"))]
        if _readable(path)
    ),
]


@pytest.mark.parametrize("text", SHARED_DOCUMENTS)
def test_a_section_read_from_the_documents_tokens_reads_as_it_does_alone(text: str) -> None:
    body = split_front_matter(text)[1]
    # Each section's text parsed alone, as before: a document with references is read so.
    alone = split_sections(body, "d", "T", replace(read_outline(body), references=True))
    passages._READ.clear()
    shared = split_sections(body, "d", "T", read_outline(body))
    assert shared == alone
    for section in shared:
        # What reading the document remembered of each section, against its own parse.
        own = passages._blocks(passages._parser().parse(section.markdown))
        assert passages._READ[section.markdown] == own, section.id


@pytest.mark.parametrize("text", SHARED_DOCUMENTS)
def test_a_sections_html_from_the_documents_tokens_is_its_html_alone(text: str) -> None:
    passages._TOKENS.clear()
    policy = read_policy(text, "shared")
    kept = set(passages._TOKENS)
    assert kept <= {s.markdown for s in policy.sections}
    for section in policy.sections:
        # The first render takes the tokens the document's parse kept (if any), the second
        # parses the section alone, as every render did before.
        shared = render_markdown(section.markdown, section.subheadings)
        assert section.markdown not in passages._TOKENS
        assert shared == render_markdown(section.markdown, section.subheadings), section.id
    if "\r" not in text and "[site]:" not in text:
        assert kept, "no section's tokens were kept"
