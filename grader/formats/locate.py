"""Step 2: find, in a snapshot, what a pack needs.

Module packs (tasks name files): the folder holding the task files. Other
packs (notebooks, classes): the one notebook or module that defines the most
graded names with real bodies, reduced to definitions-only source.
"""
from __future__ import annotations

import difflib
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass

from grader.formats.model import Skipped, SubmittedFile, Submission
from grader.formats.notebook import NotANotebook, code_cells
from grader.formats.snapshot import MAX_FILE_BYTES, Snapshot, Unusable, limit_for
from grader.formats.source import Analysis, analyse_module, analyse_notebook

_CODE_SUFFIXES = (".ipynb", ".py")
_ARCHIVES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".rar", ".7z")
_SINGLE_KINDS = ("module", "notebook")


@dataclass(frozen=True)
class Wanted:
    """What a pack looks for."""

    files: tuple[str, ...]  # task file names of module packs; may be empty
    names: tuple[str, ...]  # graded object names, used to choose a notebook/module
    definitions_only: bool  # modules are loaded as definitions only (notebooks always are)


def locate(snapshot: Snapshot, wanted: Wanted) -> Submission:
    """What `wanted` needs from `snapshot`; never raises for anything a student handed in."""
    if snapshot.broken:
        return Submission(path=snapshot.path, format=snapshot.kind,
                          skipped=tuple(snapshot.skipped + snapshot.limit_skipped),
                          notes=tuple(snapshot.notes), broken=snapshot.broken)
    if wanted.files:
        return _task_files(snapshot, wanted)
    return _one_module(snapshot, wanted)


def _broken(snapshot: Snapshot, reason: str, skipped: Sequence[Skipped] = (),
            notes: Sequence[str] = ()) -> Submission:
    return Submission(path=snapshot.path, format=snapshot.kind,
                      skipped=_unique([*skipped, *snapshot.limit_skipped]),
                      notes=tuple([*snapshot.notes, *notes]), broken=reason)


def _unique(items: Sequence[Skipped]) -> tuple[Skipped, ...]:
    return tuple(dict.fromkeys(items))


def _inside(folder: str, name: str) -> bool:
    return not folder or name.startswith(folder + "/")


# ------------------------------------------------------------------ module packs
def _task_files(snapshot: Snapshot, wanted: Wanted) -> Submission:
    """The regular files of the folder holding the task files: the top when any task file
    is there, else the one folder (any depth) holding the most of them."""
    wanted_names = set(wanted.files)
    holders: dict[str, set[str]] = {}
    for name in snapshot.seen():
        folder, base = posixpath.split(name)
        if base in wanted_names:
            holders.setdefault(folder, set()).add(base)
    archives = sorted(name for name in snapshot.entries if name.lower().endswith(_ARCHIVES))
    if not holders and archives:
        return _broken(snapshot, f"no task file was found, but {archives[0]} is an archive "
                                 "inside the submission, which the grader does not open: hand "
                                 "in the files themselves (or one archive of them)")
    location = ""
    if holders and not holders.get(""):
        best = max(len(found) for found in holders.values())
        tied = sorted(folder for folder, found in holders.items() if len(found) == best)
        if len(tied) > 1:
            folders = ", ".join(f"{folder}/" for folder in tied)
            return _broken(snapshot, f"task files found in several folders ({folders}): "
                                     "hand in one")
        location = tied[0]
    files: dict[str, SubmittedFile] = {}
    skipped = [s for s in snapshot.skipped if _inside(location, s.name)]
    for name, entry in snapshot.entries.items():
        if posixpath.dirname(name) != location:
            continue
        try:
            data = snapshot.read(name, MAX_FILE_BYTES)
        except Unusable as exc:
            skipped.append(Skipped(name, exc.reason))
            continue
        base = posixpath.basename(name)
        files[base] = SubmittedFile(base, data, entry.executable)
    skipped += _lookalikes(snapshot, wanted, location, holders, files, skipped)
    notes = list(snapshot.notes)
    if location:
        notes.append(f"task files found in {location}/")
    return Submission(path=snapshot.path, format=snapshot.kind, location=location, files=files,
                      skipped=_unique([*skipped, *snapshot.limit_skipped]), notes=tuple(notes))


_COPY_MARK = re.compile(r"(\s*\(\d+\)|[ _-]+(copy|copie|kopie)( \d+)?)$", re.IGNORECASE)
_TASK_NUMBER = re.compile(r"^\d+-")


def _lookalikes(snapshot: Snapshot, wanted: Wanted, location: str,
                holders: dict[str, set[str]], files: dict[str, SubmittedFile],
                skipped: list[Skipped]) -> list[Skipped]:
    """Why each task file that is not in the graded folder is not there, when something
    handed in explains it: a folder of that name, a file named almost so, the file in
    another folder. Recorded under the task file's name,
    so that its task says so instead of "not found"."""
    folder = f"{location}/" if location else ""
    explained = {s.name for s in skipped}
    beside = [name for name in files if name not in wanted.files]
    found = []
    for task_file in wanted.files:
        path = folder + task_file
        if task_file in files or path in explained or task_file in explained:
            continue
        others = sorted(place for place, names in holders.items()
                        if task_file in names and place != location)
        similar = [name for name in beside if _looks_like(name, task_file)]
        if path in snapshot.folders:
            reason = "a folder of that name, not a file"
        elif similar:
            case = " (names are case-sensitive)" if similar[0].lower() == task_file.lower() else ""
            reason = (f"handed in as {similar[0]!r}: the grader looks for exactly "
                      f"{task_file!r}{case}: rename the file")
        elif others:
            reason = (f"it is in {others[0]}/, but the other task files are in "
                      f"{location or 'the top folder'}{'/' if location else ''}: put every "
                      "task file in one folder")
        else:
            continue
        found.append(Skipped(path, reason))
    return found


def _looks_like(name: str, task_file: str) -> bool:
    """`name` is `task_file` saved under a slightly different name: another case, spaces,
    a copy's " (1)", a ".txt" added or ".py" lost, one letter off; never another task's
    number."""
    def plain(text: str) -> str:
        text = text.casefold().strip()
        for suffix in (".txt", ".py"):
            text = text.removesuffix(suffix)
        return _COPY_MARK.sub("", text).replace(" ", "")
    number = _TASK_NUMBER.match(task_file)
    if number and not name.startswith(number.group(0)):
        return False
    a, b = plain(name), plain(task_file)
    return a == b or difflib.SequenceMatcher(None, a, b).ratio() >= 0.9


# ------------------------------------------------------------------ notebook and class packs
@dataclass
class _Candidate:
    name: str
    text: str  # kept only while not analysed
    analysis: Analysis | None  # None: mentions no graded name, not analysed (yet)
    real: int = 0  # graded names defined with a body beyond the placeholders
    defined: int = 0  # graded names defined at all

    @property
    def notebook(self) -> bool:
        return self.name.lower().endswith(".ipynb")


def _one_module(snapshot: Snapshot, wanted: Wanted) -> Submission:
    single = snapshot.kind in _SINGLE_KINDS
    names = wanted.names
    mentions = (re.compile(r"^[ \t]*(?:async[ \t]+def|def|class)[ \t]+(?:%s)\b"
                           % "|".join(map(re.escape, names)), re.MULTILINE) if names else None)
    skipped = [s for s in snapshot.skipped if s.name.lower().endswith(_CODE_SUFFIXES)]
    candidates: list[_Candidate] = []
    for name in sorted(snapshot.entries):
        if not name.lower().endswith(_CODE_SUFFIXES):
            continue
        try:
            text = snapshot.read(name, limit_for(name)).decode("utf-8").lstrip("\ufeff")
        except Unusable as exc:
            skipped.append(Skipped(name, exc.reason))
            continue
        base = posixpath.basename(name)
        if name.lower().endswith(".ipynb"):
            try:
                cells = code_cells(text)
            except NotANotebook as exc:
                if single:
                    return _broken(snapshot, exc.broken_reason)
                skipped.append(Skipped(name, exc.skip_reason))
                continue
            candidate = _Candidate(name, "", analyse_notebook(cells, base))
        elif mentions is None or single or mentions.search(text):
            candidate = _Candidate(name, "", analyse_module(text, base))
        else:
            candidate = _Candidate(name, text, None)
        _score(candidate, names)
        candidates.append(candidate)
    if not candidates:
        return _broken(snapshot, _nothing(snapshot, skipped), skipped)
    chosen = _choose(candidates)
    if isinstance(chosen, str):
        return _broken(snapshot, chosen, skipped)
    if chosen.analysis is None:
        chosen.analysis = analyse_module(chosen.text, posixpath.basename(chosen.name))
    analysis = chosen.analysis
    location = posixpath.dirname(chosen.name)
    skipped += [s for s in snapshot.skipped if posixpath.dirname(s.name) == location]
    notes = [*snapshot.notes, *_choice_notes(single, chosen, candidates, names),
             *analysis.notes, *_marker_notes(analysis, names)]
    stem = posixpath.basename(chosen.name).rsplit(".", 1)[0]
    what = "notebook" if chosen.notebook else "module"
    return Submission(
        path=snapshot.path,
        format=snapshot.kind if single else f"{snapshot.kind} ({what} inside)",
        location=location,
        module=SubmittedFile(f"{stem}.py", analysis.source.encode("utf-8"), False),
        definitions=dict(analysis.definitions),
        not_run=dict(analysis.not_run),
        also_seen=tuple(c.name for c in candidates if c is not chosen),
        skipped=_unique([*skipped, *snapshot.limit_skipped]),
        notes=tuple(notes))


def _score(candidate: _Candidate, names: tuple[str, ...]) -> None:
    if candidate.analysis is None:
        return
    definitions = candidate.analysis.definitions
    if names:
        graded = [definitions[n] for n in names if n in definitions]
    else:  # a pack that finds classes by role: every function and class counts
        graded = [d for d in definitions.values() if d.kind != "constant"]
    candidate.defined = len(graded)
    candidate.real = sum(1 for d in graded if d.kind != "constant" and not d.placeholder)


def _choose(candidates: list[_Candidate]) -> _Candidate | str:
    """The candidate defining the most graded names with real bodies (when none has any,
    the most graded names at all); on a tie, the only notebook among the tied; else the
    reason it cannot be chosen."""
    best = max(c.real for c in candidates)
    tied = [c for c in candidates if c.real == best]
    if best == 0:
        most = max(c.defined for c in tied)
        tied = [c for c in tied if c.defined == most]
    if len(tied) == 1:
        return tied[0]
    notebooks = [c for c in tied if c.notebook]
    if len(notebooks) == 1:
        return notebooks[0]
    shown = ", ".join(c.name for c in tied[:6]) + (", ..." if len(tied) > 6 else "")
    noun = ("notebooks" if all(c.notebook for c in tied) else
            "modules" if not notebooks else "files")
    if best == 0 and most == 0:
        return (f"several {noun} were handed in and none defines the graded code ({shown}): "
                "hand in one")
    return f"several {noun} define the graded functions equally ({shown}): hand in one"


def _nothing(snapshot: Snapshot, skipped: list[Skipped]) -> str:
    if snapshot.kind in _SINGLE_KINDS and skipped:
        return f"{skipped[0].name} cannot be used: {skipped[0].reason}"
    reason = "nothing to grade: no notebook (.ipynb) or Python module (.py) was found"
    if skipped:
        shown = "; ".join(f"{s.name} was skipped ({s.reason})" for s in skipped[:3])
        reason = f"nothing to grade: {shown}"
    return reason


def _choice_notes(single: bool, chosen: _Candidate, candidates: list[_Candidate],
                  names: tuple[str, ...]) -> list[str]:
    if single:
        return []

    def counted(c: _Candidate) -> str:
        if c.analysis is not None and not c.analysis.parsed:
            return "could not be parsed"
        return f"{c.real} of {len(names)}" if names else f"{c.real} with code"

    note = f"graded {chosen.name}"
    if names:
        note += (f" (defines {chosen.real} of the {len(names)} graded "
                 f"name{'s' if len(names) > 1 else ''} beyond the course's placeholders)")
    else:
        note += (f" ({chosen.real} function{'s' if chosen.real != 1 else ''} or "
                 f"class{'es' if chosen.real != 1 else ''} with code beyond placeholders)")
    others = [c for c in candidates if c is not chosen]
    if others:
        shown = ", ".join(f"{c.name} ({counted(c)})" for c in others[:8])
        more = f" and {len(others) - 8} more" if len(others) > 8 else ""
        note += f"; also seen: {shown}{more}"
    return [note]


def _marker_notes(analysis: Analysis, names: tuple[str, ...]) -> list[str]:
    """Where a graded name's marker is missing or does not mark the graded definition.
    Only for a file that uses the course's markers at all."""
    if not analysis.marked:
        return []
    notes = []
    for name in names:
        definition = analysis.definitions.get(name)
        if definition is None or definition.kind == "constant":
            continue
        where = (f"cell {definition.cell}" if definition.cell is not None
                 else f"line {definition.line}")
        marked = analysis.marked.get(name)
        count = len(analysis.all_definitions.get(name, ()))
        if not marked:
            notes.append(f"{name}: no '# GRADED FUNCTION' marker found; "
                         f"graded the last definition, {where}")
        elif not definition.marker:
            place = f" (cell {marked[-1]})" if marked[-1] is not None else ""
            notes.append(f"{name}: graded the last definition ({where}), not the one marked "
                         f"'# GRADED FUNCTION: {name}'{place}")
        elif count > 1:
            notes.append(f"{name} is defined {count} times: graded the last definition "
                         f"({where})")
    return notes
