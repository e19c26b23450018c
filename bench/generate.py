"""Write a deterministic, realistic vault and the true answers about it.

    python bench/generate.py OUT --notes 10000 [--seed 1]

The vault mixes what real collections hold: timestamp ids, some slug file
names with the id only in front matter, ids YAML reads as ints, tags as a
comma string, ~5% of notes with no front matter (id in the file name), ~1%
with malformed YAML, 0-8 links per note (wiki, labelled, by title, Cosma
typed) of which some are broken, links inside code that must not count,
French accented tags. ``OUT/.truth.json`` (hidden, so not a note) records the
notes that are orphans and every broken link, computed here from what was
written, independently of zettel.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path

WORDS = (  # noqa: SIM905 - a word list reads best as prose
    "données statistique économie société réseau graphe mémoire écriture lecture "
    "méthode idée fiche lien carte territoire analyse collecte publique ouverte "
    "énergie transport logement santé éducation recherche archive bibliothèque "
    "knowledge note index search link graph reading writing memory method idea "
    "system theory practice history science language culture city river forest "
    "élève créativité pensée système modèle hypothèse expérience résultat preuve"
).split()
TAGS = (
    "données", "économie", "société", "géographie", "méthode", "écriture", "lecture",
    "projet/données", "projet/thèse", "santé", "énergie", "éducation", "open data",
    "base de données", "analyse", "collecte", "références", "idées", "à lire",
)
TYPES = ("concept", "référence", "personne", "organisation", "projet", "note")
FOLDERS = ("", "", "", "lectures/", "projets/", "personnes/", "archives/2021/")
BAD_YAML = (
    "tags: [données, analyse\n",
    "title: Une note: mal écrite: ici\n",
    "types:\n  - concept\n - projet\n",
    "\tid: 20200101000000\n",
)


def slugify(title: str) -> str:
    slug = re.sub(r"[^\w]+", "-", title.lower()).strip("-")
    return unicodedata.normalize("NFC", slug)


def make_title(rng: random.Random, used: set[str]) -> str:
    while True:
        words = rng.sample(WORDS, rng.randint(2, 5))
        title = " ".join(words).capitalize()
        if title.lower() not in used:
            used.add(title.lower())
            return title


def paragraph(rng: random.Random, n_words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n_words)).capitalize() + "."


def generate(out: Path, n: int, seed: int = 1) -> dict:
    """Write the vault into ``out`` and return the truth (also written)."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    t = datetime(2019, 1, 1, 8, 0, 0)
    used_titles: set[str] = set()
    notes = []
    for _ in range(n):
        t += timedelta(seconds=rng.randint(60, 40000))
        note_id = t.strftime("%Y%m%d%H%M%S")
        title = make_title(rng, used_titles)
        r = rng.random()
        style = ("nofm" if r < 0.05 else "badyaml" if r < 0.06 else
                 "slug" if r < 0.21 else "idslug" if r < 0.25 else "id")
        folder = rng.choice(FOLDERS)
        names = {"nofm": f"{note_id} {title}.md", "slug": f"{slugify(title)}.md",
                 "idslug": f"{note_id}-{slugify(title)}.md"}
        name = names.get(style, f"{note_id}.md")
        notes.append({"id": note_id, "title": title, "style": style, "path": folder + name})

    hubs = rng.sample(range(n), max(1, n // 50))
    incoming = [0] * n
    broken: list[dict] = []
    n_links = 0
    for i, note in enumerate(notes):
        lines: list[str] = []
        style = note["style"]
        if style != "nofm":
            lines += front_matter(rng, note, style)
        else:
            lines += [f"# {note['title']}", ""]
        body_links = []
        for _ in range(rng.randint(0, 8)):
            if rng.random() < 0.03:
                fake = (t + timedelta(days=rng.randint(1, 900))).strftime("%Y%m%d%H%M%S")
                body_links.append((f"[[{fake}]]", None, fake))
                continue
            j = rng.choice(hubs) if rng.random() < 0.3 else rng.randrange(n)
            target = notes[j]
            form = rng.random()
            if form < 0.15:
                text = f"[[{target['id']}|{target['title'].lower()}]]"
            elif form < 0.25 and target["style"] not in ("nofm", "badyaml"):
                text = f"[[{target['title']}]]"
            elif form < 0.30:
                text = f"[[{rng.choice(('cite', 'voir', 'contre'))}:{target['id']}]]"
            else:
                text = f"[[{target['id']}]]"
            body_links.append((text, j, None))
        for p in range(rng.randint(2, 7)):
            if p == 1 and rng.random() < 0.3:
                lines += [f"## {paragraph(rng, 3)[:-1]}", ""]
            words = paragraph(rng, rng.randint(20, 70)).split(" ")
            for _ in range(len(body_links) // 3 + 1):
                if not body_links:
                    break
                text, j, fake = body_links.pop()
                words.insert(rng.randrange(len(words) + 1), text)
                n_links += 1
                if j is None:
                    broken.append({"path": note["path"], "target": fake})
                elif j != i:
                    incoming[j] += 1
            if rng.random() < 0.2:
                words.append(f"#{rng.choice(TAGS).replace(' ', '-')}")
            lines += [" ".join(words), ""]
        if rng.random() < 0.05:
            lines += ["```", "exemple [[99999999999999]] #pas-un-tag", "```", ""]
        path = out / note["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines), encoding="utf-8")
    truth = {
        "notes": n,
        "links": n_links,
        "orphans": sorted(notes[i]["path"] for i in range(n) if incoming[i] == 0),
        "broken": sorted(broken, key=lambda b: (b["path"], b["target"])),
        "yaml_errors": sorted(x["path"] for x in notes if x["style"] == "badyaml"),
    }
    answers = json.dumps(truth, ensure_ascii=False, indent=1)
    (out / ".truth.json").write_text(answers, encoding="utf-8")
    return truth


def front_matter(rng: random.Random, note: dict, style: str) -> list[str]:
    quoted = rng.random() < 0.7
    tags = rng.sample(TAGS, rng.randint(1, 4))
    lines = ["---", f"title: \"{note['title']}\""]
    lines.append(f"id: \"{note['id']}\"" if quoted else f"id: {note['id']}")
    lines += ["types:", f"  - {rng.choice(TYPES)}"]
    if rng.random() < 0.15:
        lines.append(f"tags: {', '.join(tags)}")
    else:
        lines += ["tags:"] + [f"  - {tag}" for tag in tags]
    if rng.random() < 0.3:
        lines.append(f"thumbnail: {slugify(note['title'])}.png")
    if rng.random() < 0.3:
        lines.append(f"kezako: {paragraph(rng, 8)}")
    if style == "badyaml":
        lines.insert(2, rng.choice(BAD_YAML).rstrip("\n"))
    return lines + ["---", ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    truth = generate(args.out, args.notes, args.seed)
    print(f"{args.out}: {truth['notes']} notes, {truth['links']} links, "
          f"{len(truth['orphans'])} orphans, {len(truth['broken'])} broken links")


if __name__ == "__main__":
    main()
