"""
The briefing as a print-ready A4 PDF, typeset by Typst (the `typst` package: a compiled binary, no system setup).

Why Typst: bench/README.md ("PDF engines"). The layout is campaigns/briefing/templates/briefing.typ; the data
goes in as one JSON string that the template decodes with json(), so user text is only ever a string value and
can never become Typst markup or code.

Memory decides the shape of this module (figures in bench/README.md):
- Typst's memory grows with the length of the document (about 100 MB plus 0.45 MB per evidence record, so
  ~520 MB for 1,000 records in one compile), so a long briefing is laid out in parts of at most
  `EVIDENCE_PER_PART` records, which qpdf (pikepdf) joins into one file. Page numbers run on across parts and
  the contents page lists every section; a target's evidence in another part links to its record on the site instead of
  inside the document.
- Typst keeps its caches for the life of the process and typst-py cannot clear them (a process grew by ~200 MB
  per render of new data), so every compile runs in a fresh child process that exits afterwards. A long-lived
  Celery worker calling render_pdf therefore does not grow, whatever worker_max_tasks_per_child is. The join
  runs in a child too: qpdf keeps every part in memory until the file is written (~32 KB a record).
"""

import json
import os
import subprocess
import sys
import tempfile
from datetime import datetime
from functools import cache, partial
from pathlib import Path

from . import counts_text, findings_text, labels_for, withheld_text

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE = TEMPLATE_DIR / "briefing.typ"
PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Peak memory of one compile ≈ 100 MB + 0.45 MB per record: 250 keeps every child near 220 MB.
EVIDENCE_PER_PART = 250
# A compile that takes longer than this is stuck (1,000 records take ~4 s in all on 2 cores).
PART_TIMEOUT = 300


class RenderError(RuntimeError):
    """Typst failed on a part of the briefing (a bug in the template, never a property of the user's data)."""


def render_pdf(briefing, out_path, *, evidence_per_part=EVIDENCE_PER_PART, isolate=True, scratch=None):
    """
    Write the briefing (see campaigns.briefing.Briefing) as a PDF to out_path and return out_path.

    Its temporary files (parts, the children's inputs: the briefing's text) go in a folder inside `scratch`
    (default: the system's temporary directory); a pack passes its own scratch folder, swept if the worker is killed.

    Deterministic: the same briefing gives the same bytes (the creation date is the briefing's generated_at).
    `isolate=False` compiles in this process (faster for tests, but Typst's caches then stay in the process).
    """
    out_path = Path(out_path)
    briefing = _normalised(briefing)
    evidence = briefing["evidence"]
    with tempfile.TemporaryDirectory(prefix="briefing-pdf-", dir=scratch) as tmp:
        tmp = Path(tmp)
        compile_part = partial(_compile_in_child, scratch=tmp) if isolate else _compile_here
        if len(evidence) <= evidence_per_part:
            compile_part(_inputs(briefing, front=True, evidence=evidence, index=True), out_path)
            return out_path

        # The front comes first in the file but is laid out last, once the pages the evidence and the index
        # start on are known; a first layout with placeholder page numbers tells where the evidence starts.
        placeholder = [{"title": labels_for(briefing["language"])[key], "page": 8888} for key in ("evidence", "index")]
        front = tmp / "front.pdf"
        compile_part(_inputs(briefing, front=True, evidence_heading=False, later_contents=placeholder), front)
        page = _page_count(front)
        starts = []
        parts = []
        for n, start in enumerate(range(0, len(evidence), evidence_per_part)):
            starts.append(page + 1)
            chunk = evidence[start:start + evidence_per_part]
            path = tmp / f"evidence-{n}.pdf"
            compile_part(_inputs(briefing, evidence=chunk, evidence_heading=n == 0, page_offset=page), path)
            page += _page_count(path)
            parts.append(path)
        index = tmp / "index.pdf"
        compile_part(_inputs(briefing, index=True, page_offset=page), index)
        parts.append(index)

        contents = [{**placeholder[0], "page": starts[0]}, {**placeholder[1], "page": page + 1}]
        compile_part(_inputs(briefing, front=True, evidence_heading=False, later_contents=contents), front)
        info = {"title": briefing["title"], "author": briefing["generated_by"]}
        if isolate:
            _join_in_child([front, *parts], out_path, info, scratch=tmp)
        else:
            _join([front, *parts], out_path, info)
    return out_path


def _normalised(briefing):
    # Ids become labels inside the document: Typst wants strings.
    briefing = dict(briefing)
    briefing["evidence"] = [{**e, "id": str(e["id"])} for e in briefing["evidence"]]
    briefing["targets"] = [{**t, "evidence_ids": [str(i) for i in t["evidence_ids"]]} for t in briefing["targets"]]
    return briefing


def _inputs(briefing, *, front=False, evidence=(), evidence_heading=None, index=False, page_offset=0,
            later_contents=()):
    """The template's sys.inputs for one part: the briefing (with only this part's evidence), words, layout."""
    evidence = list(evidence)
    seen = {}
    for e in briefing["evidence"]:
        seen[e["id"]] = seen.get(e["id"], 0) + 1
    # A label used twice cannot be linked to, so only ids unique in the briefing are linked inside the document.
    linkable = {e["id"]: True for e in evidence if e["id"] and seen[e["id"]] == 1}
    urls = {e["id"]: e["url"] for e in briefing["evidence"]}
    targets = [
        {**t, "evidence_refs": [{"id": i, "url": urls.get(i)} for i in t["evidence_ids"]]}
        for t in (briefing["targets"] if front else [])
    ]
    data = {
        "briefing": {**briefing, "evidence": evidence, "targets": targets},
        "labels": labels_for(briefing.get("language")),
        "withheld_text": withheld_text(briefing.get("withheld"), briefing.get("language")),
        "counts_text": counts_text(briefing),
        "findings_text": findings_text(briefing),
        "linkable": linkable,
        "counts": {
            "targets": len(briefing["targets"]),
            "evidence": len(briefing["evidence"]),
            "institutions": len(briefing["institutions"]),
        },
        "part": {
            "front": front,
            "evidence_heading": front if evidence_heading is None else evidence_heading,
            "index": index,
            "page_offset": page_offset,
            "later_contents": list(later_contents),
        },
    }
    # Tagged PDF (structure for screen readers) only for a briefing laid out in one part: joining parts would
    # leave each part's structure tree behind.
    tags = front and index and len(evidence) == len(briefing["evidence"])
    return {"data": json.dumps(data, ensure_ascii=False, default=str), "tags": "1" if tags else "0"}


def _timestamp(inputs):
    generated_at = json.loads(inputs["data"])["briefing"]["generated_at"]
    moment = datetime.fromisoformat(generated_at)
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return int(moment.timestamp())


@cache
def _fonts():
    import typst

    from .fonts import cjk_font_dirs

    # Scanning the font files takes a moment; one Fonts object serves every compile of the process.
    return typst.Fonts(include_system_fonts=False, include_embedded_fonts=True,
                       font_paths=[str(folder) for folder in cjk_font_dirs()])


def _compile_here(inputs, out_path):
    import typst

    try:
        typst.compile(
            str(TEMPLATE),
            output=str(out_path),
            root=str(TEMPLATE_DIR),
            font_paths=_fonts(),
            sys_inputs=inputs,
            timestamp=_timestamp(inputs),
            pdf_tags=inputs.get("tags") == "1",
        )
    except typst.TypstError as error:
        raise RenderError(f"{error.message}\n{error.diagnostic}") from error


def _compile_in_child(inputs, out_path, *, scratch):
    _run_child("compile", inputs, out_path, scratch=scratch)


def _join_in_child(paths, out_path, info, *, scratch):
    # qpdf holds every part's objects until it has written the whole file (about 32 KB a record): in a child,
    # that memory is returned when it exits instead of staying in the worker beside the pack's content.
    _run_child("join", {"paths": [str(path) for path in paths], "info": info}, out_path, scratch=scratch)


def _run_child(mode, payload, out_path, *, scratch):
    # The payload goes through a file, not the command line (a part's inputs can be megabytes).
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8", delete=False, dir=scratch) as handle:
        json.dump(payload, handle, ensure_ascii=False)
    try:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT),
                                                                        os.environ.get("PYTHONPATH")]))}
        result = subprocess.run(
            [sys.executable, "-m", "campaigns.briefing.pdf", mode, handle.name, str(out_path)],
            capture_output=True, text=True, timeout=PART_TIMEOUT, env=env, cwd=PROJECT_ROOT,
        )
    finally:
        os.unlink(handle.name)
    if result.returncode != 0:
        raise RenderError(result.stderr.strip()[-4000:] or f"exit status {result.returncode}")


def _page_count(path):
    import pikepdf

    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def _join(paths, out_path, info):
    """
    Concatenate the parts with qpdf (pikepdf): pages, the named destinations that the in-part links point to
    (Typst names them after the labels, ev-<id>, unique across parts), and the bookmarks, re-pointed at the
    joined pages. pypdf did the same in 4 s for 500 pages, qpdf takes 0.3 s.
    """
    import pikepdf

    out = pikepdf.new()
    dests = pikepdf.NameTree.new(out)
    bookmarks = []
    sources = []
    try:
        for path in paths:
            src = pikepdf.open(path)
            sources.append(src)
            offset = len(out.pages)
            out.pages.extend(src.pages)
            if "/Names" in src.Root and "/Dests" in src.Root.Names:
                for name, dest in pikepdf.NameTree(src.Root.Names.Dests).items():
                    if name not in dests:
                        dests[name] = out.copy_foreign(dest)
            page_index = {page.objgen: n for n, page in enumerate(src.pages)}
            with src.open_outline() as outline:
                bookmarks.extend(_bookmark(item, page_index, offset) for item in outline.root)
        out.Root.Names = pikepdf.Dictionary(Dests=dests.obj)
        with out.open_outline() as outline:
            outline.root.extend(bookmarks)
        out.Root.PageMode = pikepdf.Name.UseOutlines
        if "/Lang" in sources[0].Root:
            out.Root.Lang = sources[0].Root.Lang
        out.docinfo["/Title"] = info["title"]
        out.docinfo["/Author"] = info["author"]
        out.save(out_path, deterministic_id=True)
    finally:
        for src in sources:
            src.close()


def _bookmark(item, page_index, offset):
    import pikepdf

    destination = None
    if isinstance(item.destination, pikepdf.Array) and len(item.destination):
        page = page_index.get(item.destination[0].objgen)
        if page is not None:
            destination = offset + page
    copy = pikepdf.OutlineItem(item.title, destination)
    copy.children.extend(_bookmark(child, page_index, offset) for child in item.children)
    return copy


def main(argv):
    """Child process: `compile INPUTS.json OUT.pdf` lays out one part; `join PARTS.json OUT.pdf` joins them."""
    mode, payload_path, out_path = argv
    with open(payload_path, encoding="utf-8") as handle:
        payload = json.load(handle)
    try:
        if mode == "join":
            _join(payload["paths"], out_path, payload["info"])
        else:
            _compile_here(payload, out_path)
    except RenderError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
