"""Loads YAML config files into pydantic models; every error names the file, line and field."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from tasks import PROJECT_ROOT
from tasks.pii import MaskedError

M = TypeVar("M", bound=BaseModel)
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # a PyYAML built without libyaml has no C loader


class ConfigError(MaskedError, ValueError):
    """A config file is missing, not valid YAML, or breaks its schema (masked: an email typed where a
    record key belongs ended up in Prefect's state message)."""

    expected = True  # logs carry the message without a traceback (see tasks/__init__.py)


def _node_at(node: yaml.Node, loc: tuple, key_itself: bool = False) -> yaml.Node:
    """Walks a composed YAML node along a pydantic error location, as deep as it goes; `key_itself`: the last
    step's key, not its value (a misspelt key holding a block starts on the line before its value)."""
    for i, key in enumerate(loc):
        if isinstance(node, yaml.MappingNode):
            if key_itself and i == len(loc) - 1:
                return next((k for k, _ in node.value if k.value == str(key)), node)
            match = next((v for k, v in node.value if k.value == str(key)), None)
            if match is None:
                match = next((k for k, _ in node.value if k.value == str(key)), None)
                return match or node
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
    return node


def line_of(node: yaml.Node | None, loc: tuple, key_itself: bool = False) -> int | None:
    """Returns the 1-based line of the YAML node at `loc` (of its key, with `key_itself`), if the document has one."""
    if node is None:
        return None
    return _node_at(node, loc, key_itself).start_mark.line + 1


def read_yaml(path: Path) -> tuple[object, yaml.Node | None]:
    """Parses a YAML file; returns (data, composed node) or raises ConfigError with the line."""
    if not path.exists():
        default = PROJECT_ROOT / "data" / "config" / path.name
        if not path.parent.exists():
            hint = (f" ({path.parent} does not exist: a new CANDOR_HOME starts with a copy of the project's "
                    f"data/config, cp -r data/config {path.parent.parent}/)")
        elif default.exists():  # a home upgraded in place keeps its config: a file a later version added is missing
            hint = (f"; this Candor version reads it (a home made by an earlier version may lack it): start from "
                    f"the project's default, cp {default} {path.parent}/")
        else:
            hint = ""
        raise ConfigError(f"{path}: file not found{hint}")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:  # the message names the place, never the file's text (it may hold PII)
        line = raw[:exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(f"{path}:{line}:{column}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
                          "save the file as UTF-8") from None
    try:
        # libyaml's parser (PyYAML's C binding), once for the data and the nodes: 10,000 override pairs took
        # 3.3 s with the pure-Python one, twice, and the nightly reads that file three times; an error is
        # worded by the pure-Python one, as before
        data, node = _parse(text, _FAST_LOADER)
    except yaml.YAMLError:
        try:
            data, node = _parse(text, yaml.SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
            raise ConfigError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    _refuse_duplicate_keys(path, node)
    return data, node


def _parse(text: str, loader_class) -> tuple[object, yaml.Node | None]:
    """(data, composed node) of a YAML document from one parse: what yaml.safe_load and yaml.compose give."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    finally:
        loader.dispose()


def _refuse_duplicate_keys(path: Path, node: yaml.Node | None) -> None:
    """A key given twice in one mapping is an error: YAML loaders keep the last one and drop the
    first without a word (a second `must_link:` block silently undid the first)."""
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in current.value:
                stack.append(value)
                if not isinstance(key, yaml.ScalarNode):
                    continue
                line = key.start_mark.line + 1
                if key.value in seen:
                    raise ConfigError(f"{path}:{line}: {key.value!r} is given twice (first on line "
                                      f"{seen[key.value]}); merge the two into one")
                seen[key.value] = line
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)


def load_model(path: Path, model: type[M]) -> M:
    """Validates a YAML file against `model`; errors read `file:line: field: message`."""
    data, node = read_yaml(path)
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            field = ".".join(str(p) for p in loc) or "(document)"
            line = line_of(node, loc, key_itself=err["type"] == "extra_forbidden")  # the misspelt key's line
            message = err["msg"]
            if not loc and err["type"] == "model_type":  # pydantic said 'a valid dictionary or instance of Overrides'
                held = {list: "a list", str: "text", bool: "true or false", int: "a number", float: "a number"}.get(
                    type(data), type(data).__name__)
                message = f"the file holds {held}, where its top level gives the keys {', '.join(model.model_fields)}"
            lines.append(f"{path}:{line or 1}: {field}: {message}")
        raise ConfigError("\n".join(lines)) from None
