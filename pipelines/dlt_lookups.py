"""Two answers dlt works out again on every call, remembered once per process.

A portfolio's nightly run is bound by its CPU time, one company after another through dlt's
steps, and sampling one (`py-spy record --gil`, 8 companies, 31 s of CPU) found a third of it
in two of dlt's lookups whose answers depend only on Python types:

- Configuration: dlt resolves a configuration (every data writer, every step, every destination
  client) field by field, provider by provider, section by section, and for every lookup the
  environment provider and the resolver ask `is_secret_hint(hint)`, unwrapping the hint with
  `typing` introspection each time: a third of all resolving, which was 23 % of the CPU time.
- Validation: `validate_dict` (every table schema an extracted item computes, every schema dlt
  makes or clones validating its normalizer's configuration) starts with `get_type_hints(spec)`
  of a TypedDict, which evaluates its annotations each time (dlt's own comment there: "very
  slow and we possibly should cache the result"): 12 % of the CPU time.

Both are pure functions of their arguments (a type hint; a TypedDict and its module), so each
is wrapped with a cache where dlt's modules call it; dlt's behaviour is otherwise unchanged.

Two more, found the same way once those were gone (16 companies' worth of samples):

- Every schema dlt makes or clones validates its relational normalizer's configuration (the
  same small dict every time) value by value against its TypedDict: 7 % of the CPU time. The
  outcome depends only on that dict and the naming convention, so a configuration validated
  once is not validated again (its identifiers are still normalized as dlt does).
- Every extract step describes each resource's column hints for its metrics as YAML, through
  PyYAML's pure-Python emitter: 5 % of the CPU time, for hints a few hundred columns long.
  PyYAML's C emitter (libyaml) writes the very same text four times faster.
"""

from __future__ import annotations

import copy
import functools
import json
import sys
import threading
from typing import Any

_done: list[bool] = []


def lookups_cached() -> None:
    """Install both caches (once; later calls do nothing)."""
    if _done:
        return
    _done.append(True)
    _cache_secret_hints()
    _cache_type_hints_of_validation()
    _cache_normalizer_config_validation()
    _metrics_yaml_in_c()


def _cache_secret_hints() -> None:
    from dlt.common.configuration import resolve
    from dlt.common.configuration.providers import environ
    from dlt.common.configuration.specs import base_configuration

    check = base_configuration.is_secret_hint
    cached = functools.lru_cache(maxsize=1024)(check)

    def is_secret_hint(hint: Any) -> bool:
        try:
            return cached(hint)
        except TypeError:  # an unhashable hint
            return check(hint)

    # The callers of every lookup: the environment provider, and the resolver for each
    # provider that cannot hold secrets. Other callers keep dlt's own.
    for module in (environ, resolve):
        if module.is_secret_hint is check:
            module.is_secret_hint = is_secret_hint  # type: ignore[attr-defined]


def _cache_type_hints_of_validation() -> None:
    from dlt.common import validation

    original = validation.get_type_hints
    remembered: dict[Any, dict[str, Any]] = {}

    def get_type_hints(spec: Any, globalns: Any = None, *args: Any, **kwargs: Any) -> Any:
        module = sys.modules.get(getattr(spec, "__module__", ""), None)
        if args or kwargs or globalns is not getattr(module, "__dict__", None):
            return original(spec, globalns, *args, **kwargs)
        try:
            return remembered[spec]
        except KeyError:
            hints = remembered[spec] = original(spec, globalns=globalns)
            return hints
        except TypeError:  # an unhashable spec
            return original(spec, globalns=globalns)

    validation.get_type_hints = get_type_hints  # type: ignore[assignment]


def _cache_normalizer_config_validation() -> None:
    from dlt.common.normalizers.json.relational import DataItemNormalizer

    validate = DataItemNormalizer._validate_normalizer_config.__func__  # type: ignore[attr-defined]
    validated: dict[tuple[Any, ...], Any] = {}
    guard = threading.Lock()

    def _validate_normalizer_config(cls: Any, schema: Any, config: Any) -> None:
        naming = schema.naming
        try:
            text = json.dumps(config, sort_keys=True)
        except (TypeError, ValueError):
            validate(cls, schema, config)
            return
        key = (cls, type(naming), getattr(naming, "max_length", None), text)
        with guard:
            known = key in validated
            propagation = copy.deepcopy(validated.get(key))
        if known:
            # What dlt's validation would do to the configuration: normalize the identifiers
            # of `propagation` in place (they were the same as those validated before).
            if propagation is not None:
                config["propagation"] = propagation
            return
        validate(cls, schema, config)
        with guard:
            validated[key] = copy.deepcopy(config.get("propagation"))

    DataItemNormalizer._validate_normalizer_config = classmethod(  # type: ignore[assignment]
        _validate_normalizer_config
    )


def _metrics_yaml_in_c() -> None:
    import yaml  # type: ignore[import-untyped]
    from dlt.extract import extract

    if not getattr(yaml, "__with_libyaml__", False) or extract.yaml is not yaml:
        return

    class _CEmitted:
        """`yaml` as `dlt.extract.extract` uses it, its `dump` through libyaml."""

        def __getattr__(self, name: str) -> Any:
            return getattr(yaml, name)

        @staticmethod
        def dump(data: Any, stream: Any = None, **options: Any) -> Any:
            options.setdefault("Dumper", yaml.CDumper)
            return yaml.dump(data, stream, **options)

    extract.yaml = _CEmitted()
