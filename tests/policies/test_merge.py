"""Deep merge of policy layers: most specific last, inherited keys, sources per key."""

import pytest

from app.inheritance import LEVEL_ORDER, Layer, merge_layers
from app.policies.resolver import Source

COMPANY = Source("company", 1, 10)
BRANCH = Source("branch", 2, 20)
SERVICE = Source("service", 3, 30)
STAFF = Source("staff", 4, 40)
BY_LEVEL = {"company": COMPANY, "branch": BRANCH, "service": SERVICE, "staff": STAFF}


def layers(*pairs):
    return [Layer(source, config) for source, config in pairs]


class TestMergeLayers:
    def test_no_layers_is_an_empty_policy(self):
        merged = merge_layers([])
        assert merged.config == {} and merged.sources == {}

    @pytest.mark.parametrize("level", LEVEL_ORDER[1:])
    @pytest.mark.parametrize(
        ("key", "above", "below"),
        [
            ("hours_before", 24, 12),
            ("fee", 10, 0),
            ("fee_tiers", [{"min_hours": 24, "fee": 10}], [{"min_hours": 0, "fee": 5}]),
            ("max_cancellations_per_month", 3, 1),
        ],
    )
    def test_each_lower_level_overrides_each_key(self, level, key, above, below):
        merged = merge_layers(layers((COMPANY, {key: above}), (BY_LEVEL[level], {key: below})))
        assert merged.config == {key: below}
        assert merged.sources == {key: BY_LEVEL[level]}

    def test_key_left_out_below_is_inherited_from_the_nearest_level_that_sets_it(self):
        merged = merge_layers(
            layers(
                (COMPANY, {"hours_before": 24, "fee": 10, "max_cancellations_per_month": 3}),
                (BRANCH, {"hours_before": 12}),
                (SERVICE, {}),
                (STAFF, {"max_cancellations_per_month": 1}),
            )
        )
        assert merged.config == {"hours_before": 12, "fee": 10, "max_cancellations_per_month": 1}
        assert merged.sources == {
            "hours_before": BRANCH,
            "fee": COMPANY,
            "max_cancellations_per_month": STAFF,
        }

    def test_null_below_clears_the_inherited_value_and_names_who_cleared_it(self):
        merged = merge_layers(layers((COMPANY, {"fee": 10}), (STAFF, {"fee": None})))
        assert merged.config == {"fee": None}
        assert merged.sources == {"fee": STAFF}

    def test_lists_are_replaced_whole_not_spliced(self):
        above = [{"min_hours": 0, "fee": 20}, {"min_hours": 24, "fee": 10}]
        below = [{"min_hours": 48, "fee": 0}]
        merged = merge_layers(
            layers((COMPANY, {"fee_tiers": above}), (BRANCH, {"fee_tiers": below}))
        )
        assert merged.config["fee_tiers"] == below

    def test_nested_objects_merge_key_by_key_with_leaf_sources(self):
        merged = merge_layers(
            layers((COMPANY, {"window": {"from": 8, "to": 18}}), (STAFF, {"window": {"to": 16}}))
        )
        assert merged.config == {"window": {"from": 8, "to": 16}}
        assert merged.sources == {"window.from": COMPANY, "window.to": STAFF}

    def test_replacing_an_object_by_a_value_drops_the_object_leaf_sources(self):
        merged = merge_layers(layers((COMPANY, {"window": {"from": 8}}), (STAFF, {"window": None})))
        assert merged.config == {"window": None}
        assert merged.sources == {"window": STAFF}

    def test_layers_are_not_mutated(self):
        company = {"window": {"from": 8}, "fee_tiers": [{"min_hours": 0, "fee": 1}]}
        merged = merge_layers(layers((COMPANY, company), (STAFF, {"window": {"to": 9}})))
        merged.config["fee_tiers"].append({"min_hours": 5, "fee": 2})
        assert company == {"window": {"from": 8}, "fee_tiers": [{"min_hours": 0, "fee": 1}]}
