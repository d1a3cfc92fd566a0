"""Schema-wide settings and the committed SDL."""

from __future__ import annotations

from pathlib import Path

from schema import build_schema, schema


async def test_introspection_can_be_turned_off() -> None:
    closed = build_schema(introspection=False)
    result = await closed.execute("{ __schema { queryType { name } } }")
    assert result.errors and "introspection" in result.errors[0].message.lower()
    opened = await build_schema().execute("{ __schema { queryType { name } } }")
    assert opened.errors is None


def test_committed_sdl_matches_the_code() -> None:
    committed = (Path(__file__).resolve().parents[2] / "schema.graphql").read_text()
    assert committed == schema.as_str() + "\n"


def test_every_type_and_field_is_described() -> None:
    missing = []
    for t in schema._schema.type_map.values():
        if t.name.startswith("__") or not hasattr(t, "fields"):
            continue
        if not t.description:
            missing.append(t.name)
        missing += [f"{t.name}.{n}" for n, f in t.fields.items() if not f.description]
    assert missing == []
