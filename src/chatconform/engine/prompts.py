"""Probes that make an endpoint show whether it honoured a parameter.

A 2xx proves only that a parameter parsed. These probes ask for output in which the
parameter's effect is visible: a count far longer than ``max_tokens`` allows, a word
list that runs through a stop sequence, a JSON answer, a question only a tool can
answer. The prompts are plain enough for a tiny model (gemma3 270M) to comply, because
a probe the model cannot follow leaves the checks nothing to decide.

Only semantics the contract states get probes; bodies are pure functions of the
contract and model (cassettes key on them), each with a small output bound.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from chatconform.contracts.model import Contract, Rule
from chatconform.engine.probe import Probe, RequestSpec

WORDS = "alpha bravo charlie delta echo foxtrot golf hotel"
STOP = "echo"
COUNT = "Count from 1 to 100 separated by spaces."
# "Say:" rather than "Repeat these words": a small model echoes the line it is given, so
# the answer runs into the stop sequence (and costs half the tokens).
STOP_ASK = f"Say: {WORDS}"
JSON_ASK = (
    'Reply in JSON: an object with the keys "city" and "country" for the Eiffel Tower. '
    "Output only the JSON object."
)
# The object itself, not a description of it: asked to describe one, gemma3 270M in JSON
# mode nests invented keys until the bound cuts it. Given one to say, greedily, it closes
# it in ~50 tokens; "Reply with this JSON object" closed it in half the sampled runs.
JSON_OBJECT_ASK = 'Say: {"city": "Paris", "country": "France"}'
WEATHER = "What is the weather in Paris? Use the tool."
TWO_CALLS = "What is the weather in Paris and what time is it in Tokyo? Use the tools."
SEED_ASK = "Write one short sentence about the sea."
GREETING = "Say hello."
SUM_ASK = "What is 17 + 25? Think it through, then give the number."

CITY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
    "required": ["city", "country"],
    "additionalProperties": False,
}


def _function(name: str, description: str) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string", "description": "City name"}},
                "required": ["city"],
                "additionalProperties": False,
            },
        },
    }


WEATHER_TOOL = _function("get_weather", "Get the current weather in a city.")
TIME_TOOL = _function("get_time", "Get the current local time in a city.")
TITLES = {
    "semantics/max_tokens/cut": "max_tokens 5 cuts a long count",
    "semantics/max_completion_tokens/cut": "max_completion_tokens 5 cuts a long count",
    "semantics/max_completion_tokens/overrides": "max_completion_tokens 48 overrides max_tokens 5",
    "semantics/stop": f"stop {STOP!r} ends a word list early",
    "semantics/json_object": "json_object mode returns a JSON object",
    "semantics/json_schema": "json_schema mode returns content valid against the schema",
    "semantics/seed": "the same seed, sent twice, repeats the output",
    "tools/call": "a question only the tool answers gives a well-formed call",
    "tools/choice/required": 'tool_choice "required" gives a call',
    "tools/choice/none": 'tool_choice "none" gives no call',
    "tools/choice/function": "tool_choice naming get_time gives a get_time call",
    "tools/parallel/false": "parallel_tool_calls false on a two-tool question: one call",
    "logprobs/plain": "logprobs true returns token logprobs",
    "logprobs/top": "top_logprobs 3 returns three alternatives per token",
    "reasoning/on": "thinking switched on gives reasoning_content",
    "reasoning/off": "thinking switched off gives no reasoning_content",
    "reasoning/default": "thinking on by default gives reasoning_content",
}
ALL_MODES = frozenset({"none", "auto", "required", "function"})


def semantic(contract: Contract, name: str) -> Mapping[str, Any] | None:
    """The params of semantic ``name`` when the contract holds it in force, else None.

    A baseline semantic marked ``where_documented`` binds only once a vendor page
    restates it (the contract then cites the vendor), so it is not in force alone.
    """
    params = contract.semantics.get(name)
    if params is None:
        return None
    cite = params.get("cite")
    source = cite.get("source") if isinstance(cite, Mapping) else "baseline"
    if params.get("where_documented") and source == "baseline":
        return None
    return params


def tool_modes(params: Mapping[str, Any]) -> frozenset[str]:
    """The ``tool_choice`` modes a ``tools`` semantic states (all four when it lists
    none; a named function is ``function``)."""
    modes = params.get("tool_choice")
    if not isinstance(modes, list | tuple):
        return ALL_MODES
    return frozenset("function" if m == "named" else str(m) for m in modes)


def default_on(params: Mapping[str, Any], model: Any) -> bool:
    """Whether thinking is on when the request says nothing: per model first
    (``per_model: {id: {"default_on"|"always_on": true}}``), then ``default_on`` (a bool
    or a list of model ids)."""
    per_model = params.get("per_model")
    own = (
        per_model.get(model) if isinstance(per_model, Mapping) and isinstance(model, str) else None
    )
    if isinstance(own, Mapping) and (own.get("always_on") or own.get("default_on") is not None):
        return bool(own.get("always_on") or own.get("default_on"))
    value = params.get("default_on", False)
    if isinstance(value, list | tuple):
        return model in value
    return value is True


def semantic_probes(contract: Contract, model: str) -> list[Probe]:
    """Every probe for the semantics, tools, logprobs and reasoning areas of ``contract``."""
    build = _Builder(contract, model)
    return [
        *build.bounds(),
        *build.stop_and_formats(),
        *build.tools(),
        *build.logprobs(),
        *build.reasoning(),
    ]


class _Builder:
    def __init__(self, contract: Contract, model: str) -> None:
        self.contract = contract
        self.model = model

    # -- bodies ------------------------------------------------------------------------

    def base(self, prompt: str) -> dict[str, Any]:
        body = _minimal(self.contract, self.model)
        for name in ("max_tokens", "max_completion_tokens", "stream", "stream_options"):
            body.pop(name, None)
        body["messages"] = [{"role": "user", "content": prompt}]
        return body

    def body(self, prompt: str, tokens: int | None = 48, **fields: Any) -> dict[str, Any]:
        """A body with an output bound and, where the contract can, thinking off: a
        thinking model would otherwise spend the bound on reasoning."""
        out = self.base(prompt)
        if tokens is not None:
            out[self.bound_field()] = tokens
        out.update(self.thinking(on=False))
        out.update(fields)
        return out

    def bound_field(self) -> str:
        """``max_tokens``, the bound endpoints most often honour, unless it leaves
        reasoning unbounded (it counts the answer only) and ``max_completion_tokens``
        does not: an ignored or partial bound would make a probe expensive."""
        max_tokens = semantic(self.contract, "max_tokens")
        answer_only = max_tokens is not None and max_tokens.get("counts") == "answer"
        if answer_only and self.has("max_completion_tokens"):
            return "max_completion_tokens"
        if max_tokens is None and self.has("max_completion_tokens"):
            return "max_completion_tokens"
        return "max_tokens"

    def thinking(self, *, on: bool) -> dict[str, Any]:
        """The switch fragment, or {} when the contract or the model has none."""
        params = semantic(self.contract, "reasoning")
        if params is None:
            return {}
        field = "thinking_enabled" if params.get("switch") == "thinking_enabled" else "thinking"
        if not self.switch_allowed(field, on):
            return {}
        if field == "thinking_enabled":
            return {field: on}
        return {field: {"type": "enabled" if on else "disabled"}}

    def switch_allowed(self, field: str, value: object) -> bool:
        """False where a per-model rule forbids the switch (or this value) for the model."""
        for rule in self.contract.rules_in("model"):
            models = rule.params.get("models") or (rule.params.get("model"),)
            if rule.field != field or self.model not in models:
                continue
            if rule.kind == "forbidden":
                return False
            if rule.kind == "not_value" and rule.params.get("value") == value:
                return False
        return True

    def greedy(self) -> dict[str, Any]:
        """``temperature: 0`` where the contract documents it for the model: greedy decoding
        makes a small model echo what it is told to say instead of wandering off."""
        if "temperature" in self.contract.fields and self.switch_allowed("temperature", 0):
            return {"temperature": 0}
        return {}

    def streamed(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The streamed twin of ``body``; with usage where counting tokens needs it."""
        out = copy.deepcopy(dict(body))
        out["stream"] = True
        if "stream_options" in self.contract.fields:
            out["stream_options"] = {"include_usage": True}
        return out

    def probe(
        self, pid: str, body: dict[str, Any], name: str, *, stream: bool = True, **params: Any
    ) -> list[Probe]:
        """Probe ``pid`` exercising semantic ``name`` and, with ``stream``, its streamed
        twin ``<pid>/stream``."""
        area, title = pid.split("/")[0], TITLES[pid]
        rule = _rule(self.contract, f"semantic/{name}")
        plain = Probe(pid, area, title, RequestSpec(body=body), rule=rule, params=params)
        if not stream:
            return [plain]
        spec = RequestSpec(body=self.streamed(body))
        twin = Probe(f"{pid}/stream", area, f"{title} (streamed)", spec, rule=rule, params=params)
        return [plain, twin]

    def has(self, name: str) -> bool:
        return semantic(self.contract, name) is not None

    # -- families ----------------------------------------------------------------------

    def bounds(self) -> list[Probe]:
        probes: list[Probe] = []
        if self.has("max_tokens"):
            body = self.body(COUNT, None, max_tokens=5)
            probes += self.probe("semantics/max_tokens/cut", body, "max_tokens", expects_cut=True)
        mct = semantic(self.contract, "max_completion_tokens")
        if mct is not None:
            body = self.body(COUNT, None, max_completion_tokens=5)
            pid = "semantics/max_completion_tokens/cut"
            probes += self.probe(pid, body, "max_completion_tokens", expects_cut=True)
            if mct.get("overrides_max_tokens"):
                body = self.body(COUNT, None, max_tokens=5, max_completion_tokens=48)
                pid = "semantics/max_completion_tokens/overrides"
                probes += self.probe(pid, body, "max_completion_tokens", stream=False)
        return probes

    def stop_and_formats(self) -> list[Probe]:
        probes: list[Probe] = []
        if self.has("stop"):
            body = {**self.body(STOP_ASK, 32, stop=[STOP]), **self.greedy()}
            probes += self.probe("semantics/stop", body, "stop", full_text=WORDS)
        if self.has("json_object"):
            # 128, not 64: with its whitespace a small model's object took 36 to 56 tokens,
            # and an object cut before it closes leaves the check nothing to judge.
            body = self.body(JSON_OBJECT_ASK, 128, response_format={"type": "json_object"})
            body.update(self.greedy())
            probes += self.probe("semantics/json_object", body, "json_object")
        if self.has("json_schema"):
            spec = {"name": "landmark", "strict": True, "schema": CITY_SCHEMA}
            fmt = {"type": "json_schema", "json_schema": spec}
            body = self.body(JSON_ASK, 64, response_format=fmt)
            probes += self.probe("semantics/json_schema", body, "json_schema")
        if self.has("seed"):
            # Sampling on purpose: at temperature 0 an ignored seed would go unseen.
            body = self.body(SEED_ASK, 24, seed=42)
            if "temperature" in self.contract.fields:
                body["temperature"] = 1
            probes += self.probe("semantics/seed", body, "seed", stream=False, repeat=2)
        return probes

    def tools(self) -> list[Probe]:
        if not self.has("tools"):
            return []
        params = semantic(self.contract, "tools") or {}
        modes = tool_modes(params) if "tool_choice" in self.contract.fields else frozenset()
        body = self.body(WEATHER, 64, tools=[WEATHER_TOOL])
        probes = self.probe("tools/call", body, "tools", tool="get_weather")
        for mode in ("required", "none"):
            if mode in modes:
                body = self.body(WEATHER, 64, tools=[WEATHER_TOOL], tool_choice=mode)
                probes += self.probe(f"tools/choice/{mode}", body, "tools")
        if "function" in modes:
            # The prompt points at get_weather: only an honoured tool_choice calls get_time.
            named = {"type": "function", "function": {"name": "get_time"}}
            body = self.body(WEATHER, 64, tools=[WEATHER_TOOL, TIME_TOOL], tool_choice=named)
            probes += self.probe("tools/choice/function", body, "tools", tool="get_time")
        if self.has("parallel_tool_calls") and "parallel_tool_calls" in self.contract.fields:
            # Two functions, both needed: a server that ignores the flag makes one call per
            # function, which a single declared function would hide.
            tools = [WEATHER_TOOL, TIME_TOOL]
            body = self.body(TWO_CALLS, 64, tools=tools, parallel_tool_calls=False)
            probes += self.probe("tools/parallel/false", body, "parallel_tool_calls")
        return probes

    def logprobs(self) -> list[Probe]:
        if not self.has("logprobs"):
            return []
        body = self.body(GREETING, 8, logprobs=True)
        probes = self.probe("logprobs/plain", body, "logprobs", stream=False)
        if "top_logprobs" in self.contract.fields:
            body = self.body(GREETING, 8, logprobs=True, top_logprobs=3)
            probes += self.probe("logprobs/top", body, "logprobs")
        return probes

    def reasoning(self) -> list[Probe]:
        params = semantic(self.contract, "reasoning")
        if params is None:
            return []
        probes: list[Probe] = []
        for on, what in ((True, "on"), (False, "off")):
            switch = self.thinking(on=on)
            if switch:
                body = {**self.body(SUM_ASK, 64), **switch}
                probes += self.probe(f"reasoning/{what}", body, "reasoning")
        if default_on(params, self.model):
            body = self.base(SUM_ASK)
            body[self.bound_field()] = 64
            probes += self.probe("reasoning/default", body, "reasoning", stream=False)
        return probes


def _rule(contract: Contract, rule_id: str) -> Rule | None:
    try:
        return contract.rule(rule_id)
    except KeyError:
        return None


def _minimal(contract: Contract, model: str) -> dict[str, Any]:
    """The contract's smallest valid body for ``model`` (model and one message)."""
    try:
        from chatconform.contracts.violations import minimal_request
    except ImportError:  # the contracts package predates violations
        return {"model": model, "messages": [{"role": "user", "content": "Hi"}]}
    return copy.deepcopy(dict(minimal_request(contract, model)))
