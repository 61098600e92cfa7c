"""AI Act tier and DPIA screening rules (projects/risk.py): each rule, and the validation."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from projects import risk
from projects.models import AIActTier


def answers(**yes: bool) -> dict[str, bool]:
    return {**risk.all_no(), **yes}


# --- AI Act ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "social_scoring",
        "manipulation",
        "emotion_recognition_work_education",
        "biometric_categorisation_sensitive",
        "crime_prediction_profiling",
    ],
)
def test_article_5_practices_are_prohibited(key: str) -> None:
    result = risk.screen(answers(**{key: True}))
    assert result.ai_act_tier == AIActTier.PROHIBITED
    assert "Art. 5(1)" in result.ai_act_reasons[0]


@pytest.mark.parametrize(
    "key, reference",
    [
        ("creditworthiness", "Annex III, 5(b)"),
        ("life_health_insurance", "Annex III, 5(c)"),
        ("employment", "Annex III, 4"),
        ("essential_services", "Annex III, 5(a)"),
        ("education", "Annex III, 3"),
        ("biometric_identification", "Annex III, 1(a)"),
        ("emotion_recognition", "Annex III, 1(c)"),
        ("critical_infrastructure", "Annex III, 2"),
    ],
)
def test_annex_iii_uses_are_high_risk(key: str, reference: str) -> None:
    result = risk.screen(answers(**{key: True}))
    assert result.ai_act_tier == AIActTier.HIGH
    assert reference in result.ai_act_reasons[0]


@pytest.mark.parametrize("key", ["interacts_with_people", "generates_content"])
def test_transparency_uses_are_limited_risk(key: str) -> None:
    result = risk.screen(answers(**{key: True}))
    assert result.ai_act_tier == AIActTier.LIMITED
    assert "Art. 50" in result.ai_act_reasons[0]


def test_nothing_declared_is_minimal_risk() -> None:
    result = risk.screen(answers(personal_data=True, large_scale=True))
    assert result.ai_act_tier == AIActTier.MINIMAL
    assert result.ai_act_reasons == ["No prohibited, high-risk or transparency use declared: minimal risk."]


def test_the_highest_tier_wins_and_every_reason_is_listed_highest_first() -> None:
    result = risk.screen(answers(interacts_with_people=True, creditworthiness=True, social_scoring=True))
    assert result.ai_act_tier == AIActTier.PROHIBITED
    assert [r.split(":")[0] for r in result.ai_act_reasons] == [
        AIActTier.PROHIBITED.label,
        AIActTier.HIGH.label,
        AIActTier.LIMITED.label,
    ]
    assert risk.screen(answers(interacts_with_people=True, employment=True)).ai_act_tier == AIActTier.HIGH


# --- DPIA -------------------------------------------------------------------------------------------

CRITERIA = [
    "scoring_profiling",
    "automated_decisions",
    "systematic_monitoring",
    "sensitive_data",
    "large_scale",
    "matching_datasets",
    "vulnerable_subjects",
    "innovative_technology",
    "prevents_rights",
]


def test_the_nine_edpb_criteria_are_asked() -> None:
    assert list(risk.DPIA_CRITERIA) == CRITERIA


@pytest.mark.parametrize("criterion", CRITERIA)
def test_one_criterion_alone_does_not_require_a_dpia(criterion: str) -> None:
    result = risk.screen(answers(personal_data=True, **{criterion: True}))
    assert result.dpia_required is False
    assert result.dpia_criteria == [criterion]
    assert "One criterion met" in result.dpia_reasons[-1]


@pytest.mark.parametrize("first, second", [(CRITERIA[i], CRITERIA[(i + 4) % 9]) for i in range(9)])
def test_two_criteria_require_a_dpia(first: str, second: str) -> None:
    result = risk.screen(answers(personal_data=True, **{first: True, second: True}))
    assert result.dpia_required is True
    assert set(result.dpia_criteria) == {first, second}
    assert "2 criteria met: a DPIA is required" in result.dpia_reasons[-1]


@pytest.mark.parametrize(
    "yes, letter",
    [
        (("scoring_profiling", "automated_decisions"), "a"),
        (("sensitive_data", "large_scale"), "b"),
        (("systematic_monitoring", "large_scale"), "c"),
    ],
)
def test_article_35_3_cases_are_named(yes: tuple[str, str], letter: str) -> None:
    result = risk.screen(answers(personal_data=True, **dict.fromkeys(yes, True)))
    assert result.dpia_required
    assert any(f"Art. 35(3)({letter})" in reason for reason in result.dpia_reasons)


def test_no_personal_data_means_no_dpia_whatever_the_criteria() -> None:
    result = risk.screen(answers(**dict.fromkeys(CRITERIA, True)))
    assert result.dpia_required is False
    assert result.dpia_criteria == []
    assert result.dpia_reasons == ["No personal data is processed: GDPR Art. 35 does not apply."]


def test_no_criterion_means_no_dpia() -> None:
    result = risk.screen(answers(personal_data=True))
    assert (result.dpia_required, result.dpia_reasons) == (False, ["No criterion met: no DPIA required."])


def test_ai_act_scoring_counts_as_the_scoring_criterion() -> None:
    """Credit scoring is scoring: with one more criterion, a DPIA is required."""
    one = risk.screen(answers(personal_data=True, creditworthiness=True))
    assert one.dpia_criteria == ["scoring_profiling"] and not one.dpia_required
    assert "from the AI Act answers" in one.dpia_reasons[0]
    two = risk.screen(answers(personal_data=True, creditworthiness=True, large_scale=True))
    assert two.dpia_required and two.dpia_criteria == ["scoring_profiling", "large_scale"]


# --- Validation -----------------------------------------------------------------------------------------


def test_every_question_must_be_answered_with_a_boolean() -> None:
    partial = risk.all_no()
    del partial["personal_data"]
    with pytest.raises(ValidationError) as missing:
        risk.screen(partial)
    assert "Unanswered question(s): personal_data." in missing.value.message_dict["answers"]

    with pytest.raises(ValidationError) as unknown:
        risk.screen({**risk.all_no(), "telepathy": True})
    assert "Unknown question(s): telepathy." in unknown.value.message_dict["answers"]

    with pytest.raises(ValidationError) as not_bool:
        risk.screen({**risk.all_no(), "large_scale": "yes"})
    assert "Answer yes (true) or no (false) to: large_scale." in not_bool.value.message_dict["answers"]

    with pytest.raises(ValidationError):
        risk.screen(["personal_data"])  # type: ignore[arg-type]


def test_questions_have_unique_keys_and_a_legal_reference() -> None:
    keys = [q.key for q in risk.QUESTIONS]
    assert len(keys) == len(set(keys))
    assert all(q.reference and q.text.endswith("?") for q in risk.QUESTIONS)
