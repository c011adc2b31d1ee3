"""Whole decisions of DESIGN §5.4 rules 1-4 as staff and customers read them: the code, the
fee, the hours shown and the exact sentence, plus the fee's rounding to the cent."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.policies.rules import (
    Action,
    Decision,
    ReasonCode,
    Usage,
    decide,
    fee_for,
    hours_notice,
    quota_keys,
    shown_hours,
)
from tests.unit.calendars import PROPERTY

CANCEL, RESCHEDULE = Action.CANCEL, Action.RESCHEDULE
NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
SALON = {
    "hours_before": 24,
    "fee_tiers": [{"min_hours": 0, "fee": 25}, {"min_hours": 24, "fee": 10}],
    "max_cancellations_per_month": 3,
    "max_reschedules_per_month": 4,
    "max_reschedules_per_appointment": 1,
}


def run(action, config, notice, usage=Usage(), price=None, has_policy=True) -> Decision:
    return decide(action, config, has_policy=has_policy, notice=notice, usage=usage, price=price)


def money(value: str) -> Decimal:
    return Decimal(value)


class TestSentences:
    @pytest.mark.parametrize(
        ("action", "message"),
        [
            (CANCEL, "No cancellation policy applies; no fee."),
            (RESCHEDULE, "No reschedule policy applies; no fee."),
        ],
    )
    def test_without_a_policy(self, action, message):
        assert run(action, SALON, 3.5, has_policy=False) == Decision(
            True, ReasonCode.NO_POLICY, message, money("0.00"), 3.5
        )

    def test_allowed_without_a_fee(self):
        assert run(CANCEL, {"hours_before": 24}, 48) == Decision(
            True,
            ReasonCode.WITHIN_POLICY,
            "Cancelling is allowed with 48 hours of notice; no fee applies.",
            money("0.00"),
            48.0,
        )

    def test_allowed_with_a_fee_and_one_hour(self):
        assert run(RESCHEDULE, {"fee": 5}, 1) == Decision(
            True,
            ReasonCode.WITHIN_POLICY,
            "Rescheduling is allowed with 1 hour of notice; the fee is 5.00.",
            money("5.00"),
            1.0,
        )

    def test_too_late_names_the_fee_staff_would_charge(self):
        assert run(CANCEL, SALON, 23.5) == Decision(
            False,
            ReasonCode.INSUFFICIENT_NOTICE,
            "Cancelling needs at least 24 hours of notice; the appointment starts in 23.5 "
            "hours. Staff may force it with a fee of 25.00.",
            money("25.00"),
            23.5,
        )

    def test_too_late_without_a_fee_says_only_that_staff_may_force_it(self):
        assert run(CANCEL, {"hours_before": 2}, 0.5).message == (
            "Cancelling needs at least 2 hours of notice; the appointment starts in 0.5 "
            "hours. Staff may force it."
        )

    @pytest.mark.parametrize(
        ("notice", "time_left"),
        [
            (0.0, "the appointment starts in 0 hours"),
            (0.25, "the appointment starts in 0.25 hours"),
            (-0.001, "the appointment started 0.01 hours ago"),
            (-1.5, "the appointment started 1.5 hours ago"),
        ],
    )
    def test_hours_left_are_never_negative(self, notice, time_left):
        assert f"; {time_left}. " in run(CANCEL, {"hours_before": 24}, notice).message

    def test_monthly_quota_refusal_names_the_fee(self):
        assert run(CANCEL, SALON, 30, Usage(in_window=3)) == Decision(
            False,
            ReasonCode.QUOTA_EXCEEDED,
            "The customer already made 3 cancellations in the last 30 days; the limit is 3. "
            "Staff may force it with a fee of 10.00.",
            money("10.00"),
            30.0,
        )

    def test_quota_refusal_without_a_fee(self):
        config = {"max_reschedules_per_month": 2}
        assert run(RESCHEDULE, config, 30, Usage(in_window=2)).message == (
            "The customer already made 2 reschedules in the last 30 days; the limit is 2. "
            "Staff may force it."
        )

    def test_per_appointment_quota_once(self):
        assert run(RESCHEDULE, SALON, 30, Usage(in_window=0, of_appointment=1)) == Decision(
            False,
            ReasonCode.QUOTA_EXCEEDED,
            "This appointment was already rescheduled once; the limit is 1. "
            "Staff may force it with a fee of 10.00.",
            money("10.00"),
            30.0,
        )

    def test_per_appointment_quota_more_than_once(self):
        config = {"max_reschedules_per_appointment": 2}
        assert run(RESCHEDULE, config, 30, Usage(0, 2)).message == (
            "This appointment was already rescheduled 2 times; the limit is 2. Staff may force it."
        )

    def test_exactly_the_notice_required_is_enough(self):
        decision = run(CANCEL, SALON, 24.0)
        assert (decision.allowed, decision.code, decision.fee) == (
            True,
            ReasonCode.WITHIN_POLICY,
            money("10.00"),
        )
        assert run(CANCEL, SALON, 24 - 1 / 60).code == ReasonCode.INSUFFICIENT_NOTICE


class TestQuota:
    def test_only_the_keys_the_config_sets(self):
        assert quota_keys(CANCEL, SALON) == ("max_cancellations_per_month", None)
        assert quota_keys(RESCHEDULE, SALON) == (
            "max_reschedules_per_month",
            "max_reschedules_per_appointment",
        )
        assert quota_keys(RESCHEDULE, {"max_reschedules_per_appointment": None}) == (None, None)
        assert quota_keys(RESCHEDULE, {}) == (None, None)

    def test_counted_reschedules_without_a_per_appointment_limit_are_allowed(self):
        decision = run(RESCHEDULE, {"max_reschedules_per_month": 5}, 30, Usage(4, 9))
        assert decision.allowed and decision.code == ReasonCode.WITHIN_POLICY

    def test_usage_that_was_not_counted_never_refuses(self):
        assert run(RESCHEDULE, SALON, 30, Usage(None, None)).allowed


class TestFee:
    # Deliberately unsorted: the tier is chosen by min_hours, not by position.
    TIERS = [{"min_hours": 48, "fee": 0}, {"min_hours": 0, "fee": 20}, {"min_hours": 24, "fee": 10}]

    @pytest.mark.parametrize(
        ("notice", "fee"),
        [(200, "0.00"), (48, "0.00"), (47.99, "10.00"), (24, "10.00"), (23.99, "20.00")],
    )
    def test_tier_with_the_largest_min_hours_not_above_the_notice(self, notice, fee):
        assert fee_for({"fee_tiers": self.TIERS}, notice, None) == money(fee)

    def test_flat_fee_then_tiers_then_percentage(self):
        config = {"fee": 7.5, "fee_tiers": self.TIERS[2:], "fee_percentage": 50}
        assert fee_for(config, 30, money("80")) == money("7.50")
        assert fee_for({**config, "fee": None}, 30, money("80")) == money("10.00")
        assert fee_for({**config, "fee": None}, 3, money("80")) == money("40.00")
        assert fee_for({"fee_tiers": None, "fee_percentage": None}, 3, money("80")) == 0

    def test_percentage_rounds_half_up_to_the_cent(self):
        # 12.5 % of 34.92 is 4.365: half up gives 4.37 (half to even would give 4.36).
        assert fee_for({"fee_percentage": 12.5}, 3, money("34.92")) == money("4.37")

    def test_flat_fee_rounds_half_up_to_the_cent(self):
        assert fee_for({"fee": 2.345}, 3, None) == money("2.35")

    def test_the_decision_charges_the_percentage_of_the_price(self):
        decision = run(CANCEL, {"fee_percentage": 50}, 30, price=money("41.00"))
        assert decision.fee == money("20.50")
        assert decision.message.endswith("the fee is 20.50.")

    def test_a_percentage_without_a_price_is_free(self):
        assert fee_for({"fee_percentage": 50}, 3, None) == money("0.00")


class TestHours:
    def test_notice_is_fractional_and_negative_after_the_start(self):
        assert hours_notice(NOW + timedelta(hours=24, minutes=30), NOW) == 24.5
        assert hours_notice(NOW - timedelta(minutes=30), NOW) == -0.5

    @pytest.mark.parametrize(
        ("notice", "shown"), [(23.999, 23.99), (24.0, 24.0), (-0.001, -0.01), (1 / 3, 0.33)]
    )
    def test_shown_hours_are_floored_to_the_hundredth(self, notice, shown):
        assert shown_hours(notice) == shown


@PROPERTY
@given(
    notice=st.floats(-48, 200, allow_nan=False),
    hours_before=st.none() | st.integers(0, 72),
    limit=st.none() | st.integers(0, 5),
    used=st.none() | st.integers(0, 6),
    has_policy=st.booleans(),
)
def test_rules_apply_in_order(notice, hours_before, limit, used, has_policy):
    """Rule 1 (no policy) before rule 2 (notice) before rule 3 (quota); a refusal carries the
    same fee as an allowance would, and the hours shown never exceed the real notice."""
    config = {"hours_before": hours_before, "max_cancellations_per_month": limit, "fee": 7}
    decision = run(CANCEL, config, notice, Usage(in_window=used), has_policy=has_policy)
    if not has_policy:
        expected = ReasonCode.NO_POLICY
    elif hours_before is not None and notice < hours_before:
        expected = ReasonCode.INSUFFICIENT_NOTICE
    elif limit is not None and used is not None and used >= limit:
        expected = ReasonCode.QUOTA_EXCEEDED
    else:
        expected = ReasonCode.WITHIN_POLICY
    assert decision.code == expected
    assert decision.allowed is (expected in (ReasonCode.NO_POLICY, ReasonCode.WITHIN_POLICY))
    assert decision.fee == money("0.00" if expected == ReasonCode.NO_POLICY else "7.00")
    assert decision.hours_notice <= notice < decision.hours_notice + 0.01 + 1e-9
