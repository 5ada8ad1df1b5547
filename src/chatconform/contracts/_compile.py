"""Compile a merged contract document into the frozen ``Contract`` the other layers read.

Compiling is where data becomes API: the hard-only request schema with cross-field and
per-model rules folded into ``allOf``, standalone response/chunk/error schemas with the
vendor's extra properties merged in, and the flat list of cited rules, each pointing
back at the place in the merged document that states it.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping
from typing import Any, cast

from chatconform.contracts import _derive, _response_rules
from chatconform.contracts._merge import cross_field_key, per_model_key
from chatconform.contracts._rulebook import RuleBook
from chatconform.contracts._schemas import (
    DRAFT,
    cross_schema,
    per_model_schema,
    response_schemas,
)
from chatconform.contracts.errors import pointer
from chatconform.contracts.model import (
    Citation,
    Contract,
    FieldSpec,
    ModelSet,
    RuleArea,
    Source,
    Strength,
)

ALWAYS_DOCUMENTED = ("model", "messages", "stream")
_SEMANTIC_META = ("fields", "where_documented", "parts")


class Compiler(RuleBook):
    """One compilation: the merged document, this file's own text, and the parent."""

    # -- the pieces ----------------------------------------------------------------------
    def documented(self) -> set[str]:
        names = set(self.doc.get("request", {}).get("documented", []))
        fields = self.doc.get("request", {}).get("fields", {})
        if "*" in names:
            return set(fields)
        own_fields = self.own.get("request", {}).get("fields", {})
        tops = {n.split(".")[0] for n in names}
        return tops | set(own_fields) | set(ALWAYS_DOCUMENTED)

    def request(self) -> tuple[dict[str, Any], dict[str, FieldSpec]]:
        req = self.doc.get("request", {})
        documented = self.documented()
        properties: dict[str, Any] = {}
        specs: dict[str, FieldSpec] = {}
        for name, spec in req.get("fields", {}).items():
            ptr = f"/request/fields{pointer(name)}/schema"
            raw = spec.get("schema", {})
            is_doc = name in documented
            if name == "model":
                raw = self._model_schema(raw, is_doc)
            else:
                for found in _derive.walk(raw, name, ptr):
                    self._add_found(found, is_doc)
            compiled = _derive.compile_schema(raw)
            if not is_doc:
                compiled["x-documented"] = False
            properties[name] = compiled
            cite = spec.get("cite")
            specs[name] = FieldSpec(
                name=name,
                schema=compiled,
                documented=is_doc,
                example=spec.get("example"),
                citation=Citation(**cite) if isinstance(cite, Mapping) else None,
            )
        required = list(req.get("required", []))
        for index, name in enumerate(required):
            self._add(
                f"request/{name}/required",
                "request",
                "required",
                name,
                {"required": name},
                f"/request/required/{index}",
                cite_ptr="/request/required_cite",
                documented=name in documented,
            )
        schema: dict[str, Any] = {
            "$schema": DRAFT,
            "$id": f"https://chatconform.dev/contracts/{self.id}/request.json",
            "type": "object",
            "additionalProperties": True,
            "required": required,
            "properties": properties,
        }
        all_of = self._cross_field(req, documented) + self._per_model(req)
        if all_of:
            schema["allOf"] = all_of
        return schema, specs

    def _model_schema(self, raw: Mapping[str, Any], documented: bool) -> dict[str, Any]:
        # The model list lives in `models`; the request schema gets it as an enum (closed
        # list: hard) or not at all (open list: the ids are examples, an `open` rule).
        models = self.doc.get("models", {})
        ids = list(models.get("ids", []))
        closed = bool(models.get("closed"))
        if ids:
            strength: Strength = "hard" if closed else "open"
            self._add(
                "request/model/enum",
                "request",
                "enum",
                "model",
                {"enum": ids},
                "/models/ids",
                strength,
                documented,
                "model is one the page lists",
                cite_ptr="/models/cite",
            )
        rest = {k: v for k, v in raw.items() if not (closed and k == "type")}
        for found in _derive.walk(rest, "model", "/request/fields/model/schema"):
            self._add_found(found, documented)
        return {"enum": ids, **rest} if closed else rest

    def _cross_field(self, req: Mapping[str, Any], documented: set[str]) -> list[Any]:
        out: list[Any] = []
        own = {cross_field_key(e) for e in self.own.get("request", {}).get("cross_field", [])}
        for index, entry in enumerate(req.get("cross_field", [])):
            rule_id = cross_field_key(entry)
            kind = entry["kind"]
            strength: Strength = entry.get("strength", "hard")
            params = {
                k: v
                for k, v in entry.items()
                if k not in ("cite", "kind", "strength", "id", "title")
            }
            field, compiled = cross_schema(kind, entry)
            self._add(
                rule_id,
                "request",
                kind,
                field,
                params,
                f"/request/cross_field/{index}",
                strength,
                field.split("[")[0].split(".")[0] in documented or not field,
                entry.get("title", ""),
                stated=rule_id in own,
            )
            if strength == "hard":
                out.append(compiled)
        return out

    def _per_model(self, req: Mapping[str, Any]) -> list[Any]:
        out: list[Any] = []
        own = {per_model_key(e) for e in self.own.get("request", {}).get("per_model", [])}
        for index, entry in enumerate(req.get("per_model", [])):
            kind, name = entry["kind"], entry["field"]
            strength: Strength = entry.get("strength", "hard")
            for model in entry["models"]:
                params: dict[str, Any] = {"model": model}
                if kind == "not_value":
                    params["value"] = entry["value"]
                if kind == "enum":
                    params["enum"] = list(entry["enum"])
                self._add(
                    f"model/{model}/{name}/{kind}",
                    "model",
                    kind,
                    name,
                    params,
                    f"/request/per_model/{index}",
                    strength,
                    title=entry.get("title", ""),
                    stated=per_model_key(entry) in own,
                )
            if strength != "hard":
                continue
            out.append(per_model_schema(entry))
        return out

    def headers(self) -> None:
        own = {h["name"] for h in self.own.get("headers", [])}
        for index, header in enumerate(self.doc.get("headers", [])):
            name = header["name"]
            for keyword in ("minLength", "maxLength", "pattern"):
                if keyword in header.get("schema", {}):
                    self._add(
                        f"header/{name}/{keyword}",
                        "header",
                        keyword,
                        name,
                        {keyword: header["schema"][keyword]},
                        f"/headers/{index}/schema/{keyword}",
                        cite_ptr=f"/headers/{index}/cite",
                        stated=name in own,
                    )

    def behaviour(self) -> None:
        own = {b["id"] for b in self.own.get("behaviour", [])}
        for index, entry in enumerate(self.doc.get("behaviour", [])):
            area, kind = str(entry["id"]).split("/", 1)
            self._add(
                entry["id"],
                cast(RuleArea, area),
                kind,
                "",
                entry.get("params", {}),
                f"/behaviour/{index}",
                entry.get("strength", "hard"),
                title=entry["title"],
                stated=entry["id"] in own,
            )

    def semantics(self) -> dict[str, dict[str, Any]]:
        """Inherited semantics apply only where this page documents a field they are about;
        ``where_documented`` ones only where this page states them itself."""
        documented = self.documented()
        own = self.own.get("semantics", {})
        out: dict[str, dict[str, Any]] = {}
        for name, entry in self.doc.get("semantics", {}).items():
            stated_here = name in own or self.parent is None
            fields = {f.split(".")[0] for f in entry.get("fields", [])}
            if not stated_here and (entry.get("where_documented") or not fields & documented):
                continue
            params = {k: copy.deepcopy(v) for k, v in entry.items() if k not in _SEMANTIC_META}
            out[name] = params
            self._add(
                f"semantic/{name}",
                "semantic",
                name,
                "",
                params,
                f"/semantics/{name}",
                cite_ptr=f"/semantics/{name}/cite",
                title=f"semantics: {name}",
            )
            # A part is judged by its own check and failure (semantic/tools/choice-none):
            # a rule of its own, under the semantic's citation.
            for part, title in entry.get("parts", {}).items():
                self._add(
                    f"semantic/{name}/{part}",
                    "semantic",
                    name,
                    "",
                    {"semantic": name, "part": part},
                    f"/semantics/{name}/parts{pointer(part)}",
                    cite_ptr=f"/semantics/{name}/cite",
                    title=f"semantics: {title}",
                )
        return out

    def responses(
        self, semantics: Collection[str]
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        _response_rules.register(self, semantics)
        return response_schemas(self.id, self.doc.get("response", {}), semantics)

    def contract(self) -> Contract:
        request_schema, specs = self.request()
        self.headers()
        self.behaviour()
        semantics = self.semantics()
        completion, chunk, error = self.responses(semantics)
        models = self.doc.get("models", {})
        mcite = models.get("cite")
        return Contract(
            id=self.id,
            title=str(self.doc.get("title", self.id)),
            parent=self.doc.get("extends"),
            sources={
                k: Source(id=k, vendor=v["vendor"], page=v["page"], url=v.get("url", ""))
                for k, v in self.doc.get("sources", {}).items()
            },
            base_url=str(self.doc.get("endpoint", {}).get("base_url", "")),
            path=str(self.doc.get("endpoint", {}).get("path", "/chat/completions")),
            api_key_env=str(self.doc.get("auth", {}).get("api_key_env", "")),
            models=ModelSet(
                ids=tuple(models.get("ids", [])),
                closed=bool(models.get("closed")),
                default=str(models.get("default", "")),
                citation=Citation(**mcite) if mcite else None,
            ),
            request_schema=request_schema,
            response_schema=completion,
            chunk_schema=chunk,
            error_schema=error,
            fields=specs,
            rules=tuple(self.rules.values()),
            semantics=semantics,
            document=self.doc,
        )
