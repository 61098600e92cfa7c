"""Drift statistics on known distributions, and quality expectations (suggest, validate, check)."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.exceptions import ValidationError

from catalog.profiling import drift, quality


def test_psi_is_zero_for_identical_and_large_for_shifted_distributions() -> None:
    assert drift.psi(np.array([10, 20, 30]), np.array([10, 20, 30])) == pytest.approx(0.0)
    # Hand-computed: (0.5-0.25)ln(0.5/0.25) + (0.5-0.75)ln(0.5/0.75)
    expected = 0.25 * np.log(2) + (-0.25) * np.log(0.5 / 0.75)
    assert drift.psi(np.array([25, 75]), np.array([50, 50])) == pytest.approx(expected)


def test_numeric_drift_detects_a_shift_not_noise() -> None:
    rng = np.random.default_rng(0)
    reference = rng.normal(0, 1, 20_000)
    same = drift.numeric_drift(reference, rng.normal(0, 1, 20_000), plot=True, title="x")
    shifted = drift.numeric_drift(reference, rng.normal(0.5, 1, 20_000), plot=False)
    assert not drift.is_drifted(same) and same["psi"] < 0.01 and same["p_value"] > 0.001
    assert drift.is_drifted(shifted) and shifted["p_value"] < 1e-10 and shifted["statistic"] > 0.15
    assert same["plot"].startswith("<svg") and "plot" not in shifted
    # A tiny but "significant" shift on many rows is not drift: the effect size is too small.
    tiny = drift.numeric_drift(reference, rng.normal(0.04, 1, 20_000), plot=False)
    assert not drift.is_drifted(tiny)


def test_categorical_drift_uses_chi_square() -> None:
    reference = {"a": 500, "b": 300, "c": 200}
    same = drift.categorical_drift(reference, {"a": 510, "b": 290, "c": 200}, plot=False)
    changed = drift.categorical_drift(reference, {"a": 200, "b": 300, "c": 300, "d": 200}, plot=True, title="t")
    assert not drift.is_drifted(same) and same["test"] == "chi2" and same["p_value"] > 0.5
    assert drift.is_drifted(changed) and changed["psi"] > 0.2
    assert ">d<" in changed["plot"] or "current d" in changed["plot"]
    from scipy import stats

    table = np.array([[500, 300, 200, 0], [200, 300, 300, 200]])
    assert changed["statistic"] == pytest.approx(stats.chi2_contingency(table, correction=False).statistic, rel=1e-6)


PROFILE = [
    {
        "name": "id",
        "kind": "numeric",
        "personal": False,
        "count": 100,
        "non_null": 100,
        "distinct": 100,
        "unique": True,
        "min": 1.0,
        "max": 100.0,
        "distinct_ratio": 1.0,
    },
    {
        "name": "segment",
        "kind": "string",
        "personal": False,
        "count": 100,
        "non_null": 90,
        "distinct": 3,
        "unique": False,
        "distinct_ratio": 0.03,
        "top_values_complete": True,
        "top_values": [{"value": "a", "count": 50}, {"value": "b", "count": 30}, {"value": "c", "count": 10}],
    },
    {
        "name": "email",
        "kind": "string",
        "personal": True,
        "count": 100,
        "non_null": 100,
        "distinct": 100,
        "unique": True,
    },
]


def test_suggestions_from_a_first_profile() -> None:
    suggested = {(s["column"], s["kind"]): s["params"] for s in quality.suggest(PROFILE, rows=100)}
    assert suggested[("", "row_count")] == {"min": 50, "max": 200}
    assert suggested[("id", "range")] == {"min": 1.0, "max": 100.0}
    assert suggested[("id", "unique")] == {}
    assert suggested[("segment", "categories")] == {"values": ["a", "b", "c"]}
    assert suggested[("segment", "not_null")] == {"min_ratio": 0.855}
    assert (
        ("email", "unique") in suggested
        and ("email", "range") not in suggested
        and ("email", "categories") not in suggested
    )
    for kind_params in suggested.items():
        (column, kind), params = kind_params
        assert quality.check(kind, params, next((p for p in PROFILE if p["name"] == column), None), rows=100)[0]


def test_checks_fail_on_bad_data() -> None:
    segment = {**PROFILE[1], "distinct": 4, "top_values": [*PROFILE[1]["top_values"], {"value": "zz", "count": 1}]}
    passed, observed = quality.check("categories", {"values": ["a", "b", "c"]}, segment, rows=100)
    assert not passed and observed["unexpected"] == ["zz"]
    assert not quality.check("range", {"min": 0, "max": 50}, PROFILE[0], rows=100)[0]
    assert not quality.check("not_null", {"min_ratio": 0.95}, PROFILE[1], rows=100)[0]
    assert not quality.check("unique", {}, {**PROFILE[0], "distinct": 99}, rows=100)[0]
    assert not quality.check("row_count", {"min": 200, "max": 300}, None, rows=100)[0]
    assert quality.check("not_null", {"min_ratio": 0.5}, None, rows=100) == (
        False,
        {"error": "column missing from this version"},
    )


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("row_count", {"min": 10, "max": 5}),
        ("not_null", {"min_ratio": 1.5}),
        ("range", {"min": "2020-01-01", "max": 3}),
        ("categories", {"values": []}),
        ("unique", {"x": 1}),
        ("bogus", {}),
    ],
)
def test_invalid_parameters_are_refused(kind: str, params: dict) -> None:
    with pytest.raises(ValueError):
        quality.validate_params(kind, params)


@pytest.mark.django_db
def test_accepting_with_bad_params_is_a_field_error(custodian) -> None:
    from catalog.models import QualityExpectation
    from catalog.profiling.services import expectation_accept
    from tests.factories import DatasetFactory

    expectation = QualityExpectation.objects.create(
        dataset=DatasetFactory(), column="a", kind="not_null", params={"min_ratio": 0.9}
    )
    with pytest.raises(ValidationError) as error:
        expectation_accept(expectation=expectation, user=custodian, params={"min_ratio": "high"})
    assert "params" in error.value.message_dict
    expectation.refresh_from_db()
    assert expectation.status == "suggested"
