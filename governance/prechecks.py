"""GDPR pre-checks of an access request (PRODUCT.md §4).

Each rule is a small function of a ``PrecheckInput`` returning a ``Check``: pass, warning or
blocking, with the article it comes from and a message for the requester and the officer. They
read only what the input carries (the project, the dataset and the columns are loaded by the
caller), so each is tested on its own. ``run_prechecks`` runs them all in order; the services store
the results with the request when it is filed and each time it is changed.

A blocking result stops an approval unless an officer overrides it with a written reason.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from catalog.models import Column, Dataset, PersonalDataClass
from governance.models import Outcome
from projects.models import Project, Stage

RECEIVING_STAGES = (Stage.EXPLORATION, Stage.INDUSTRIALIZATION, Stage.PRODUCTION)
SCORING_ANSWERS = ("scoring_profiling", "automated_decisions", "creditworthiness")
DPIA_ITEM_KEY = "dpia_done"


@dataclass(frozen=True)
class PrecheckInput:
    project: Project
    dataset: Dataset
    columns: Sequence[Column]
    purpose: str
    legal_basis: str
    art9_condition: str
    requested_end: date | None
    justification: str
    today: date
    dpia_recorded: bool = False
    screening_answers: dict[str, Any] | None = None
    exploration_end: date | None = None

    def with_class(self, *classes: str) -> list[Column]:
        return [c for c in self.columns if c.personal_data_class in classes]

    @property
    def personal(self) -> list[Column]:
        return [c for c in self.columns if c.personal_data_class != PersonalDataClass.NONE]


@dataclass(frozen=True)
class Check:
    rule: str
    title: str
    outcome: str
    article: str
    message: str

    @property
    def blocking(self) -> bool:
        return self.outcome == Outcome.BLOCKING


def _names(columns: Sequence[Column]) -> str:
    return ", ".join(c.name for c in columns)


def _words(text: str) -> set[str]:
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return {w for w in re.findall(r"[a-z0-9]+", folded) if len(w) > 3}


def same_purpose(a: str, b: str) -> bool:
    """Purposes are the same when their texts match once spaces, case and accents are ignored."""
    return " ".join(sorted(_words(a))) == " ".join(sorted(_words(b))) and bool(_words(a))


def purpose_overlap(a: str, b: str) -> float:
    """Share of the significant words of the shorter purpose found in the other (0 to 1)."""
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / min(len(wa), len(wb))


# --- The rules --------------------------------------------------------------------------------------


def check_project_stage(data: PrecheckInput) -> Check:
    """1. The project is in a stage that may receive data (Exploration or later, not closed)."""
    title, article = "Project stage", "Art. 5(1)(b)"
    stage = Stage(data.project.stage)
    if stage in RECEIVING_STAGES:
        return Check("project_stage", title, Outcome.PASS, article, f"The project is in {stage.label}.")
    if stage == Stage.QUALIFICATION:
        message = "The project is still in Qualification: data is given from Exploration on, once its gate is passed."
    else:
        message = f"The project is {stage.label.lower()}: it may no longer receive data."
    return Check("project_stage", title, Outcome.BLOCKING, article, message)


def check_legal_basis(data: PrecheckInput) -> Check:
    """2. Personal data → a legal basis (Art. 6) and the project's purpose."""
    title, article = "Legal basis and purpose", "Art. 6(1), Art. 5(1)(b)"
    if not data.personal:
        return Check("legal_basis", title, Outcome.PASS, article, "No personal data requested.")
    problems = []
    if not data.legal_basis:
        problems.append("personal data is requested without a legal basis (Art. 6(1))")
    if not same_purpose(data.purpose, data.project.purpose):
        problems.append("the purpose given is not the project's purpose")
    if problems:
        return Check("legal_basis", title, Outcome.BLOCKING, article, "; ".join(problems).capitalize() + ".")
    return Check("legal_basis", title, Outcome.PASS, article, "Legal basis given; the purpose is the project's.")


def check_special_categories(data: PrecheckInput) -> Check:
    """3. Special categories (Art. 9) → an Art. 9(2) condition and a DPIA; criminal data (Art. 10) → blocking."""
    title = "Special categories and criminal data"
    criminal = data.with_class(PersonalDataClass.CRIMINAL)
    if criminal:
        return Check(
            "special_categories",
            title,
            Outcome.BLOCKING,
            "Art. 10",
            f"Criminal-offence data requested ({_names(criminal)}): refused unless an officer overrides it with a "
            "reason.",
        )
    special = data.with_class(PersonalDataClass.SPECIAL)
    if not special:
        return Check("special_categories", title, Outcome.PASS, "Art. 9", "No special-category data requested.")
    problems = []
    if not data.art9_condition:
        problems.append("no Art. 9(2) condition is given")
    if not data.dpia_recorded:
        problems.append("no DPIA is recorded on the project")
    if problems:
        return Check(
            "special_categories",
            title,
            Outcome.BLOCKING,
            "Art. 9(2), Art. 35",
            f"Special-category columns requested ({_names(special)}) but " + " and ".join(problems) + ".",
        )
    return Check(
        "special_categories",
        title,
        Outcome.PASS,
        "Art. 9(2)",
        f"Special-category columns ({_names(special)}) with an Art. 9(2) condition and a recorded DPIA.",
    )


def check_minimisation(data: PrecheckInput) -> Check:
    """4. Direct identifiers need a justification, or a pseudonymised version is suggested."""
    title, article = "Data minimisation", "Art. 5(1)(c)"
    direct = [c for c in data.with_class(PersonalDataClass.DIRECT) if not c.pseudonymised]
    if not direct:
        return Check("minimisation", title, Outcome.PASS, article, "No direct identifier in clear requested.")
    alternatives = [c for c in data.dataset.columns.all() if c.pseudonymised and c not in data.columns]
    suggestion = f" Consider the pseudonymised column(s) {_names(alternatives)} instead." if alternatives else ""
    if not data.justification.strip():
        return Check(
            "minimisation",
            title,
            Outcome.BLOCKING,
            article,
            f"Direct identifiers requested ({_names(direct)}) without a justification.{suggestion}",
        )
    if alternatives:
        return Check(
            "minimisation",
            title,
            Outcome.WARNING,
            article,
            f"Direct identifiers requested ({_names(direct)}) with a justification.{suggestion}",
        )
    return Check("minimisation", title, Outcome.PASS, article, f"Direct identifiers ({_names(direct)}) justified.")


def check_purpose_compatibility(data: PrecheckInput) -> Check:
    """5. The project's purpose compared with the dataset's collection purpose (Art. 6(4))."""
    title, article = "Purpose compatibility", "Art. 6(4)"
    if not data.personal:
        return Check("purpose_compatibility", title, Outcome.PASS, article, "No personal data requested.")
    collected_for = data.dataset.collection_purpose.strip()
    if not collected_for:
        return Check(
            "purpose_compatibility",
            title,
            Outcome.WARNING,
            article,
            "The dataset's collection purpose is not documented: the officer must assess compatibility.",
        )
    if purpose_overlap(data.project.purpose, collected_for) >= 0.5:
        return Check(
            "purpose_compatibility",
            title,
            Outcome.PASS,
            article,
            f"The project's purpose is close to the collection purpose ({collected_for}).",
        )
    return Check(
        "purpose_compatibility",
        title,
        Outcome.WARNING,
        article,
        f"The data was collected for another purpose ({collected_for}): the officer must answer whether the "
        "project's purpose is compatible.",
    )


def check_storage_limitation(data: PrecheckInput) -> Check:
    """6. The grant ends no later than the dataset's retention and, in Exploration, than its end."""
    title, article = "Storage limitation", "Art. 5(1)(e)"
    if data.requested_end is None:
        return Check("storage_limitation", title, Outcome.BLOCKING, article, "No requested end date.")
    if data.requested_end < data.today:
        return Check("storage_limitation", title, Outcome.BLOCKING, article, "The requested end date is past.")
    limits = []
    if data.dataset.retention_days:
        retention_end = data.today + timedelta(days=data.dataset.retention_days)
        if data.requested_end > retention_end:
            limits.append(f"the dataset's retention ({data.dataset.retention_days} days, until {retention_end})")
    end = data.exploration_end
    if data.project.stage == Stage.EXPLORATION and end is not None and data.requested_end > end:
        limits.append(f"the end of Exploration ({end})")
    if limits:
        return Check(
            "storage_limitation",
            title,
            Outcome.WARNING,
            article,
            f"The requested end {data.requested_end} is after " + " and ".join(limits) + ": the grant would end "
            "at the earliest of them.",
        )
    return Check(
        "storage_limitation", title, Outcome.PASS, article, f"Access until {data.requested_end} is within the limits."
    )


def check_scoring_profiling(data: PrecheckInput) -> Check:
    """7. Scoring or profiling of people → a DPIA is required before Industrialization."""
    title, article = "Scoring and profiling", "Art. 22, Art. 35(3)(a)"
    answers = data.screening_answers or {}
    scoring = [key for key in SCORING_ANSWERS if answers.get(key)]
    if not scoring or not data.personal:
        return Check("scoring_profiling", title, Outcome.PASS, article, "The project does not score or profile people.")
    if data.dpia_recorded:
        return Check("scoring_profiling", title, Outcome.PASS, article, "Scoring or profiling, with a DPIA recorded.")
    return Check(
        "scoring_profiling",
        title,
        Outcome.WARNING,
        article,
        "The project scores or profiles people: a DPIA is required before Industrialization and none is recorded yet.",
    )


RULES: tuple[Callable[[PrecheckInput], Check], ...] = (
    check_project_stage,
    check_legal_basis,
    check_special_categories,
    check_minimisation,
    check_purpose_compatibility,
    check_storage_limitation,
    check_scoring_profiling,
)


def run_prechecks(data: PrecheckInput) -> list[Check]:
    return [rule(data) for rule in RULES]


# --- Loading the input --------------------------------------------------------------------------------


def dpia_recorded(project: Project) -> bool:
    """A DPIA is recorded when the project's "DPIA done" checklist item has evidence."""
    from projects.models import GateAnswer

    answers = GateAnswer.objects.filter(project=project, item__key=DPIA_ITEM_KEY)
    return any(a.evidence_file or a.value_text or a.value_url or a.value_bool for a in answers)


def exploration_end(project: Project) -> date | None:
    """End of Exploration: the projects app records no planned end, so it is the day the project
    entered Exploration plus ``STALE_POC_DAYS`` (the point where a POC is flagged stale).
    ``None`` unless the project is in Exploration."""
    if project.stage != Stage.EXPLORATION:
        return None
    return timezone.localdate(project.entered_stage_at) + timedelta(days=settings.STALE_POC_DAYS)


def build_input(
    *,
    project: Project,
    dataset: Dataset,
    columns: Sequence[Column],
    purpose: str,
    legal_basis: str,
    art9_condition: str,
    requested_end: date | None,
    justification: str,
    today: date | None = None,
) -> PrecheckInput:
    screening = project.latest_risk_screening()
    return PrecheckInput(
        project=project,
        dataset=dataset,
        columns=list(columns),
        purpose=purpose,
        legal_basis=legal_basis,
        art9_condition=art9_condition,
        requested_end=requested_end,
        justification=justification,
        today=today or timezone.localdate(),
        dpia_recorded=dpia_recorded(project),
        screening_answers=dict(screening.answers) if screening is not None else {},
        exploration_end=exploration_end(project),
    )
