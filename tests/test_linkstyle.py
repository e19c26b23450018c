"""The link style: detected from a vault's links, or chosen in its settings, and the
wiki link written for a note in each style."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from conftest import MakeVault

from zettel.core.linkstyle import STYLES, detect_style, format_link
from zettel.core.parse import parse_text
from zettel.core.resolve import Resolver
from zettel.vault.config import ConfigError
from zettel.vault.editing import link_style
from zettel.vault.facts import vault_facts

A = '---\nid: "20240101000001"\ntitle: Alpha note\n---\n'
B = '---\nid: "20240101000002"\ntitle: Beta\naliases: [B2]\n---\n'


def aged(root: Path) -> Path:
    """Files an hour old, so the facts memo is saved (not within the racy window)."""
    old = time.time() - 3600
    for path in root.rglob("*"):
        os.utime(path, (old, old))
    return root


@pytest.mark.parametrize(("links", "style"), [
    ("[[20240101000001]] [[20240101000002]] [[Beta]]", "id"),
    ("[[20240101000001|Alpha note]] [[20240101000002|b]] [[Beta]]", "id-title"),
    ("[[Alpha note]] [[B2]] [[20240101000002]]", "title"),
    ("[[f/a]] [[b]] [[b.md]] [[Beta]] ![[a]]", "path"),
    ("[x](f/a.md) [[nowhere]] [[20240101000001]]", "id"),
    ("[[Alpha note]] [[20240101000001]]", "id"),  # a tie: the first of STYLES
    ("no links at all", "id"),
])
def test_detected(make_vault: MakeVault, links: str, style: str) -> None:
    root = make_vault({"f/a.md": A, "b.md": B, "links.md": links + "\n"})
    assert link_style(root) == style
    aged(root)
    vault_facts(root)  # saves the memo
    facts, _ = vault_facts(root)  # loads it
    assert facts.fingerprint and link_style(root, facts) == style


def test_detect_style_from_links() -> None:
    a = parse_text("f/a.md", A)
    b = parse_text("b.md", B)
    source = parse_text("x.md", "[[Alpha note]] [[B2]] [[b]] [[20240101000001]] [[Beta]]")
    resolver = Resolver([a, b, source])
    pairs = [(link, resolver.resolve_link(link, "x.md")) for link in source.links]
    assert detect_style(pairs) == "title"
    assert detect_style([]) == "id"


@pytest.mark.parametrize("style", STYLES)
def test_the_setting_wins(make_vault: MakeVault, style: str) -> None:
    root = make_vault({"a.md": A, "x.md": "[[20240101000001]]\n",
                       ".zettel/config.yaml": f"link_style: {style}\n"})
    assert link_style(root) == style


def test_a_bad_setting_is_an_error(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": A, ".zettel/config.yaml": "link_style: wiki\n"})
    with pytest.raises(ConfigError, match="'link_style' must be one of id, id-title, title"):
        link_style(root)


def test_format_link() -> None:
    a = parse_text("f/a.md", A)
    assert format_link("id", a) == "[[20240101000001]]"
    assert format_link("id", a, "the alpha") == "[[20240101000001|the alpha]]"
    assert format_link("id-title", a) == "[[20240101000001|Alpha note]]"
    assert format_link("id-title", a, "alpha") == "[[20240101000001|alpha]]"
    assert format_link("title", a) == "[[Alpha note]]"
    assert format_link("title", a, "Alpha note") == "[[Alpha note]]"
    assert format_link("title", a, "alpha note") == "[[Alpha note|alpha note]]"
    assert format_link("path", a) == "[[f/a]]"
    assert format_link("path", a, "text") == "[[f/a|text]]"
    assert format_link("id", a, "a [bad] label") == "[[20240101000001]]"


def test_format_link_falls_back() -> None:
    no_id = parse_text("notes/plain.md", "# Plain\n")
    assert format_link("id", no_id) == "[[notes/plain]]"
    assert format_link("id-title", no_id) == "[[notes/plain|Plain]]"
    hashed = parse_text("c.md", '---\nid: "20240101000003"\ntitle: "C# notes"\n---\n')
    assert format_link("title", hashed) == "[[20240101000003]]"
    assert format_link("title", hashed, "C# notes") == "[[20240101000003|C# notes]]"
    twin = parse_text("twin.md", "---\ntitle: Alpha note\n---\n")
    a = parse_text("f/a.md", A)
    resolver = Resolver([a, twin])
    assert format_link("title", a, resolver=resolver) == "[[20240101000001]]"
    assert format_link("title", twin, resolver=resolver) == "[[twin]]"
