"""Risk screening of a project: EU AI Act tier and GDPR DPIA screening, from one short questionnaire.

Pure functions, no database: ``screen(answers)`` gives the tier, whether a DPIA is required and
the reasons, each with its legal reference. ``projects.services.risk_screening_record`` stores the
result; the result decides who signs the Production gate (``projects.gates``).

**AI Act tier** (Regulation (EU) 2024/1689): the highest tier any "yes" leads to.

- *prohibited* (Art. 5(1)): social scoring; manipulative or deceptive techniques, or exploiting
  vulnerabilities; emotion recognition at work or in education; biometric categorisation inferring
  sensitive traits; predicting criminal offences solely from profiling;
- *high* (Art. 6(2) and Annex III): remote biometric identification, emotion recognition (outside
  the prohibited uses), safety components of critical infrastructure, education, employment and
  workers' management, access to essential public services, creditworthiness evaluation or credit
  scoring of natural persons, pricing and risk assessment in life and health insurance;
- *limited* (Art. 50 transparency): systems interacting with people, generating synthetic content;
- *minimal* otherwise.

Emotion recognition is listed by Annex III point 1(c) as high-risk (its deployers also have the
Art. 50(3) transparency duty), so it screens as high, not limited. The screening is deliberately
conservative: the Art. 6(3) derogation (an Annex III system that performs only a narrow procedural
task...) is for the governance officer to argue, not for a questionnaire to assume.

**DPIA** (GDPR Art. 35): required when personal data is processed and either one of the Art. 35(3)
cases applies or at least two of the nine criteria of the EDPB guidelines on DPIA (WP248 rev.01,
which the CNIL applies) are met. The Art. 35(3) cases each combine two criteria, so the two-criteria
rule covers them; they are named in the reasons. Without personal data, GDPR does not apply: no DPIA.
Scoring under the AI Act questions (credit, insurance, employment, education, essential services)
also counts as the "evaluation or scoring" criterion.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from projects.models import AIActTier

QUESTIONNAIRE_VERSION = 1

SECTION_CONTEXT = "context"
SECTION_AI_ACT = "ai_act"
SECTION_DPIA = "dpia"


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    help: str
    section: str
    reference: str
    tier: AIActTier | None = None  # AI Act questions: the tier a "yes" leads to


TIER_ORDER: tuple[AIActTier, ...] = (AIActTier.MINIMAL, AIActTier.LIMITED, AIActTier.HIGH, AIActTier.PROHIBITED)

QUESTIONS: tuple[Question, ...] = (
    Question(
        "personal_data",
        "Does the project process personal data?",
        "Any information relating to an identified or identifiable natural person, including pseudonymised data.",
        SECTION_CONTEXT,
        "GDPR Art. 4(1)",
    ),
    # --- AI Act: prohibited practices (Art. 5(1)) ---
    Question(
        "social_scoring",
        "Does it evaluate or classify people by their social behaviour or personal characteristics, leading to "
        "detrimental treatment unrelated to the context or disproportionate (social scoring)?",
        "",
        SECTION_AI_ACT,
        "AI Act Art. 5(1)(c)",
        AIActTier.PROHIBITED,
    ),
    Question(
        "manipulation",
        "Does it use subliminal, manipulative or deceptive techniques, or exploit vulnerabilities due to age, "
        "disability or social or economic situation, to distort people's behaviour in a way that causes harm?",
        "",
        SECTION_AI_ACT,
        "AI Act Art. 5(1)(a) and (b)",
        AIActTier.PROHIBITED,
    ),
    Question(
        "emotion_recognition_work_education",
        "Does it infer the emotions of people at the workplace or in education?",
        "Except for medical or safety reasons.",
        SECTION_AI_ACT,
        "AI Act Art. 5(1)(f)",
        AIActTier.PROHIBITED,
    ),
    Question(
        "biometric_categorisation_sensitive",
        "Does it categorise people from biometric data to infer their race, political opinions, trade-union "
        "membership, religious or philosophical beliefs, sex life or sexual orientation?",
        "",
        SECTION_AI_ACT,
        "AI Act Art. 5(1)(g)",
        AIActTier.PROHIBITED,
    ),
    Question(
        "crime_prediction_profiling",
        "Does it predict the risk that a person commits a criminal offence based solely on profiling or on "
        "personality traits?",
        "Risk assessments that support a human assessment based on objective, verifiable facts are not covered.",
        SECTION_AI_ACT,
        "AI Act Art. 5(1)(d)",
        AIActTier.PROHIBITED,
    ),
    # --- AI Act: high-risk (Annex III) ---
    Question(
        "creditworthiness",
        "Does it evaluate the creditworthiness of natural persons or establish their credit score?",
        "Systems used to detect financial fraud are not covered.",
        SECTION_AI_ACT,
        "AI Act Annex III, 5(b)",
        AIActTier.HIGH,
    ),
    Question(
        "life_health_insurance",
        "Does it assess risks or set prices for natural persons in life or health insurance?",
        "",
        SECTION_AI_ACT,
        "AI Act Annex III, 5(c)",
        AIActTier.HIGH,
    ),
    Question(
        "employment",
        "Is it used for recruitment or selection, or for decisions on promotion, termination, task allocation, "
        "or to monitor and evaluate workers?",
        "",
        SECTION_AI_ACT,
        "AI Act Annex III, 4",
        AIActTier.HIGH,
    ),
    Question(
        "essential_services",
        "Does it decide on eligibility for essential public services and benefits, or triage emergency calls?",
        "",
        SECTION_AI_ACT,
        "AI Act Annex III, 5(a) and (d)",
        AIActTier.HIGH,
    ),
    Question(
        "education",
        "Does it decide on admission to education or training, evaluate learning outcomes, or monitor students "
        "during tests?",
        "",
        SECTION_AI_ACT,
        "AI Act Annex III, 3",
        AIActTier.HIGH,
    ),
    Question(
        "biometric_identification",
        "Does it identify people remotely from biometric data (face, voice, gait...)?",
        "Verification that a person is who they claim to be (e.g. unlocking an app) is not covered.",
        SECTION_AI_ACT,
        "AI Act Annex III, 1(a)",
        AIActTier.HIGH,
    ),
    Question(
        "emotion_recognition",
        "Does it infer people's emotions or intentions from biometric data (outside work and education)?",
        "High-risk under Annex III, 1(c); people exposed to it must also be told (Art. 50(3)).",
        SECTION_AI_ACT,
        "AI Act Annex III, 1(c)",
        AIActTier.HIGH,
    ),
    Question(
        "critical_infrastructure",
        "Is it a safety component in the management or operation of critical infrastructure (energy, water, gas, "
        "heating, road traffic, critical digital infrastructure)?",
        "",
        SECTION_AI_ACT,
        "AI Act Annex III, 2",
        AIActTier.HIGH,
    ),
    # --- AI Act: transparency (Art. 50) ---
    Question(
        "interacts_with_people",
        "Does it interact directly with people (chatbot, voice assistant)?",
        "People must be told they are interacting with an AI system.",
        SECTION_AI_ACT,
        "AI Act Art. 50(1)",
        AIActTier.LIMITED,
    ),
    Question(
        "generates_content",
        "Does it generate or manipulate text, images, audio or video (including deep fakes)?",
        "Generated content must be marked as such.",
        SECTION_AI_ACT,
        "AI Act Art. 50(2) and (4)",
        AIActTier.LIMITED,
    ),
    # --- DPIA criteria (EDPB WP248 rev.01) ---
    Question(
        "scoring_profiling",
        "Does it evaluate or score people, including profiling and predicting (performance at work, economic "
        "situation, health, preferences, reliability, behaviour, location)?",
        "",
        SECTION_DPIA,
        "GDPR Art. 35(3)(a); WP248 criterion 1",
    ),
    Question(
        "automated_decisions",
        "Are decisions with legal or similarly significant effects on people taken automatically from it?",
        "E.g. refusing a loan or a contract without human review.",
        SECTION_DPIA,
        "GDPR Art. 22 and 35(3)(a); WP248 criterion 2",
    ),
    Question(
        "systematic_monitoring",
        "Does it monitor people systematically (observation, tracking, monitoring of behaviour or of a publicly "
        "accessible area)?",
        "",
        SECTION_DPIA,
        "GDPR Art. 35(3)(c); WP248 criterion 3",
    ),
    Question(
        "sensitive_data",
        "Does it use special categories of data (health, biometric, union membership...), criminal data, or data "
        "of a highly personal nature (financial data that could be used for payment fraud, location, private "
        "communications)?",
        "",
        SECTION_DPIA,
        "GDPR Art. 9, 10 and 35(3)(b); WP248 criterion 4",
    ),
    Question(
        "large_scale",
        "Is the processing on a large scale (number of people, volume of data, duration, geographical extent)?",
        "",
        SECTION_DPIA,
        "GDPR Art. 35(3)(b) and (c); WP248 criterion 5",
    ),
    Question(
        "matching_datasets",
        "Does it match or combine datasets from different processing operations or controllers, beyond what "
        "people would reasonably expect?",
        "",
        SECTION_DPIA,
        "WP248 criterion 6",
    ),
    Question(
        "vulnerable_subjects",
        "Does it concern vulnerable people (employees, children, patients, elderly people, people in financial "
        "difficulty, asylum seekers)?",
        "",
        SECTION_DPIA,
        "WP248 criterion 7",
    ),
    Question(
        "innovative_technology",
        "Does it use an innovative technology or a new organisational solution (e.g. a new kind of AI model or "
        "data source)?",
        "",
        SECTION_DPIA,
        "WP248 criterion 8",
    ),
    Question(
        "prevents_rights",
        "Does it prevent people from exercising a right or from using a service or a contract (e.g. deciding "
        "whether to offer a loan)?",
        "",
        SECTION_DPIA,
        "WP248 criterion 9",
    ),
)

QUESTIONS_BY_KEY: dict[str, Question] = {q.key: q for q in QUESTIONS}

# AI Act questions whose "yes" means the system evaluates or scores people (DPIA criterion 1).
SCORING_AI_ACT_KEYS = ("creditworthiness", "life_health_insurance", "employment", "essential_services", "education")

DPIA_CRITERIA: tuple[str, ...] = tuple(q.key for q in QUESTIONS if q.section == SECTION_DPIA)
DPIA_CRITERION_LABELS: dict[str, str] = {
    "scoring_profiling": "evaluation or scoring, including profiling",
    "automated_decisions": "automated decisions with legal or similarly significant effect",
    "systematic_monitoring": "systematic monitoring",
    "sensitive_data": "sensitive or highly personal data",
    "large_scale": "large-scale processing",
    "matching_datasets": "matching or combining datasets",
    "vulnerable_subjects": "vulnerable data subjects",
    "innovative_technology": "innovative technology",
    "prevents_rights": "prevents exercising a right or using a service",
}
# GDPR Art. 35(3): processing that always needs a DPIA (each combines two criteria).
ART_35_3_CASES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        "a",
        ("scoring_profiling", "automated_decisions"),
        "systematic and extensive evaluation of people with automated decisions producing legal effects",
    ),
    ("b", ("sensitive_data", "large_scale"), "large-scale processing of special categories or criminal data"),
    ("c", ("systematic_monitoring", "large_scale"), "systematic monitoring on a large scale"),
)


@dataclass(frozen=True)
class ScreeningResult:
    ai_act_tier: AIActTier
    ai_act_reasons: list[str] = field(default_factory=list)
    dpia_required: bool = False
    dpia_reasons: list[str] = field(default_factory=list)
    dpia_criteria: list[str] = field(default_factory=list)  # keys of the criteria met


def validate_answers(answers: Mapping[str, Any]) -> dict[str, bool]:
    """Every question answered with a boolean, and nothing else; the answers in questionnaire order."""
    if not isinstance(answers, Mapping):
        raise ValidationError({"answers": "Expected an object of question key -> true/false."})
    errors: list[str] = []
    unknown = sorted(set(answers) - set(QUESTIONS_BY_KEY))
    if unknown:
        errors.append(f"Unknown question(s): {', '.join(unknown)}.")
    missing = [q.key for q in QUESTIONS if q.key not in answers]
    if missing:
        errors.append(f"Unanswered question(s): {', '.join(missing)}.")
    not_bool = sorted(k for k, v in answers.items() if k in QUESTIONS_BY_KEY and not isinstance(v, bool))
    if not_bool:
        errors.append(f"Answer yes (true) or no (false) to: {', '.join(not_bool)}.")
    if errors:
        raise ValidationError({"answers": errors})
    return {q.key: bool(answers[q.key]) for q in QUESTIONS}


def ai_act_tier(answers: Mapping[str, bool]) -> tuple[AIActTier, list[str]]:
    """The tier and, for each "yes" that sets a tier, the reason with its reference (highest first)."""
    hits = [q for q in QUESTIONS if q.tier is not None and answers.get(q.key)]
    if not hits:
        return AIActTier.MINIMAL, ["No prohibited, high-risk or transparency use declared: minimal risk."]
    hits.sort(key=lambda q: -TIER_ORDER.index(q.tier))  # type: ignore[arg-type]
    tier = hits[0].tier
    assert tier is not None
    reasons = [f"{AIActTier(q.tier).label}: {q.text} ({q.reference})" for q in hits]
    return tier, reasons


def dpia_screening(answers: Mapping[str, bool]) -> tuple[bool, list[str], list[str]]:
    """Whether a DPIA is required, the reasons, and the criteria met."""
    if not answers.get("personal_data"):
        return False, ["No personal data is processed: GDPR Art. 35 does not apply."], []
    met = [key for key in DPIA_CRITERIA if answers.get(key)]
    if "scoring_profiling" not in met and any(answers.get(k) for k in SCORING_AI_ACT_KEYS):
        met.insert(0, "scoring_profiling")
    reasons = [
        f"Criterion met: {DPIA_CRITERION_LABELS[key]} ({QUESTIONS_BY_KEY[key].reference})"
        + (" - from the AI Act answers" if key == "scoring_profiling" and not answers.get("scoring_profiling") else "")
        for key in met
    ]
    for letter, keys, label in ART_35_3_CASES:
        if all(k in met for k in keys):
            reasons.append(f"GDPR Art. 35(3)({letter}): {label} always requires a DPIA.")
    required = len(met) >= 2
    if required:
        reasons.append(f"{len(met)} criteria met: a DPIA is required (two or more, EDPB WP248 rev.01).")
    elif met:
        reasons.append("One criterion met: no DPIA required by the two-criteria rule; keep this screening on file.")
    else:
        reasons.append("No criterion met: no DPIA required.")
    return required, reasons, met


def screen(answers: Mapping[str, Any]) -> ScreeningResult:
    """Validate the answers and apply the AI Act and DPIA rules."""
    clean = validate_answers(answers)
    tier, tier_reasons = ai_act_tier(clean)
    required, dpia_reasons, criteria = dpia_screening(clean)
    return ScreeningResult(
        ai_act_tier=tier,
        ai_act_reasons=tier_reasons,
        dpia_required=required,
        dpia_reasons=dpia_reasons,
        dpia_criteria=criteria,
    )


def all_no() -> dict[str, bool]:
    """Answers with every question answered no (a starting point for forms and tests)."""
    return {q.key: False for q in QUESTIONS}
