"""Check eval/real/questions.jsonl against the policies beside it (stdlib only).

Every row must name an existing policy file, carry the required fields, and label answerable
questions with at least one heading that really is a heading of that policy (ATX or setext),
or its title (front matter `title`, for text before the first heading).

Usage: python eval/real/check.py [questions.jsonl]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

CATEGORIES = {"information", "rights", "contact", "complaint", "organisation", "unanswerable"}
RIGHTS = {
    "access",
    "rectification",
    "erasure",
    "restriction",
    "portability",
    "objection",
    "withdraw_consent",
    "opt_out",
    "limit",
}
INTENTS = {"contact", "complaint", "rights"} | {f"rights:{r}" for r in RIGHTS}

ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
FENCE = re.compile(r"^ {0,3}(```|~~~)")


def normalise(text: str) -> str:
    """Heading text as compared: no #'s, {attributes}, emphasis, trailing colons; lower case."""
    text = re.sub(r"[ \t]+#+[ \t]*$", "", text.strip())
    text = re.sub(r"\{[^}]*\}\s*$", "", text)
    text = text.lstrip("#").replace("*", "").replace("_", "")
    return re.sub(r"\s+", " ", text).strip().rstrip(":").strip().casefold()


def split_front_matter(text: str) -> tuple[str | None, str]:
    """The front matter title (YAML `---` or TOML `+++`), if any, and the body after it."""
    for fence, pattern in (("---", r"^title:\s*(.*)$"), ("+++", r"^title\s*=\s*(.*)$")):
        if text.startswith(fence + "\n"):
            end = text.find("\n" + fence + "\n", len(fence))
            if end == -1:
                continue
            head, body = text[len(fence) + 1 : end], text[end + len(fence) + 2 :]
            match = re.search(pattern, head, re.MULTILINE)
            title = match.group(1).strip().strip("'\"") if match else None
            return title, body
    return None, text


def headings(text: str) -> set[str]:
    """Normalised texts of every heading of a Markdown document, plus its title."""
    title, body = split_front_matter(text)
    found = {normalise(title)} if title else set()
    previous = ""
    in_fence = False
    for line in body.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
            previous = ""
            continue
        if in_fence:
            continue
        atx = ATX.match(line)
        if atx:
            found.add(normalise(atx.group(2) or ""))
            previous = ""
            continue
        if SETEXT.match(line) and previous.strip() and not previous.startswith((" " * 4, "\t")):
            found.add(normalise(previous))
            previous = ""
            continue
        previous = line
    found.discard("")
    return found


def check(path: Path) -> list[str]:
    """Problems found in the question file, one message per problem."""
    problems: list[str] = []
    cache: dict[str, set[str] | None] = {}
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path.name}:{number}"
        try:
            row = json.loads(line)
        except ValueError as exc:
            problems.append(f"{where}: not JSON ({exc})")
            continue
        for key in ("id", "policy", "question", "relevant_sections", "answerable", "category"):
            if key not in row:
                problems.append(f"{where}: missing {key!r}")
        if not all(k in row for k in ("id", "policy", "relevant_sections", "answerable")):
            continue
        if row["id"] in seen:
            problems.append(f"{where}: duplicate id {row['id']!r}")
        seen.add(row["id"])
        if not isinstance(row.get("question"), str) or not row["question"].strip():
            problems.append(f"{where}: empty question")
        if row.get("category") not in CATEGORIES:
            problems.append(f"{where}: category {row.get('category')!r} not one of {CATEGORIES}")
        if "intent" in row and row["intent"] not in INTENTS:
            problems.append(f"{where}: unknown intent {row['intent']!r}")
        relevant = row["relevant_sections"]
        if not isinstance(relevant, list) or not all(isinstance(h, str) for h in relevant):
            problems.append(f"{where}: relevant_sections must be a list of strings")
            continue
        if row["answerable"] is not bool(relevant):
            problems.append(f"{where}: answerable={row['answerable']} but {len(relevant)} headings")
        if (row["category"] == "unanswerable") == row["answerable"]:
            problems.append(f"{where}: category unanswerable iff answerable is false")
        name = row["policy"]
        if name not in cache:
            policy = path.parent / name
            cache[name] = headings(policy.read_text(encoding="utf-8")) if policy.is_file() else None
        known = cache[name]
        if known is None:
            problems.append(f"{where}: policy file {name!r} not found beside {path.name}")
            continue
        for heading in relevant:
            if normalise(heading) not in known:
                problems.append(f"{where}: {heading!r} is not a heading of {name}")
    return problems


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else Path(__file__).with_name("questions.jsonl")
    problems = check(path)
    for problem in problems:
        print(problem)
    print(f"{path}: {'OK' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
