"""The strict JSON schema sent as response_format: built from pydantic's public
`model_json_schema()`, and within OpenAI's strict-mode rules for every answer we ask for."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field

from agent.llm import strict_schema
from agent.models import Fault, ModelOutput
from evals.judge import JudgeVerdict

ROOT = Path(__file__).resolve().parent.parent

# OpenAI's structured-outputs guide: the keywords strict mode understands.
ALLOWED_KEYWORDS = {
    "type", "properties", "required", "additionalProperties", "items", "anyOf", "enum",
    "const", "description", "title", "$defs", "$ref", "format", "pattern", "minimum",
    "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minItems", "maxItems",
}
ALLOWED_FORMATS = {"date-time", "time", "date", "duration", "email", "hostname", "ipv4",
                   "ipv6", "uuid"}
MAX_DEPTH, MAX_PROPERTIES, MAX_ENUM_VALUES = 10, 5000, 1000


def strict_problems(schema: dict[str, Any]) -> list[str]:
    """Every way `schema` breaks OpenAI's strict-mode rules (empty when it keeps them)."""
    problems: list[str] = []
    counts = {"properties": 0, "enum": 0}
    if schema.get("type") != "object" or "anyOf" in schema:
        problems.append("the root must be an object, not a union")

    def resolve(ref: str) -> dict[str, Any] | None:
        found: Any = schema
        for key in ref.removeprefix("#/").split("/"):
            found = found.get(key) if isinstance(found, dict) else None
        return found if isinstance(found, dict) else None

    def walk(node: dict[str, Any], where: str, depth: int) -> None:
        for key in node.keys() - ALLOWED_KEYWORDS:
            problems.append(f"{where}: keyword {key!r} is not supported")
        if "$ref" in node:
            if len(node) > 1:
                problems.append(f"{where}: $ref has keys beside it: {sorted(node)}")
            if resolve(node["$ref"]) is None:
                problems.append(f"{where}: $ref {node['$ref']} does not resolve")
        if node.get("format") and node["format"] not in ALLOWED_FORMATS:
            problems.append(f"{where}: format {node['format']!r} is not supported")
        counts["enum"] += len(node.get("enum", []))
        if node.get("type") == "object":
            if depth > MAX_DEPTH:
                problems.append(f"{where}: nested deeper than {MAX_DEPTH}")
            if node.get("additionalProperties") is not False:
                problems.append(f"{where}: additionalProperties must be false")
            props = node.get("properties", {})
            counts["properties"] += len(props)
            if sorted(node.get("required", [])) != sorted(props):
                problems.append(f"{where}: every property must be required")
            for key, sub in props.items():
                walk(sub, f"{where}.{key}", depth + 1)
        if isinstance(node.get("items"), dict):
            walk(node["items"], f"{where}[]", depth)
        for i, sub in enumerate(node.get("anyOf", [])):
            walk(sub, f"{where}|{i}", depth)
        for name, sub in node.get("$defs", {}).items():
            walk(sub, f"$defs.{name}", 1)

    walk(schema, "root", 1)
    if counts["properties"] > MAX_PROPERTIES:
        problems.append(f"more than {MAX_PROPERTIES} properties")
    if counts["enum"] > MAX_ENUM_VALUES:
        problems.append(f"more than {MAX_ENUM_VALUES} enum values")
    return problems


@pytest.mark.parametrize("model", [ModelOutput, JudgeVerdict])
def test_every_answer_we_ask_for_keeps_openais_strict_rules(model: type[BaseModel]) -> None:
    schema = strict_schema(model)
    assert strict_problems(schema) == []
    # Strict mode still describes the model: the same fields under their JSON names.
    names = {f.alias or n for n, f in model.model_fields.items()}
    assert set(schema["properties"]) == names


def test_the_checker_catches_what_pydantic_alone_would_send() -> None:
    """model_json_schema() as is breaks the rules (a $ref beside a description), so the
    test above is not passing for free."""
    raw = ModelOutput.model_json_schema()
    assert any("$ref has keys beside it" in p for p in strict_problems(raw))


class Loose(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = None
    fault: Fault = Field(description="Whose fault it is.")
    tags: list[str] = Field(default_factory=list)


def test_optional_fields_become_required_and_nullable_and_refs_stand_alone() -> None:
    schema = strict_schema(Loose)
    assert strict_problems(schema) == []
    assert schema["required"] == ["note", "fault", "tags"]
    note = schema["properties"]["note"]
    assert "default" not in note and {"type": "null"} in note["anyOf"]
    fault = schema["properties"]["fault"]  # was {"$ref": ..., "description": ...}
    assert "$ref" not in fault
    assert fault["description"] == "Whose fault it is."
    assert fault["enum"] == [f.value for f in Fault]


class FreeForm(BaseModel):
    labels: dict[str, str]


def test_a_free_form_mapping_is_refused_with_its_field_named() -> None:
    with pytest.raises(TypeError, match=r"FreeForm\.labels.*closed object"):
        strict_schema(FreeForm)


# The one exception, on purpose: the regex rewrite and the prefilter read Python's own
# parse of a pattern, and fall back to compiling it as written (slower, never wrong) when
# those internals change; tests/test_factor.py checks both paths.
_INTERNALS_ALLOWED = {"agent/checks/factor.py": ("re._compiler", "re._parser",
                                                 "re._constants")}


def test_no_package_imports_a_private_module_of_another() -> None:
    """Private internals (openai.lib._pydantic, re._parser were two) break on upgrade."""
    found = []
    for path in sorted([*(ROOT / "agent").rglob("*.py"), *(ROOT / "evals").rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                parts = name.split(".")
                private = [p for p in parts if p.startswith("_") and not p.endswith("__")]
                where = str(path.relative_to(ROOT))
                allowed = _INTERNALS_ALLOWED.get(where, ())
                if parts[0] not in ("agent", "evals") and private and not any(
                        name == a or name.startswith(a + ".") for a in allowed):
                    found.append(f"{where}:{node.lineno}: {name}")
    assert found == []
