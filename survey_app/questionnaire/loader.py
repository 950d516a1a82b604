"""Read questionnaire files: YAML in, a checked `Questionnaire` (or `FILE:LINE` problems) out.

PyYAML's node tree keeps the line of every key and value; we walk it once to build a
map from paths inside the document to lines, so that schema errors from pydantic and
semantic findings can both be reported at the line a person has to fix.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path as FilePath
from typing import Any

import yaml
from pydantic import ValidationError

from survey_app.questionnaire.errors import Problem, ProblemCode, Severity, errors_only
from survey_app.questionnaire.schema import Questionnaire, WorkingGroup
from survey_app.questionnaire.validation import Locate, Path, check_questionnaire

WORKING_GROUPS_FILE = "working_groups.yaml"
#: Files beside the questionnaires that are not questionnaires: the district profile
#: (`district.py`) and the priors of demo data (`analysis/demo.py`).
NOT_QUESTIONNAIRES = frozenset({WORKING_GROUPS_FILE, "district.yaml", "demo.yaml"})
QUESTIONNAIRE_SUFFIXES = (".yaml", ".yml")


@dataclass
class LoadResult:
    """A questionnaire file read and checked: `questionnaire` is None when it has errors."""

    path: FilePath
    questionnaire: Questionnaire | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return errors_only(self.problems)


@dataclass
class YamlDocument:
    data: Any
    lines: dict[Path, int]

    def line_of(self, path: Path) -> int:
        """The line of `path`, or of its nearest ancestor the document has."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 1


class YamlProblem(ValueError):
    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(message)


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(source: FilePath) -> YamlDocument:
    """Parse a YAML file, keeping the line of every path; raises `YamlProblem`."""
    return _parse_yaml(source.read_bytes())


def _parse_yaml(raw: bytes) -> YamlDocument:
    if b"\x00" in raw:
        raise YamlProblem(1, "not a text file (binary content)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise YamlProblem(line, "not valid UTF-8 text") from None
    if not text.strip():
        raise YamlProblem(1, "the file is empty")
    # One parse gives both the node tree (for lines) and the data; libyaml's parser when
    # PyYAML has it: 0.06 s instead of 0.44 s (compose + load) for the newcomer survey.
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlProblem(line, f"invalid YAML: {error.problem or error}") from None
    except yaml.YAMLError as error:
        raise YamlProblem(1, f"invalid YAML: {error}") from None
    finally:
        loader.dispose()
    lines: dict[Path, int] = {}
    _record_lines(node, (), lines)
    return YamlDocument(data, lines)


def _record_lines(node: yaml.Node | None, path: Path, lines: dict[Path, int]) -> None:
    if node is None:
        return
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                raise YamlProblem(key_node.start_mark.line + 1, f"duplicate key '{key}'")
            seen.add(key)
            lines[(*path, key)] = key_node.start_mark.line + 1
            _record_lines(value_node, (*path, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*path, index), lines)


def load_questionnaire(source: FilePath, *, working_groups: Collection[str]) -> LoadResult:
    """Read and check one questionnaire file; never raises for bad content.

    The same content checked against the same working groups is read once per process
    (`_checked`): publishing reads every file at each start of an app, which the test
    suite does hundreds of times (the newcomer survey: about 0.1 s each), and the
    questionnaire is immutable."""
    try:
        raw = source.read_bytes()
    except OSError as error:
        return LoadResult(
            source,
            None,
            [Problem(f"{source}:1", f"cannot read: {error.strerror}", code=ProblemCode.UNREADABLE)],
        )
    checked = _checked(source, raw, frozenset(working_groups))
    return LoadResult(source, checked.questionnaire, list(checked.problems))


@lru_cache(maxsize=16)
def _checked(source: FilePath, raw: bytes, working_groups: frozenset[str]) -> LoadResult:
    try:
        document = _parse_yaml(raw)
    except YamlProblem as problem:
        return LoadResult(
            source,
            None,
            [Problem(f"{source}:{problem.line}", problem.message, code=ProblemCode.INVALID_YAML)],
        )

    def locate(path: Path) -> str:
        return f"{source}:{document.line_of(path)}"

    if not isinstance(document.data, dict):
        return LoadResult(
            source,
            None,
            [Problem(locate(()), "expected a mapping at top level", code=ProblemCode.SCHEMA)],
        )
    try:
        questionnaire = Questionnaire.model_validate(document.data)
    except ValidationError as error:
        return LoadResult(source, None, list(_schema_problems(error, locate)))
    problems = check_questionnaire(questionnaire, working_groups=working_groups, locate=locate)
    if errors_only(problems):
        return LoadResult(source, None, problems)
    return LoadResult(source, questionnaire, problems)


def _schema_problems(error: ValidationError, locate: Locate) -> Iterator[Problem]:
    for detail in error.errors(include_url=False):
        path = tuple(detail["loc"])
        where = ".".join(str(part) for part in path) or "document"
        message = detail["msg"]
        if detail["type"] == "extra_forbidden":
            message = f"unknown field '{path[-1]}'"
        elif detail["type"] == "missing":
            message = f"missing required field '{path[-1]}'"
        else:
            message = f"{where}: {message}"
        yield Problem(locate(path), message, code=ProblemCode.SCHEMA)


def load_working_groups(source: FilePath) -> tuple[list[WorkingGroup], list[Problem]]:
    """Read `working_groups.yaml`: `working_groups: [{id, name: {de, en}}, ...]`."""
    try:
        document = read_yaml(source)
    except YamlProblem as problem:
        return [], [
            Problem(f"{source}:{problem.line}", problem.message, code=ProblemCode.INVALID_YAML)
        ]
    except OSError as error:
        return [], [
            Problem(f"{source}:1", f"cannot read: {error.strerror}", code=ProblemCode.UNREADABLE)
        ]
    entries = document.data.get("working_groups") if isinstance(document.data, dict) else None
    if not isinstance(entries, list):
        return [], [
            Problem(
                f"{source}:1", "expected 'working_groups:' with a list", code=ProblemCode.SCHEMA
            )
        ]
    groups: list[WorkingGroup] = []
    problems: list[Problem] = []
    for index, entry in enumerate(entries):
        try:
            groups.append(WorkingGroup.model_validate(entry))
        except ValidationError as error:
            problems.extend(_schema_problems(error, _entry_locator(source, document, index)))
    return groups, problems


def _entry_locator(source: FilePath, document: YamlDocument, index: int) -> Locate:
    def locate(path: Path) -> str:
        return f"{source}:{document.line_of(('working_groups', index, *path))}"

    return locate


def questionnaire_files(paths: Iterable[FilePath]) -> list[FilePath]:
    """Questionnaire files named by `paths` (files, or directories searched one level)."""
    found: list[FilePath] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(
                    child
                    for child in path.iterdir()
                    if child.suffix in QUESTIONNAIRE_SUFFIXES
                    and child.name not in NOT_QUESTIONNAIRES
                )
            )
        else:
            found.append(path)
    return found


def load_directory(directory: FilePath, *, working_groups: Collection[str]) -> list[LoadResult]:
    """Every questionnaire file in `directory`, loaded and checked."""
    return [
        load_questionnaire(path, working_groups=working_groups)
        for path in questionnaire_files([directory])
    ]


__all__ = [
    "LoadResult",
    "Severity",
    "YamlProblem",
    "load_directory",
    "load_questionnaire",
    "load_working_groups",
    "questionnaire_files",
    "read_yaml",
]


def load_working_group_catalog(directory: FilePath) -> tuple[list[WorkingGroup], list[Problem]]:
    """The working groups of a questionnaire directory (`working_groups.yaml`)."""
    path = directory / WORKING_GROUPS_FILE
    if not path.exists():
        return [], [
            Problem(f"{path}:1", "working groups file not found", code=ProblemCode.UNREADABLE)
        ]
    return load_working_groups(path)
