"""Deep merge of policy layers: keys after a nested object, two-level nesting, the recorded
source paths, copies that share nothing, and a flat model of the whole merge."""

from collections.abc import Mapping

from hypothesis import given
from hypothesis import strategies as st

from app.inheritance import Layer, merge_layers
from app.policies.resolver import Source
from tests.unit.calendars import PROPERTY

COMPANY = Source("company", 1, 10)
BRANCH = Source("branch", 2, 20)
SERVICE = Source("service", 3, 30)
STAFF = Source("staff", 4, 40)
LEVELS = (COMPANY, BRANCH, SERVICE, STAFF)


def merge(*configs):
    return merge_layers([Layer(source, c) for source, c in zip(LEVELS, configs, strict=False)])


class TestNesting:
    def test_keys_after_a_nested_object_are_merged_too(self):
        merged = merge({"window": {"from": 8}, "fee": 10}, {"window": {"to": 16}, "fee": 5})
        assert merged.config == {"window": {"from": 8, "to": 16}, "fee": 5}
        assert merged.sources == {"window.from": COMPANY, "window.to": BRANCH, "fee": BRANCH}

    def test_two_levels_deep_merge_key_by_key(self):
        merged = merge({"a": {"b": {"c": 1, "d": 2}, "e": 3}}, {"a": {"b": {"c": 4}}})
        assert merged.config == {"a": {"b": {"c": 4, "d": 2}, "e": 3}}
        assert merged.sources == {"a.b.c": BRANCH, "a.b.d": COMPANY, "a.e": COMPANY}

    def test_a_new_nested_object_records_every_leaf_path(self):
        merged = merge({"fee": 1}, {"a": {"b": {"c": 1, "d": [2]}, "e": {}}})
        assert merged.sources == {
            "fee": COMPANY,
            "a.b.c": BRANCH,
            "a.b.d": BRANCH,
            "a.e": BRANCH,
        }

    def test_an_object_replacing_a_value_drops_the_values_source(self):
        merged = merge({"window": None}, {"window": {"from": 8}})
        assert merged.config == {"window": {"from": 8}}
        assert merged.sources == {"window.from": BRANCH}

    def test_an_empty_object_filled_in_below_is_no_longer_a_leaf(self):
        # Fixed: the company's source for "window" itself used to stay beside "window.to".
        merged = merge({"window": {}}, {"window": {"to": 16}})
        assert merged.config == {"window": {"to": 16}}
        assert merged.sources == {"window.to": BRANCH}

    def test_an_empty_object_below_changes_nothing(self):
        merged = merge({"window": {"from": 8}}, {"window": {}})
        assert merged.config == {"window": {"from": 8}}
        assert merged.sources == {"window.from": COMPANY}
        merged = merge({"window": {}}, {"window": {}})
        assert merged.config == {"window": {}}
        assert merged.sources == {"window": COMPANY}


class TestCopies:
    def test_merging_never_changes_a_layer(self):
        company = {"a": {"b": {"c": 1}}, "fee_tiers": [{"min_hours": 0, "fee": 1}]}
        merge(company, {"a": {"b": {"d": 2}}})
        assert company == {"a": {"b": {"c": 1}}, "fee_tiers": [{"min_hours": 0, "fee": 1}]}

    def test_the_merged_config_shares_nothing_with_the_layers(self):
        company = {"a": {"b": {"c": 1}}, "fee_tiers": [{"min_hours": 0, "fee": 1}]}
        merged = merge(company)
        merged.config["fee_tiers"][0]["fee"] = 99
        merged.config["a"]["b"]["c"] = 99
        assert company == {"a": {"b": {"c": 1}}, "fee_tiers": [{"min_hours": 0, "fee": 1}]}


# The model: a config is a flat map from dotted leaf paths to values (an empty object is a
# leaf too). A layer's value replaces everything at and below its path, unless both it and
# what is there are objects: then their keys merge one by one.


def flat_merge(configs):
    leaves: dict[str, tuple[object, Source]] = {}

    def is_object(path):
        return leaves.get(path, (None,))[0] == {} or any(p.startswith(f"{path}.") for p in leaves)

    def apply(config, source, prefix):
        for key, value in config.items():
            path = f"{prefix}{key}"
            if isinstance(value, Mapping) and is_object(path):
                if value:
                    leaves.pop(path, None)
                apply(value, source, f"{path}.")
                continue
            for p in [p for p in leaves if p == path or p.startswith(f"{path}.")]:
                del leaves[p]
            leaves.update({p: (v, source) for p, v in flatten(value, path)})

    for source, config in zip(LEVELS, configs, strict=False):
        apply(config, source, "")
    return unflatten({p: v for p, (v, _) in leaves.items()}), {p: s for p, (_, s) in leaves.items()}


def flatten(value, path):
    if isinstance(value, Mapping) and value:
        for key, nested in value.items():
            yield from flatten(nested, f"{path}.{key}")
    else:
        yield path, value


def unflatten(leaves):
    config: dict = {}
    for path, value in leaves.items():
        *parents, last = path.split(".")
        node = config
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = {} if value == {} else value
    return config


KEYS = st.sampled_from("abc")
SCALARS = st.none() | st.integers(0, 3) | st.lists(st.integers(0, 3), max_size=2)
VALUES = st.recursive(SCALARS, lambda inner: st.dictionaries(KEYS, inner, max_size=3), max_leaves=6)
CONFIGS = st.dictionaries(KEYS, VALUES, max_size=3)


@PROPERTY
@given(configs=st.lists(CONFIGS, min_size=1, max_size=4))
def test_merge_equals_the_flat_model_and_never_loses_a_key(configs):
    merged = merge(*configs)
    assert (merged.config, merged.sources) == flat_merge(configs)
    assert set(merged.config) == {key for config in configs for key in config}
    # Every value the most specific level sets is there and named as its own (an empty
    # object merged into an existing one sets nothing).
    last_source = LEVELS[len(configs) - 1]
    for path, value in (leaf for k, v in configs[-1].items() for leaf in flatten(v, k)):
        if value != {}:
            assert merged.sources[path] == last_source


@PROPERTY
@given(configs=st.lists(CONFIGS, min_size=2, max_size=4), split=st.integers(1, 3))
def test_levels_merged_so_far_act_as_one_layer(configs, split):
    """Company and branch merged first, then service and staff on top: the same config."""
    split = min(split, len(configs) - 1)
    so_far = merge(*configs[:split]).config
    assert merge(so_far, *configs[split:]).config == merge(*configs).config


# Where every path is either always an object or never one (as in a fixed policy schema),
# the grouping of the levels does not matter at all.
SCHEMA = {"a": None, "b": {"a": None, "b": {"a": None, "c": None}}, "c": None}


def shaped(schema):
    fields = {
        key: (shaped(sub) if isinstance(sub, dict) else SCALARS) for key, sub in schema.items()
    }
    return st.fixed_dictionaries({}, optional=fields)


@PROPERTY
@given(a=shaped(SCHEMA), b=shaped(SCHEMA), c=shaped(SCHEMA))
def test_merge_is_associative_for_configs_of_one_shape(a, b, c):
    left = merge(merge(a, b).config, c).config
    right = merge(a, merge(b, c).config).config
    assert left == right == merge(a, b, c).config
