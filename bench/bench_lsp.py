"""The language server's speed on a generated vault: the first answer, and each
request as a person types.

    python bench/bench_lsp.py [--vault bench/vaults/v10k] [--notes 40] [--repeat 5]

``first answer`` (whole process, warm cache): ``zettel lsp`` is started and
driven over its stdin and stdout by a minimal client: ``initialize``, then
``initialized``, ``didOpen`` of a note and a completion after ``[[``; timed
from the start of the process, and from the answer to ``initialize`` (the
server's imports are done: pygls and lsprotocol take most of a second), until
the completion's answer is read. Beside it, in the same run, a warm ``zettel
check`` process on the same vault (the baseline of the other benches).
Medians of ``--repeat`` runs.

In-process timings (one ``Workspace``, the functions the request handlers
call, nothing in between): the tables built once per vault (at start-up,
between requests, or on first use); for ``--notes`` random notes, each opened as a
buffer, **completion** at each keystroke of a query typed after ``[[`` (the
first word of another note's title, or an id's first digits); **diagnostics**
of the buffer after an edit (the edit applied as ``didChange`` does, then the
diagnostics computed): a word typed in a paragraph, a broken link written,
a link to a note written, a word typed in a paragraph holding a broken link;
title edits (the vault's names change) apart; **hover** and **definition** on
each link of the buffer (at most 10), with **references** and the **code
actions** there (an editor asks for them as the cursor moves: they include
the note's unlinked mentions). p50, p95 and max in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


class Client:
    """A minimal LSP client over a process's pipes (no library in the way)."""

    def __init__(self, command: list[str]) -> None:
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL)
        self.next_id = 0

    def send(self, method: str, params: Any, request: bool = True) -> int | None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
        msg_id = None
        if request:
            self.next_id += 1
            msg_id = message["id"] = self.next_id
        body = json.dumps(message).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self.process.stdin.flush()
        return msg_id

    def answer(self, msg_id: int | None) -> Any:
        """Read messages until the answer to ``msg_id``; its result."""
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = 0
            while True:
                line = stream.readline()
                if not line:
                    raise RuntimeError("the server closed its output")
                if line.startswith(b"Content-Length:"):
                    length = int(line.split(b":")[1])
                if line in (b"\r\n", b"\n"):
                    break
            message = json.loads(stream.read(length))
            if message.get("id") == msg_id and "method" not in message:
                if "error" in message:
                    raise RuntimeError(message["error"])
                return message.get("result")
            if "id" in message and "method" in message:  # a request of the server
                reply = json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": None})
                assert self.process.stdin is not None
                self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(reply),
                                                                             reply.encode()))
                self.process.stdin.flush()

    def close(self) -> None:
        self.answer(self.send("shutdown", None))
        self.send("exit", None, request=False)
        self.process.wait(timeout=60)


def first_answer(vault: Path, note: Path) -> tuple[float, float]:
    """Seconds from the process start, and from the answer to ``initialize`` (the
    server's imports done), to the first completion's answer."""
    started = time.perf_counter()
    client = Client([sys.executable, "-m", "zettel.cli.main", "lsp"])
    client.answer(client.send("initialize", {
        "processId": os.getpid(), "rootUri": vault.as_uri(), "capabilities": {},
        "workspaceFolders": [{"uri": vault.as_uri(), "name": "vault"}]}))
    sent = time.perf_counter()  # the server has imported everything and answered
    client.send("initialized", {}, request=False)
    text = note.read_text(encoding="utf-8") + "\n[[ana"
    uri = note.as_uri()
    client.send("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "markdown", "version": 1, "text": text}}, request=False)
    lines = text.split("\n")
    found = client.answer(client.send("textDocument/completion", {
        "textDocument": {"uri": uri},
        "position": {"line": len(lines) - 1, "character": len(lines[-1])}}))
    done = time.perf_counter()
    assert found and found["items"], "no completion"
    client.close()
    return done - started, done - sent


def timed_check(vault: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "zettel.cli.main", "check", str(vault)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def summary(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return (f"n={len(ms)} p50 {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, "
            f"max {ms[-1]:.1f} ms")


def in_process(vault: Path, count: int, seed: int) -> dict[str, list[float]]:
    from lsprotocol import types

    from zettel.lsp import actions, completion, diagnostics, fixes, hover, navigation
    from zettel.lsp.workspace import Workspace

    rng = random.Random(seed)
    space = Workspace()
    space.set_folders([vault.as_uri()])
    started = time.perf_counter()
    state = space.vault(vault)
    times: dict[str, list[float]] = {"load (in process)": [time.perf_counter() - started]}
    for name, build in (("link index", state.prepare),
                        ("names to complete", lambda: completion.matcher(state)[0].prepare()),
                        ("link style", lambda: completion.style(state)),
                        ("names to find mentions of", lambda: fixes.prepare(state))):
        begin = time.perf_counter()
        build()
        times[f"built once: {name}"] = [time.perf_counter() - begin]
    paths = sorted(state.notes)
    chosen = rng.sample(paths, count)
    version = 0

    def edit(buffer: Any, at: int, text: str) -> float:
        nonlocal version
        version += 1
        where = buffer.lines.range(at, at)
        begin = time.perf_counter()
        space.change(buffer.uri, [types.TextDocumentContentChangePartial(range=where, text=text)],
                     version)
        diagnostics.diagnostics(buffer)
        return time.perf_counter() - begin

    for number, path in enumerate(chosen):
        uri = (vault / path).as_uri()
        text = (vault / path).read_text(encoding="utf-8")
        buffer = space.open(uri, text, 0)
        diagnostics.diagnostics(buffer)
        # completion, keystroke by keystroke
        other = state.notes[rng.choice(paths)]
        query = (other.id[:6] if number % 4 == 0 and other.id
                 else other.title.split()[0][:8])
        end = len(buffer.text)
        edit(buffer, end, "\n[[")
        for char in query:
            edit(buffer, len(buffer.text), char)
            where = buffer.lines.position(len(buffer.text))
            begin = time.perf_counter()
            found = completion.complete(buffer, where)
            times.setdefault("completion", []).append(time.perf_counter() - begin)
            assert found is not None
        # diagnostics after edits
        body = buffer.body.to_file(0)
        middle = body + (len(buffer.text) - body) // 2
        times.setdefault("diagnostics: a word typed", []).append(edit(buffer, middle, " word"))
        times.setdefault("diagnostics: a broken link written", []).append(
            edit(buffer, len(buffer.text), f" [[Nothing named {number}]]"))
        times.setdefault("diagnostics: a word by the broken link", []).append(
            edit(buffer, len(buffer.text), " more"))
        target = state.notes[rng.choice(paths)]
        times.setdefault("diagnostics: a link written", []).append(
            edit(buffer, len(buffer.text), f" [[{target.id or target.title}]]"))
        if number % 5 == 0:  # a letter typed at the end of the title (inside its quotes)
            end = buffer.lines.line_end(1)
            assert buffer.text[buffer.lines.starts[1]:end].startswith("title:")
            times.setdefault("diagnostics: a title edited (names change)", []).append(
                edit(buffer, end - 1 if buffer.text[end - 1] == '"' else end, "x"))
        # hover and definition on the links of the note as opened
        for link in buffer.note.links[:10]:
            if link.kind == "external":
                continue
            start, stop = link.span
            where = buffer.lines.position(buffer.body.to_file((start + stop) // 2))
            begin = time.perf_counter()
            hover.hover(buffer, where)
            times.setdefault("hover", []).append(time.perf_counter() - begin)
            begin = time.perf_counter()
            navigation.definition(space, buffer, where)
            times.setdefault("definition", []).append(time.perf_counter() - begin)
            begin = time.perf_counter()
            navigation.references(space, buffer, where, False)
            times.setdefault("references", []).append(time.perf_counter() - begin)
            begin = time.perf_counter()
            actions.code_actions(buffer, types.Range(start=where, end=where))
            times.setdefault("code actions (on a link)", []).append(time.perf_counter() - begin)
        space.close(uri)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vault", type=Path, default=HERE / "vaults" / "v10k")
    parser.add_argument("--notes", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    vault = args.vault.resolve()
    if not vault.is_dir():
        sys.exit(f"no vault at {vault}: python bench/generate.py {vault} --notes 10000")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(HERE.parent / "zettel")],
                   check=True)
    note = sorted(vault.rglob("*.md"))[0]
    timed_check(vault)
    first_answer(vault, note)  # warm the caches
    starts, answers, checks = [], [], []
    for _ in range(args.repeat):
        whole, after_initialize = first_answer(vault, note)
        starts.append(whole)
        answers.append(after_initialize)
        checks.append(timed_check(vault))
    check = statistics.median(checks)
    print(f"vault {vault} ({args.repeat} runs, medians)")
    print(f"first answer, from the process start: {statistics.median(starts):.2f} s "
          f"({statistics.median(starts) / check:.1f}x a warm check)")
    print(f"first answer, from initialize's answer: {statistics.median(answers):.2f} s")
    print(f"warm zettel check process:            {check:.2f} s")
    for name, samples in in_process(vault, args.notes, args.seed).items():
        print(f"{name}: {summary(samples)}")


if __name__ == "__main__":
    main()
