"""The OpenAPI 3.1 document, generated from the routes the app serves.

``openapi_base.json`` holds what is written by hand: the resolver paths (GS1 Digital
Link patterns), ``/api/v1/verify``, ``/healthz`` and the response schemas. Every
:class:`~veriseal.server.endpoints.Endpoint` mounted on the app adds its path with the
JSON schema of the same msgspec models that validate its input, so a route cannot be
served undocumented and the document cannot promise what the edge refuses.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Sequence
from importlib import resources
from typing import Any

import msgspec

from veriseal.server.endpoints import Endpoint, Gate

_BASE: dict[str, Any] = json.loads(
    resources.files("veriseal.server").joinpath("openapi_base.json").read_text("utf-8")
)
_REF = "#/components/schemas/{name}"
_ERRORS = {
    "400": "Malformed request (error.code says what); nothing was changed.",
    "401": "No, an unknown, a revoked or an expired token.",
    "403": "The role, the token's scopes or the dealer tree does not allow it.",
    "404": "Not found.",
    "409": "Conflicts with the current state.",
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _REF.format(name="Error")}}},
    }


def _merge(schemas: dict[str, Any], components: dict[str, Any], skip: str = "") -> None:
    """Add model schemas to the document's components. Components are named by class
    name: two different models of one name would silently replace each other, so that
    is refused (rename one)."""
    for name, schema in components.items():
        if name == skip:
            continue
        if name in schemas and schemas[name] != schema:
            raise ValueError(f"two different input models are named {name}: rename one")
        schemas[name] = schema


def path_template(path: str) -> str:
    """An aiohttp route path as an OpenAPI path template (``{code:.+}`` -> ``{code}``)."""
    return re.sub(r"\{(\w+):[^}]*\}", r"{\1}", path)


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter's schema without its ``null`` alternative: an absent query
    parameter is how a client says "none" (there is no null in a query string)."""
    options = [s for s in schema.get("anyOf", ()) if s.get("type") != "null"]
    if len(options) == 1 and len(schema["anyOf"]) == 2:
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        return {**options[0], **rest}
    return schema


def _parameters(model: Any, where: str, schemas: dict[str, Any]) -> list[dict[str, Any]]:
    (ref,), components = msgspec.json.schema_components([model], ref_template=_REF)
    name = ref["$ref"].rsplit("/", 1)[1]
    _merge(schemas, components, skip=name)  # parameters are inlined, not a component
    body = components[name]
    required = set(body.get("required", ()))
    found = []
    for prop, given in body.get("properties", {}).items():
        schema = _not_null(given)
        param: dict[str, Any] = {
            "name": prop,
            "in": where,
            "required": where == "path" or prop in required,
            "schema": schema,
        }
        if "description" in schema:
            param["description"] = schema["description"]
        if where == "query" and schema.get("type") == "array":
            param["style"], param["explode"] = "form", True
        found.append(param)
    return found


def _operation(e: Endpoint, schemas: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": e.handler.__name__,
        "summary": e.summary,
        "tags": [e.tag],
        "x-veriseal-access": str(e.access),
    }
    if e.description:
        op["description"] = e.description
    if e.access is not Gate.PUBLIC:
        op["security"] = [{"bearer": []}]
    params = []
    for where in ("path", "query"):
        if where in e.models:
            params += _parameters(e.models[where], where, schemas)
    if params:
        op["parameters"] = params
    if "body" in e.models:
        (ref,), components = msgspec.json.schema_components([e.models["body"]], ref_template=_REF)
        _merge(schemas, components)
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref}}}
    elif e.raw_body:
        schema = {"type": "string"} if e.raw_body.startswith("text/") else {
            "type": "string", "format": "binary"}  # fmt: skip
        op["requestBody"] = {"required": True, "content": {e.raw_body: {"schema": schema}}}
    ok = {"description": "Success.", "content": {
        "application/json": {"schema": e.response or {}}}}  # fmt: skip
    op["responses"] = {str(e.status): ok}
    for status, text in _ERRORS.items():
        if status in ("401", "403") and e.access is Gate.PUBLIC:
            continue
        op["responses"][status] = _error(text)
    return op


def document(endpoints: Sequence[Endpoint]) -> dict[str, Any]:
    """The whole document for an app serving ``endpoints``."""
    doc = copy.deepcopy(_BASE)
    schemas = doc["components"]["schemas"]
    for e in endpoints:
        path = doc["paths"].setdefault(path_template(e.path), {})
        method = e.method.lower()
        if method in path:
            raise ValueError(f"{e.method} {e.path} is declared twice")
        path[method] = _operation(e, schemas)
    return doc
