"""The sources.yaml schema: what each source is, where its files land and how fields map."""

from __future__ import annotations

import glob
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tasks.config import ConfigError, line_of, load_model, read_yaml
from tasks.settings import iana_zone

# Canonical candidate fields a mapping may target (issue #2), plus the few the kinds need.
CANONICAL_FIELDS = (
    "source_record_id", "first_name", "last_name", "full_name", "email", "phone", "street",
    "city", "region", "postal_code", "country", "current_title", "current_company",
    "linkedin_url", "skills", "tags", "job_id", "job_title", "applied_at", "stage",
    "referrer_email", "referrer_name", "referrer_employee_id", "consent_email", "consent_sms",
    "ats_person_id", "referral_relationship", "referral_note", "changed_at",
)
CanonicalField = Literal[CANONICAL_FIELDS]  # type: ignore[valid-type]
# one step of a JSON path in a mapping: a key, optionally with [n] (one item) or [] (every item)
JSON_PATH_TOKEN = re.compile(r"^(?P<key>[^\[\]]*)(?:\[(?P<index>\d*)\])?$")
CHANNELS = ("job_board", "referral", "ats", "career_site", "agency", "event")
FILE_KINDS = ("csv", "jsonl", "json", "referrals", "ats_status")
API_KINDS = ("greenhouse", "lever")
# keys only one family of kinds reads
FILE_KEYS = ("path", "delimiter", "encoding")
API_KEYS = ("base_url", "api_key_env", "api_key_secret", "per_page", "overlap_s", "reconcile_every_h")


def natural_key(text: str) -> list:
    """Sort key of a file name or path in natural order: numbers compare as numbers (2026-9-30 before 2026-10-01)."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


class SourceConfig(BaseModel):
    """One source: a file drop under inbox/ (csv, jsonl, json, referrals, ats_status) or an ATS API."""

    # .nan broke a bound it is on neither side of; reconcile_every_h: .inf failed a run (timedelta(hours=inf))
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    renamed_from: str | None = Field(
        default=None, pattern=r"^[a-z][a-z0-9_]*$",
        description="the source's earlier name: the next ingest moves its records, files, cursors and quarantine to this one")
    kind: Literal["csv", "jsonl", "json", "referrals", "ats_status", "greenhouse", "lever"]
    channel: Literal["job_board", "referral", "ats", "career_site", "agency", "event"]
    path: str | None = Field(default=None, description="glob under inbox/, or an absolute glob (a drop folder elsewhere)")
    format: Literal["csv", "json", "jsonl"] | None = None
    phone_region: str | None = Field(
        default=None, pattern=r"^[A-Z]{2}$", description="region of phones without +country code; unset: CANDOR_DEFAULT_REGION")
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    encoding: Literal["utf-8", "latin-1", "cp1252"] = "utf-8"
    date_order: Literal["mdy", "dmy"] = Field(
        default="mdy", description="order of a slashed numeric date: mdy (05/03/2026 is 3 May) or dmy (5 March)")
    timezone: str = Field(
        default="UTC", description="IANA time zone of the times the source writes without an offset (and of dates alone)")
    mapping: dict[CanonicalField, str] = Field(default_factory=dict)
    full_export: bool = Field(
        default=False, description="file sources: each file lists every current record; a staged record absent "
                                   "from the newest file is deleted, as an ATS API's deletions are")
    max_delete_share: float = Field(
        default=0.5, gt=0, le=1, description="a full export file, or an API full scan, that would delete more than "
                                             "this share of the source's staged records fails and is tried again "
                                             "(a cut or empty export, an API listing nothing)")
    # API sources (greenhouse, lever)
    base_url: str | None = None
    api_key_env: str | None = None
    api_key_secret: str | None = None
    per_page: int = Field(default=500, ge=1, le=500)
    overlap_s: int = Field(default=60, ge=0)
    reconcile_every_h: float = Field(
        default=168, ge=0, description="API sources: hours between full scans that find deleted records by id (0: every run)")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return iana_zone(value)

    @model_validator(mode="after")
    def _kind_needs(self) -> "SourceConfig":
        # a key the kind never reads is a misunderstanding (a path on an API, per_page on a file): said, not ignored
        given = self.model_fields_set
        ignored = sorted(given & (set(API_KEYS) if self.kind in FILE_KINDS else set(FILE_KEYS)))
        if ignored:
            other = "API sources (greenhouse, lever)" if self.kind in FILE_KINDS else "file sources"
            raise ValueError(f"{', '.join(ignored)}: only {other} read {'it' if len(ignored) == 1 else 'them'}; "
                             f"a {self.kind} source does not: drop {'it' if len(ignored) == 1 else 'them'}, or set kind")
        if "delimiter" in given and self.kind in FILE_KINDS and self.file_format != "csv":
            raise ValueError(f"delimiter is for CSV files; this source's files are {self.file_format}: drop it")
        if self.format and self.kind not in ("referrals", "ats_status"):  # csv/jsonl/json name their format
            raise ValueError(f"format is for referrals and ats_status files (CSV unless it says jsonl or json); "
                             f"a {self.kind} source is read as its kind says: drop format, or set kind")
        if self.kind in FILE_KINDS:
            if not self.path:
                raise ValueError(f"a {self.kind} source needs `path` (a glob under inbox/)")
            if "source_record_id" not in self.mapping:
                raise ValueError("mapping must name the column holding `source_record_id`")
            if self.kind == "ats_status":
                missing = {"stage", "changed_at"} - set(self.mapping)
                if missing or not ({"ats_person_id", "email"} & set(self.mapping)):
                    raise ValueError("an ats_status mapping needs stage, changed_at and ats_person_id or email")
            if self.file_format != "csv":
                self._check_json_paths()
            if self.full_export and self.kind == "ats_status":
                raise ValueError("full_export is for file sources of candidates (csv, jsonl, json, referrals), "
                                 "not ats_status: stage changes are events, not a list of current records")
            if self.path.endswith(("/", "\\")):
                raise ValueError(f"path {self.path!r} names a folder; give a glob of its files, e.g. '{self.path}*.csv'")
        else:
            if self.full_export:
                raise ValueError(f"full_export is for file sources of candidates (csv, jsonl, json, referrals), "
                                 f"not {self.kind}: an API source finds deleted records itself (reconcile_every_h)")
            if not self.base_url or not (self.api_key_env or self.api_key_secret):
                raise ValueError(f"a {self.kind} source needs base_url and api_key_env or api_key_secret")
            if "@" in self.base_url.split("?")[0].split("#")[0]:  # not repeated: what precedes the @ is a key
                raise ValueError("base_url holds credentials (user:key@); the key goes in the environment "
                                 "variable named by api_key_env or the Prefect Secret named by api_key_secret")
            if not re.match(r"https?://[^/\s]+", self.base_url):
                raise ValueError(f"base_url {self.base_url!r} must start with https:// (or http://) and a host")
            self._check_json_paths()
        return self

    def _check_json_paths(self) -> None:
        """A JSON path that cannot match anything (`emails[x]`, `a..b`) would give null for every record, silently."""
        for field, path in self.mapping.items():
            for token in path.split("."):
                m = JSON_PATH_TOKEN.match(token)
                if not m or not (m.group("key") or m.group("index") is not None):
                    raise ValueError(f"mapping.{field}: {path!r} is no JSON path: {token!r} is neither a key nor "
                                     f"key[n] / key[] (e.g. applicant.email, emails[0], skills[].name)")

    @property
    def file_format(self) -> str:
        """The file format to parse: csv, json or jsonl."""
        if self.kind in ("csv", "json", "jsonl"):
            return self.kind
        return self.format or "csv"

    def glob_pattern(self, inbox: Path) -> str:
        """The glob this source lists: its `path` under the inbox, or as given when absolute."""
        path = self.path or ""
        return path if Path(path).is_absolute() else str(Path(glob.escape(str(inbox))) / path)

    def folder(self, inbox: Path) -> Path:
        """The folder this source's glob lists in: the inbox, or an absolute path, joined with the leading steps of
        `path` that hold no wildcard (inbox/stackjobs for stackjobs/*.csv, /mnt/drop for /mnt/drop/*/x.csv)."""
        path = Path(self.path or "")
        start, parts = (Path(path.anchor), path.parts[1:-1]) if path.is_absolute() else (inbox, path.parts[:-1])
        for part in parts:
            if glob.has_magic(part):
                break
            start = start / part
        return start

    def files(self, inbox: Path) -> list[Path]:
        """Lists this source's files (under the inbox, or where an absolute glob points) in natural name
        order: numbers in names compare as numbers, so an export of 2026-9-30 is read before one of
        2026-10-01 and a later file's version of a record wins. A symbolic link whose target is gone is
        listed too: ingest fails it naming the target, where left out it was an export unread without a word."""
        found = [Path(p) for p in glob.glob(self.glob_pattern(inbox), recursive=True)]
        return sorted((p for p in found if p.is_file() or (p.is_symlink() and not p.exists())),
                      key=lambda p: natural_key(str(p)))


class SourcesFile(BaseModel):
    """The whole sources.yaml."""

    model_config = ConfigDict(extra="forbid")
    sources: list[SourceConfig]
    # sources removed for good: ingest deletes what the warehouse still holds of them (tasks/renames.py)
    retired: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]] = Field(default_factory=list)

    @field_validator("sources", mode="before")
    @classmethod
    def _some_source(cls, value: object) -> object:
        # `sources: []` (every entry commented out, a bad merge) made each run read nothing and exit 0
        if value is None or value == []:
            raise ValueError("lists no source: every ingest and nightly run would read nothing; give at least one "
                             "(README, Adding a source), or copy the project's data/config/sources.yaml")
        return value

    @model_validator(mode="after")
    def _unique_names(self) -> "SourcesFile":
        names = [s.name for s in self.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique; repeated: {dupes}")
        return self


def load_sources(config_dir: Path) -> list[SourceConfig]:
    """Reads config/sources.yaml; raises ConfigError naming file, line and field."""
    return load_sources_file(config_dir).sources


def make_inbox_folders(config_dir: Path, inbox: Path) -> None:
    """Creates the folder each file source of config_dir/sources.yaml reads (a missing one fails its ingest)."""
    for source in load_sources(config_dir):
        if source.kind in FILE_KINDS:
            source.folder(inbox).mkdir(parents=True, exist_ok=True)


def load_sources_file(config_dir: Path) -> SourcesFile:
    """Reads config/sources.yaml whole (its sources and the names it retires); raises ConfigError naming file, line and field."""
    path = config_dir / "sources.yaml"
    read = load_model(path, SourcesFile)
    _check_renames(path, read.sources)
    configured = {s.name for s in read.sources} | {s.renamed_from for s in read.sources if s.renamed_from}
    taken = [(i, name) for i, name in enumerate(read.retired) if name in configured]
    if taken:
        node = read_yaml(path)[1]
        raise ConfigError("\n".join(f"{path}:{line_of(node, ('retired', i)) or 1}: retired: {name} is a source of "
                                    f"sources.yaml (or renamed from): a source added back leaves `retired`" for i, name in taken))
    return read


def _check_renames(path: Path, sources: list[SourceConfig]) -> None:
    """Each `renamed_from` names another source, no two the same one, and not one still configured as it is
    (its records would move away while it goes on reading its files or API); sources swapping names each name
    the other. Raises ConfigError naming file and line."""
    names = {s.name: s for s in sources}
    olds = [s.renamed_from for s in sources if s.renamed_from]
    problems = []
    for i, source in enumerate(sources):
        old = source.renamed_from
        if old is None:
            continue
        if old == source.name:
            problem = "names the source itself"
        elif olds.count(old) > 1:
            problem = f"{old} is renamed to two sources ({', '.join(s.name for s in sources if s.renamed_from == old)})"
        elif old in names and not names[old].renamed_from:
            problem = (f"{old} is still a source of sources.yaml: drop {old}'s entry (the rename moves its records to "
                       f"{source.name}), or give {old} a renamed_from too (names swapped in one change)")
        else:
            continue
        problems.append(f"{path}:{line_of(read_yaml(path)[1], ('sources', i, 'renamed_from')) or 1}: "
                        f"sources.{i}.renamed_from: {problem}")
    if problems:
        raise ConfigError("\n".join(problems))


def check_shared_files(config_dir: Path, sources: list[SourceConfig], inbox: Path) -> None:
    """No file in the inbox is read by two candidate sources (or two ats_status ones): each would stage its
    records under its own name, every record twice. A candidate source and an ats_status source may read one
    export (candidates and their stage changes). Raises ConfigError naming file, line, both sources and a file."""
    path = config_dir / "sources.yaml"
    claimed: dict[tuple[bool, Path], int] = {}
    problems = []
    for i, source in enumerate(sources):
        if source.kind not in FILE_KINDS:
            continue
        shared = {}
        for file in source.files(inbox):
            first = claimed.setdefault((source.kind == "ats_status", file.resolve()), i)
            if first != i:
                shared.setdefault(first, file)
        for first, file in shared.items():
            node = read_yaml(path)[1]
            problems.append(f"{path}:{line_of(node, ('sources', i, 'path')) or 1}: sources.{i}.path: {file} is matched "
                            f"by {sources[first].name} (line {line_of(node, ('sources', first, 'path')) or 1}) too: "
                            f"both would stage its records, each under its own name; narrow one of the two globs")
    if problems:
        raise ConfigError("\n".join(problems))


def select_sources(sources: list[SourceConfig], only: list[str] | None, config_dir: Path) -> list[SourceConfig]:
    """The sources named in `only` (all when None), in sources.yaml order; a name it lacks is a ConfigError naming
    the file read (config_dir/sources.yaml: an operator with several homes sees which one)."""
    if not only:
        return sources
    names = [s.name for s in sources]
    unknown = sorted(set(only) - set(names))
    if unknown:
        raise ConfigError(f"unknown source(s) {', '.join(unknown)} for --source; {config_dir / 'sources.yaml'} "
                          f"has {', '.join(names)}")
    return [s for s in sources if s.name in only]
