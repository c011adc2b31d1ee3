"""Config validation per policy type: known keys, types and ranges, each error names its field."""

import pytest

from app.policies.config_keys import InvalidPolicyConfigError, validate_config


def errors_of(policy_type, config):
    with pytest.raises(InvalidPolicyConfigError) as caught:
        validate_config(policy_type, config)
    return {error["field"]: error["reason"] for error in caught.value.extensions["errors"]}


class TestValidConfigs:
    def test_stores_only_the_keys_sent_with_nulls_kept_and_money_as_numbers(self):
        stored = validate_config(
            "cancellation",
            {
                "hours_before": 24,
                "fee": None,
                "fee_tiers": [{"min_hours": 24, "fee": "10.50"}, {"min_hours": 48, "fee": 0}],
            },
        )
        assert stored == {
            "hours_before": 24.0,
            "fee": None,
            "fee_tiers": [{"min_hours": 24.0, "fee": 10.5}, {"min_hours": 48.0, "fee": 0.0}],
        }

    def test_every_key_of_each_type(self):
        assert (
            validate_config(
                "reschedule",
                {
                    "hours_before": 2.5,
                    "fee": 5,
                    "fee_tiers": [{"min_hours": 0, "fee": 5}],
                    "max_reschedules_per_appointment": 2,
                    "max_reschedules_per_month": 4,
                },
            )["max_reschedules_per_appointment"]
            == 2
        )
        assert validate_config(
            "recurring",
            {"allowed_frequencies": ["weekly"], "max_occurrences": 12, "max_horizon_days": 180},
        ) == {"allowed_frequencies": ["weekly"], "max_occurrences": 12, "max_horizon_days": 180}


class TestMalformedConfigs:
    @pytest.mark.parametrize(
        ("policy_type", "config", "field"),
        [
            ("cancellation", {"hours_befor": 24}, "body.config.hours_befor"),
            ("cancellation", {"hours_before": -1}, "body.config.hours_before"),
            ("cancellation", {"hours_before": True}, "body.config.hours_before"),
            ("cancellation", {"hours_before": "24"}, "body.config.hours_before"),
            ("cancellation", {"fee": -0.01}, "body.config.fee"),
            ("cancellation", {"fee": 10.005}, "body.config.fee"),
            ("cancellation", {"fee_percentage": 100.5}, "body.config.fee_percentage"),
            ("cancellation", {"fee_percentage": -5}, "body.config.fee_percentage"),
            ("cancellation", {"fee_tiers": {"min_hours": 1}}, "body.config.fee_tiers"),
            (
                "cancellation",
                {"fee_tiers": [{"min_hours": 0, "fee": 1}, {"min_hours": -2, "fee": 1}]},
                "body.config.fee_tiers.1.min_hours",
            ),
            (
                "cancellation",
                {"fee_tiers": [{"min_hours": 0, "fee": -1}]},
                "body.config.fee_tiers.0.fee",
            ),
            ("cancellation", {"fee_tiers": [{"min_hours": 0}]}, "body.config.fee_tiers.0.fee"),
            (
                "cancellation",
                {"fee_tiers": [{"min_hours": 0, "fee": 1, "max_hours": 5}]},
                "body.config.fee_tiers.0.max_hours",
            ),
            (
                "cancellation",
                {"max_cancellations_per_month": 2.5},
                "body.config.max_cancellations_per_month",
            ),
            (
                "cancellation",
                {"max_cancellations_per_month": -1},
                "body.config.max_cancellations_per_month",
            ),
            # Not a reschedule key (DESIGN §5.4): a typo or a misplaced key must not pass silently.
            ("reschedule", {"fee_percentage": 10}, "body.config.fee_percentage"),
            (
                "reschedule",
                {"max_cancellations_per_month": 1},
                "body.config.max_cancellations_per_month",
            ),
            ("recurring", {"allowed_frequencies": ["hourly"]}, "body.config.allowed_frequencies.0"),
            ("recurring", {"allowed_frequencies": []}, "body.config.allowed_frequencies"),
            ("recurring", {"max_occurrences": 0}, "body.config.max_occurrences"),
        ],
    )
    def test_refused_with_the_field_named(self, policy_type, config, field):
        assert field in errors_of(policy_type, config)

    @pytest.mark.parametrize(
        "tiers",
        [
            [{"min_hours": 48, "fee": 0}, {"min_hours": 24, "fee": 10}],
            [{"min_hours": 24, "fee": 10}, {"min_hours": 24, "fee": 5}],
        ],
        ids=["unsorted", "overlapping"],
    )
    def test_tiers_must_be_sorted_and_not_overlap(self, tiers):
        errors = errors_of("cancellation", {"fee_tiers": tiers})
        assert list(errors) == ["body.config.fee_tiers.1.min_hours"]
        assert (
            "must be greater than the previous tier's min_hours"
            in errors["body.config.fee_tiers.1.min_hours"]
        )

    def test_all_errors_are_reported_at_once(self):
        errors = errors_of("cancellation", {"hours_before": -1, "fee": -1, "colour": "red"})
        assert set(errors) == {
            "body.config.hours_before",
            "body.config.fee",
            "body.config.colour",
        }

    def test_config_must_be_an_object(self):
        assert "body.config" in errors_of("cancellation", [1, 2])
