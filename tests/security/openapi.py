"""Requests built from the OpenAPI document, for tests that knock on every door."""

from django.utils import timezone


def _value(schema: dict, components: dict):
    if "$ref" in schema:
        return _body(components[schema["$ref"].split("/")[-1]], components)
    if "anyOf" in schema:
        return _value(next(s for s in schema["anyOf"] if s.get("type") != "null"), components)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if schema.get("format") == "date-time":
        return timezone.now().isoformat()
    if schema.get("format") == "date":
        return "2020-01-01"
    return {
        "string": "x" * max(schema.get("minLength", 1), 10),
        "integer": 1,
        "number": 1,
        "boolean": True,
        "array": [],
        "object": {},
    }.get(kind, "x")


def _body(schema: dict, components: dict) -> dict:
    return {
        name: _value(schema["properties"][name], components) for name in schema.get("required", [])
    }


def api_operations(client, *, only_with_ids: bool = True) -> list[tuple[str, str, dict]]:
    """Every operation of the OpenAPI document, with a body its schema accepts."""
    document = client.get("/api/v1/openapi.json").json()
    components = document.get("components", {}).get("schemas", {})
    operations = []
    for path, methods in document["paths"].items():
        if only_with_ids and not any(name in path for name in ("{referral_id}", "{item_id}")):
            continue
        for method, operation in methods.items():
            body = {}
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if content:
                body = (
                    _body(content["schema"], components)
                    if "$ref" not in content["schema"]
                    else _value(content["schema"], components)
                )
            operations.append((method, path, body))
    return operations
