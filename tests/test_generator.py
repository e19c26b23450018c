"""The benchmark's generated vault, checked against the answers it writes."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path

from zettel.vault.facts import check_vault, graph_of
from zettel.vault.scan import open_vault

BENCH = Path(__file__).resolve().parent.parent / "bench" / "generate.py"


def generate(root: Path, n: int) -> dict:
    spec = importlib.util.spec_from_file_location("zettel_bench_generate", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate(root, n, seed=7)


def test_generated_vault_matches_its_truth(tmp_path: Path) -> None:
    truth = generate(tmp_path / "gen", 400)
    assert json.loads((tmp_path / "gen" / ".truth.json").read_text(encoding="utf-8")) == truth
    vault = open_vault(tmp_path / "gen", use_cache=False)
    assert len(vault.notes) == truth["notes"] == 400
    graph = graph_of(vault)
    assert graph.link_count == truth["links"]
    assert graph.orphans() == truth["orphans"]
    assert Counter((b.source, b.link.target) for b in graph.broken) == Counter(
        (b["path"], b["target"]) for b in truth["broken"])
    assert not graph.ambiguous
    report, _ = check_vault(tmp_path / "gen", use_cache=False)
    assert sorted(p.path for p in report.problems if p.kind == "yaml-error") == truth["yaml_errors"]
    assert report.counts["broken-link"] == len(truth["broken"])


def test_generator_is_deterministic(tmp_path: Path) -> None:
    assert generate(tmp_path / "a", 120) == generate(tmp_path / "b", 120)
    one = sorted(p.read_bytes() for p in (tmp_path / "a").rglob("*.md"))
    two = sorted(p.read_bytes() for p in (tmp_path / "b").rglob("*.md"))
    assert one == two
