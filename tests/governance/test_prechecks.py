"""Each pre-check rule of PRODUCT.md §4 on its own: pass, warning or blocking, with its article."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from governance import prechecks
from governance.models import Outcome
from governance.prechecks import PrecheckInput
from projects import risk
from projects.models import GateAnswer, GateChecklistItem, Stage
from tests.factories import RiskScreeningFactory
from tests.governance.conftest import PURPOSE, World, in_days

pytestmark = pytest.mark.django_db


def make_input(world: World, *columns: str, **over: Any) -> PrecheckInput:
    data = prechecks.build_input(
        project=world.project,
        dataset=world.dataset,
        columns=world.columns(*columns),
        purpose=PURPOSE,
        legal_basis="legitimate_interests",
        art9_condition="",
        requested_end=in_days(30),
        justification="",
    )
    return replace(data, **over)


def test_stage_rule(world: World) -> None:
    check = prechecks.check_project_stage(make_input(world, "balance"))
    assert (check.outcome, check.article) == (Outcome.PASS, "Art. 5(1)(b)")
    for stage, words in [(Stage.QUALIFICATION, "Qualification"), (Stage.RETIRED, "retired")]:
        world.project.stage = stage
        check = prechecks.check_project_stage(make_input(world, "balance"))
        assert check.outcome == Outcome.BLOCKING and words in check.message


def test_legal_basis_rule(world: World) -> None:
    assert prechecks.check_legal_basis(make_input(world, "balance", legal_basis="")).outcome == Outcome.PASS
    missing = prechecks.check_legal_basis(make_input(world, "age_band", legal_basis=""))
    assert missing.outcome == Outcome.BLOCKING and "legal basis" in missing.message and "Art. 6" in missing.article
    other_purpose = prechecks.check_legal_basis(make_input(world, "age_band", purpose="Marketing campaigns."))
    assert other_purpose.outcome == Outcome.BLOCKING and "not the project's purpose" in other_purpose.message
    same = prechecks.check_legal_basis(make_input(world, "age_band", purpose="  " + PURPOSE.upper()))
    assert same.outcome == Outcome.PASS


def test_special_category_and_criminal_rule(world: World) -> None:
    assert prechecks.check_special_categories(make_input(world, "age_band")).outcome == Outcome.PASS
    no_condition = prechecks.check_special_categories(make_input(world, "health_flag"))
    assert no_condition.outcome == Outcome.BLOCKING
    assert "Art. 9(2) condition" in no_condition.message and "DPIA" in no_condition.message
    no_dpia = prechecks.check_special_categories(make_input(world, "health_flag", art9_condition="a_explicit_consent"))
    assert no_dpia.outcome == Outcome.BLOCKING and "Art. 9(2) condition" not in no_dpia.message
    ok = make_input(world, "health_flag", art9_condition="a_explicit_consent", dpia_recorded=True)
    assert prechecks.check_special_categories(ok).outcome == Outcome.PASS
    criminal = prechecks.check_special_categories(replace(ok, columns=world.columns("conviction")))
    assert (criminal.outcome, criminal.article) == (Outcome.BLOCKING, "Art. 10")


def test_minimisation_rule(world: World) -> None:
    pseudonymised_only = prechecks.check_minimisation(make_input(world, "customer_ref"))
    assert pseudonymised_only.outcome == Outcome.PASS
    unjustified = prechecks.check_minimisation(make_input(world, "customer_id"))
    assert unjustified.outcome == Outcome.BLOCKING and unjustified.article == "Art. 5(1)(c)"
    assert "customer_ref" in unjustified.message  # the pseudonymised alternative is suggested
    justified = prechecks.check_minimisation(make_input(world, "customer_id", justification="Join with CRM."))
    assert justified.outcome == Outcome.WARNING and "customer_ref" in justified.message
    world.dataset.columns.filter(name="customer_ref").update(pseudonymised=False)
    no_alternative = prechecks.check_minimisation(make_input(world, "customer_id", justification="Join with CRM."))
    assert no_alternative.outcome == Outcome.PASS


def test_purpose_compatibility_rule(world: World) -> None:
    assert prechecks.check_purpose_compatibility(make_input(world, "balance")).outcome == Outcome.PASS
    close = prechecks.check_purpose_compatibility(make_input(world, "age_band"))
    assert close.outcome == Outcome.PASS and close.article == "Art. 6(4)"
    world.dataset.collection_purpose = "Payroll of employees."
    different = prechecks.check_purpose_compatibility(make_input(world, "age_band"))
    assert different.outcome == Outcome.WARNING and "officer must answer" in different.message
    world.dataset.collection_purpose = ""
    assert prechecks.check_purpose_compatibility(make_input(world, "age_band")).outcome == Outcome.WARNING


def test_storage_limitation_rule(world: World) -> None:
    assert prechecks.check_storage_limitation(make_input(world, "balance")).outcome == Outcome.PASS
    assert prechecks.check_storage_limitation(make_input(world, "balance", requested_end=None)).blocking
    assert prechecks.check_storage_limitation(make_input(world, "balance", requested_end=in_days(-1))).blocking
    beyond = prechecks.check_storage_limitation(make_input(world, "balance", requested_end=in_days(400)))
    assert (
        beyond.outcome == Outcome.WARNING and "retention" in beyond.message and "end of Exploration" in beyond.message
    )
    assert beyond.article == "Art. 5(1)(e)"


def test_exploration_end_is_derived_from_stale_poc_days(world: World, settings: Any) -> None:
    settings.STALE_POC_DAYS = 10
    start = timezone.localdate(world.project.entered_stage_at)
    assert prechecks.exploration_end(world.project) == start + timedelta(days=10)
    world.project.stage = Stage.PRODUCTION
    assert prechecks.exploration_end(world.project) is None


def test_scoring_rule(world: World) -> None:
    assert prechecks.check_scoring_profiling(make_input(world, "age_band")).outcome == Outcome.PASS
    scoring = make_input(world, "age_band", screening_answers={"scoring_profiling": True})
    check = prechecks.check_scoring_profiling(scoring)
    assert check.outcome == Outcome.WARNING and check.article == "Art. 22, Art. 35(3)(a)"
    assert prechecks.check_scoring_profiling(replace(scoring, dpia_recorded=True)).outcome == Outcome.PASS


def test_build_input_reads_the_screening_and_the_dpia(world: World) -> None:
    answers = {**risk.all_no(), "personal_data": True, "scoring_profiling": True}
    RiskScreeningFactory(project=world.project, answers=answers)
    data = make_input(world, "age_band")
    assert data.screening_answers == answers
    assert data.dpia_recorded is False
    item = GateChecklistItem.objects.filter(key=prechecks.DPIA_ITEM_KEY).first()
    GateAnswer.objects.create(
        project=world.project,
        item=item,
        evidence_file=ContentFile(b"dpia", name="dpia.pdf"),
        answered_by=world.project.leads[0],
        answered_at=timezone.now(),
    )
    assert make_input(world, "age_band").dpia_recorded is True


def test_all_rules_run_in_order(world: World) -> None:
    checks = prechecks.run_prechecks(make_input(world, "customer_ref", "age_band", "balance"))
    assert [c.rule for c in checks] == [
        "project_stage",
        "legal_basis",
        "special_categories",
        "minimisation",
        "purpose_compatibility",
        "storage_limitation",
        "scoring_profiling",
    ]
    assert all(c.outcome == Outcome.PASS for c in checks), [c.message for c in checks if c.outcome != Outcome.PASS]
