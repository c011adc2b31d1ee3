"""Rules 1-4 of DESIGN §5.4 in order, the fee rule and its tier boundaries (no database)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.policies.rules import Action, ReasonCode, Usage, decide, fee_for, hours_notice

NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
MINUTE = 1 / 60
SALON = {
    "hours_before": 24,
    "fee_tiers": [{"min_hours": 24, "fee": 10}, {"min_hours": 48, "fee": 0}],
    "max_cancellations_per_month": 3,
}


def cancel(config, notice, *, usage=Usage(), price=None, has_policy=True):
    return decide(
        Action.CANCEL, config, has_policy=has_policy, notice=notice, usage=usage, price=price
    )


class TestHoursNotice:
    def test_exact_and_fractional_hours(self):
        assert hours_notice(NOW + timedelta(hours=24), NOW) == 24.0
        assert hours_notice(NOW + timedelta(hours=23, minutes=59), NOW) == pytest.approx(
            24 - MINUTE
        )
        assert hours_notice(NOW - timedelta(minutes=30), NOW) == -0.5


class TestRuleOrder:
    def test_rule_1_no_policy_allows_free_even_after_the_start(self):
        decision = cancel({}, -2, has_policy=False)
        assert (decision.allowed, decision.code, decision.fee) == (
            True,
            ReasonCode.NO_POLICY,
            Decimal("0.00"),
        )

    def test_rule_2_exactly_hours_before_is_enough(self):
        decision = cancel(SALON, 24.0)
        assert decision.allowed and decision.code == ReasonCode.WITHIN_POLICY
        assert decision.fee == Decimal("10.00")

    def test_rule_2_one_minute_less_is_refused_with_the_fee_if_forced(self):
        decision = cancel({**SALON, "fee_tiers": [{"min_hours": 0, "fee": 25}]}, 24 - MINUTE)
        assert not decision.allowed and decision.code == ReasonCode.INSUFFICIENT_NOTICE
        assert decision.fee == Decimal("25.00")
        assert decision.hours_notice == 23.98  # floored, never shown as 24
        assert "at least 24 hours of notice" in decision.message
        assert "23.98 hours" in decision.message and "fee of 25.00" in decision.message

    def test_rule_2_is_checked_before_the_quota(self):
        decision = cancel(SALON, 2, usage=Usage(in_window=3))
        assert decision.code == ReasonCode.INSUFFICIENT_NOTICE

    def test_rule_2_after_the_start_says_so(self):
        decision = cancel(SALON, -1.5)
        assert "started 1.5 hours ago" in decision.message

    def test_rule_3_quota_reached_exactly_at_the_limit(self):
        assert cancel(SALON, 72, usage=Usage(in_window=2)).allowed
        refused = cancel(SALON, 72, usage=Usage(in_window=3))
        assert not refused.allowed and refused.code == ReasonCode.QUOTA_EXCEEDED
        assert "3 cancellations in the last 30 days; the limit is 3" in refused.message

    def test_rule_3_reschedules_of_one_appointment(self):
        config = {"max_reschedules_per_appointment": 2}
        allowed = decide(
            Action.RESCHEDULE, config, has_policy=True, notice=5, usage=Usage(0, 1), price=None
        )
        refused = decide(
            Action.RESCHEDULE, config, has_policy=True, notice=5, usage=Usage(0, 2), price=None
        )
        assert allowed.allowed
        assert (
            refused.code == ReasonCode.QUOTA_EXCEEDED and "rescheduled 2 times" in refused.message
        )

    def test_a_policy_without_limits_allows_with_rule_4_fee(self):
        decision = cancel({"fee": 5}, 1)
        assert decision.allowed and decision.fee == Decimal("5.00")
        assert decision.message == "Cancelling is allowed with 1 hour of notice; the fee is 5.00."


class TestFee:
    TIERS = {
        "fee_tiers": [
            {"min_hours": 0, "fee": 20},
            {"min_hours": 24, "fee": 10},
            {"min_hours": 48, "fee": 0},
        ]
    }

    @pytest.mark.parametrize(
        ("notice", "fee"),
        [
            (48.0, "0.00"),
            (48 - MINUTE, "10.00"),
            (24.0, "10.00"),
            (24 - MINUTE, "20.00"),
            (0.0, "20.00"),
            (200.0, "0.00"),
        ],
    )
    def test_tier_with_the_largest_min_hours_not_above_the_notice(self, notice, fee):
        assert fee_for(self.TIERS, notice, None) == Decimal(fee)

    def test_flat_fee_wins_over_tiers_and_percentage(self):
        config = {**self.TIERS, "fee": 7.5, "fee_percentage": 50}
        assert fee_for(config, 30, Decimal("80.00")) == Decimal("7.50")

    def test_percentage_of_the_price_when_no_tier_applies(self):
        config = {"fee_tiers": [{"min_hours": 24, "fee": 10}], "fee_percentage": 12.5}
        assert fee_for(config, 30, Decimal("35.00")) == Decimal("10.00")
        # 12.5 % of 35.00 is 4.375: rounded half up to the cent.
        assert fee_for(config, 3, Decimal("35.00")) == Decimal("4.38")

    def test_nothing_set_or_cleared_is_free(self):
        assert fee_for({}, 3, Decimal("35.00")) == Decimal("0.00")
        assert fee_for({"fee": None, "fee_percentage": None}, 3, Decimal("35")) == Decimal("0.00")
