"""Search speed at scale: full reindex time, and search latency and throughput through the API.

    python benchmarks/search_speed.py --wait-quiet 600             # 100,000 datasets, both backends (~25 min)
    python benchmarks/search_speed.py --datasets 2000 --duration 10 --sequential-duration 5   # quick check
    python benchmarks/search_speed.py --database-url postgres://... --elasticsearch-url http://127.0.0.1:9200
    python benchmarks/search_speed.py --database-url postgres://... --reuse-data --no-rebuild --index ALIAS ...

1. Catalog. A fresh PostgreSQL (scripts/postgres.sh, in a temporary directory) unless
   ``--database-url`` names one; ``manage.py load_demo`` (66 glossary terms, users, 18 tags, demo
   datasets), then generated datasets up to ``--datasets`` in all, about ``--columns-per-dataset``
   columns each, written with ``bulk_create`` in chunks (no signals, so nothing is indexed yet).
   Names and descriptions mix English and French business vocabulary; columns come from a pool of
   about 2,000 realistic names; personal-data classes, statuses, owners, tags and glossary
   concepts follow realistic proportions (printed).
2. Reindex. ``catalog.search.sync.rebuild()``: database documents, and a fresh Elasticsearch
   index swapped in under the alias. Timed as a whole and, by wrapping (not editing) the functions
   it calls, split into building documents, storing database documents and Elasticsearch bulk
   indexing (wall time and this process's CPU time). Then ``ANALYZE`` (PostgreSQL), not counted.
3. Search through the API. For each backend, ``gunicorn cadastre.wsgi:application`` (gthread,
   ``--workers`` x ``--threads``, 8 x 1 by default: see the note on ``--threads``) on 127.0.0.1
   with the same environment (``ELASTICSEARCH_URL`` unset for the database backend);
   clients with keep-alive connections (``http.client``, one per thread) send ``GET /api/search/``
   with a token, from a fixed, seeded mix of realistic queries (names, column names, glossary
   concepts in French and English, typos, missing accents, facet filters, pages 1 and 2). Warm-up
   (``--warmup`` s), then one client (``--sequential-duration`` s), then ``--clients`` concurrent
   clients for ``--duration`` seconds.
   Latency is measured by the client, from sending the request to having read the whole response.
   An error is any non-200 answer, a connection failure, or an answer from the wrong backend or
   ``degraded``.
4. Where the time goes. In-process, for the same mix: the phases of a search (expansion, backend
   query, facet labels, serialisation, whole view without HTTP), Elasticsearch's own ``took``, SQL
   queries per request, and the top functions of a cProfile.

The machine may be shared: each measurement also reports the CPU used by the benchmark's own
processes (this one, gunicorn, and the PostgreSQL and Elasticsearch it started) and by the others;
``--wait-quiet SECONDS`` waits before each measurement for the others to leave the CPU.

Elasticsearch is a node started here (tests/services.py, heap ``--es-heap``) unless
``--elasticsearch-url`` names one. Everything generated lives in temporary directories, removed
at the end (``--keep`` keeps the services running and prints how to reach them).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import functools
import http.client
import io
import json
import logging
import math
import os
import platform
import pstats
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=100_000, help="datasets in the catalog, demo ones included")
    parser.add_argument("--columns-per-dataset", type=int, default=20, help="average columns per generated dataset")
    parser.add_argument("--backend", choices=["elasticsearch", "database", "both"], default="both")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of the concurrent run (max 60)")
    parser.add_argument("--sequential-duration", type=float, default=15.0, help="seconds of the single-client run")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds of concurrent warm-up")
    # One thread per worker, as in the first measurements (comparable figures). Until 2026-11-22 the
    # Snowball stemmers of catalog.search.analysis were shared, stateful objects (several threads
    # per worker gave wrong stems and 500s); they are per thread now. A keep-alive connection stays
    # with the worker that accepted it, so there are as many workers as clients.
    parser.add_argument("--workers", type=int, default=8, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (gthread)")
    parser.add_argument("--database-url", help="use this (empty or --reuse-data) database instead of starting one")
    parser.add_argument("--elasticsearch-url", help="use this node instead of starting one")
    parser.add_argument("--es-heap", default="1g", help="heap of the node started here (default 1g)")
    parser.add_argument("--pg-setting", action="append", default=[], metavar="NAME=VALUE",
                        help="server setting of the PostgreSQL started here (repeatable)")  # fmt: skip
    parser.add_argument("--reuse-data", action="store_true", help="the database already holds the catalog")
    parser.add_argument("--no-rebuild", action="store_true", help="skip the reindex (index already built)")
    parser.add_argument("--index", help="Elasticsearch alias (default: a new one, deleted at the end)")
    parser.add_argument("--no-profile", action="store_true", help="skip the in-process phase timing and cProfile")
    parser.add_argument("--no-api", action="store_true", help="skip the load test through gunicorn (in process only)")
    parser.add_argument("--reindex-only", action="store_true", help="stop after the reindex (no search measurement)")
    parser.add_argument("--profile-searches", type=int, default=60, help="searches of the in-process phase timing")
    parser.add_argument("--keep", action="store_true", help="leave PostgreSQL/Elasticsearch running and the data")
    parser.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                        help="before each measurement, wait up to this long for a quiet machine")  # fmt: skip
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.duration > 60 or args.sequential_duration > 60 or args.warmup > 60:
        parser.error("runs are bounded: --duration, --sequential-duration and --warmup are at most 60 s")
    if args.reuse_data and not args.database_url:
        parser.error("--reuse-data needs --database-url")
    return args


# --- Services --------------------------------------------------------------------------------------


@contextlib.contextmanager
def postgres(url: str | None, settings: list[str], *, keep: bool) -> Iterator[str]:
    """The given DATABASE_URL, or a throwaway PostgreSQL started by scripts/postgres.sh."""
    if url:
        yield url
        return
    directory = tempfile.mkdtemp(prefix="cadastre-speed-pg.")
    script = [str(ROOT / "scripts" / "postgres.sh")]
    extra = [arg for setting in settings for arg in ("-c", setting)]
    try:
        output = subprocess.run(
            [*script, "start", "--dir", directory, *extra], check=True, capture_output=True, text=True
        ).stdout
        SERVICES["PostgreSQL"] = int((Path(directory) / "pgdata" / "postmaster.pid").read_text().split()[0])
        yield next(line.split("=", 1)[1] for line in output.splitlines() if line.startswith("DATABASE_URL="))
    finally:
        if keep:
            print(f"PostgreSQL left running: scripts/postgres.sh stop --dir {directory}")
        else:
            subprocess.run([*script, "stop", "--dir", directory], check=False)
            shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def elasticsearch(url: str | None, heap: str, *, keep: bool) -> Iterator[str]:
    """The given node, or a single node started by tests.services.elasticsearch_node."""
    if url:
        yield url
        return
    os.environ.setdefault("ES_JAVA_OPTS", f"-Xms{heap} -Xmx{heap}")
    from tests.services import ElasticsearchNode, elasticsearch_node

    if keep:
        node = ElasticsearchNode(state_dir=Path(tempfile.mkdtemp(prefix="cadastre-es.", dir=tempfile.gettempdir())))
        node.start()
        print(f"Elasticsearch left running: scripts/elasticsearch.sh stop --state-dir {node.state_dir}")
        SERVICES["Elasticsearch"] = int((node.state_dir / "pid").read_text())
        yield node.url
        return
    with elasticsearch_node() as node:
        SERVICES["Elasticsearch"] = int((node.state_dir / "pid").read_text())
        yield node.url


# --- Vocabulary of the generated catalog ------------------------------------------------------------

DOMAINS: dict[str, tuple[int, tuple[str, ...]]] = {
    # domain: (weight, glossary concepts its datasets are about)
    "customer": (15, ("party", "customer", "prospect", "household", "guarantor", "kyc", "customer-segment")),
    "payments": (18, ("customer-payment", "card-payment", "chargeback", "direct-debit", "direct-debit-mandate",
                      "transfer", "instant-transfer", "standing-order", "cheque", "cash-withdrawal", "merchant",
                      "iban")),
    "credit": (15, ("loan", "mortgage", "consumer-credit", "loan-application", "repayment-schedule", "collateral",
                    "income", "overdraft", "borrower-insurance")),
    "risk": (12, ("credit-score", "probability-of-default", "default", "over-indebtedness", "expected-credit-loss",
                  "fraud", "account-takeover")),
    "marketing": (10, ("campaign", "campaign-response", "churn", "customer-segment", "customer-lifetime-value",
                       "net-promoter-score", "digital-session")),
    "hr": (6, ("employee", "absence", "sick-leave", "paid-leave", "payroll", "trade-union", "recruitment")),
    "finance": (8, ("net-banking-income", "general-ledger", "supplier", "balance", "account")),
    "operations": (10, ("branch", "operational-incident", "complaint", "policy", "premium", "claim")),
    "compliance": (6, ("aml", "suspicious-activity-report", "sanctions-screening", "kyc", "pep", "consent",
                       "data-subject-request")),
}  # fmt: skip

# Business words of each domain (English, French), for names and descriptions beside the concepts.
DOMAIN_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "customer": (("customer", "client", "household", "contact", "address", "identity", "onboarding"),
                 ("client", "foyer", "contact", "adresse", "identité", "entrée en relation", "tiers")),
    "payments": (("payment", "card payment", "transfer", "direct debit", "transaction", "merchant", "SEPA"),
                 ("paiement", "paiement carte", "virement", "prélèvement", "opération", "commerçant", "SEPA")),
    "credit": (("loan", "mortgage", "consumer credit", "instalment", "collateral", "repayment"),
               ("prêt", "crédit immobilier", "crédit conso", "échéance", "garantie", "remboursement")),
    "risk": (("risk", "credit score", "default", "exposure", "rating", "fraud", "provision"),
             ("risque", "score", "défaut", "exposition", "notation", "fraude", "provision")),
    "marketing": (("campaign", "offer", "churn", "segment", "lead", "web session"),
                  ("campagne", "offre", "attrition", "segment", "prospect", "session web")),
    "hr": (("employee", "payroll", "absence", "training", "headcount", "recruitment"),
           ("salarié", "paie", "absence", "formation", "effectif", "recrutement")),
    "finance": (("ledger", "invoice", "cost", "budget", "accounting entry", "revenue"),
                ("grand livre", "facture", "coût", "budget", "écriture comptable", "produit")),
    "operations": (("contract", "insurance policy", "claim", "premium", "complaint", "incident", "branch"),
                   ("contrat", "contrat d'assurance", "sinistre", "cotisation", "réclamation", "incident",
                    "agence")),
    "compliance": (("AML alert", "sanctions", "KYC review", "consent", "audit", "regulatory report"),
                   ("alerte LCB-FT", "sanctions", "revue KYC", "consentement", "contrôle", "reporting réglementaire")),
}  # fmt: skip

QUALIFIERS = (
    ("history", "daily extract", "monthly snapshot", "events", "referential", "aggregates", "features", "scores",
     "detail", "summary", "log", "backlog", "staging", "archive", "weekly report", "master data", "movements",
     "cohort", "dashboard feed", "quality checks"),
    ("historique", "extraction quotidienne", "photo mensuelle", "événements", "référentiel", "agrégats",
     "indicateurs", "détail", "synthèse", "journal", "stock", "archive", "reporting hebdomadaire",
     "données de référence", "mouvements", "cohorte", "flux", "contrôles qualité"),
)  # fmt: skip
SCOPES = (
    ("retail", "corporate", "private banking", "SME", "web", "mobile", "branch network", "France", "Île-de-France",
     "North", "South-West", "group", "subsidiary", "Belgium", "Luxembourg"),
    ("particuliers", "entreprises", "banque privée", "PME", "web", "mobile", "réseau d'agences", "France",
     "Île-de-France", "Nord", "Sud-Ouest", "groupe", "filiale", "Belgique", "Luxembourg"),
)  # fmt: skip
SYSTEMS = (
    "Core banking (SAB)", "Temenos T24", "Salesforce CRM", "SAP FI", "SAP HCM", "Murex", "Cards switch", "SEPA hub",
    "Fraud engine", "Data lake", "Web analytics", "Call centre", "Guidewire ClaimCenter", "Policy admin", "Workday",
    "Collections", "Risk datamart", "Marketing automation", "Mainframe batch", "Kafka events",
)  # fmt: skip
TEAMS = (
    ("data lab", "credit risk", "marketing analytics", "finance control", "fraud prevention", "HR analytics",
     "compliance", "payments operations", "actuarial"),
    ("data lab", "risque de crédit", "marketing", "contrôle de gestion", "lutte contre la fraude", "RH",
     "conformité", "exploitation des paiements", "actuariat"),
)  # fmt: skip
USES = (
    ("score loan applications", "monitor churn", "build the monthly reporting", "train fraud models",
     "reconcile the general ledger", "answer regulator requests", "segment customers", "forecast cash needs",
     "price insurance policies", "follow complaints"),
    ("scorer les demandes de prêt", "suivre l'attrition", "produire le reporting mensuel",
     "entraîner les modèles de fraude", "rapprocher le grand livre", "répondre aux demandes du régulateur",
     "segmenter la clientèle", "prévoir la trésorerie", "tarifer les contrats d'assurance", "suivre les réclamations"),
)  # fmt: skip
CAVEATS = (
    ("amounts before 2019 are in old accounting codes", "a few late deliveries each quarter",
     "duplicates possible on migration days", "the channel is missing for older rows",
     "closed accounts are kept for ten years"),
    ("les montants avant 2019 suivent l'ancien plan de comptes", "quelques livraisons en retard chaque trimestre",
     "doublons possibles les jours de migration", "le canal manque sur les lignes anciennes",
     "les comptes clos sont conservés dix ans"),
)  # fmt: skip
ROW_ENTITIES = (
    ("customer", "account", "card", "transaction", "loan", "contract", "claim", "employee", "contact", "session",
     "invoice", "branch"),
    ("client", "compte", "carte", "opération", "prêt", "contrat", "sinistre", "salarié", "contact", "session",
     "facture", "agence"),
)  # fmt: skip
PERIODS = (("day", "month", "week", "event", "quarter"), ("jour", "mois", "semaine", "événement", "trimestre"))

EXTRA_TAGS = (
    "gold", "silver", "bronze", "certified", "needs review", "hourly", "monthly", "quarterly", "yearly", "intraday",
    "team credit risk", "team fraud", "team marketing", "team finance", "team hr", "team payments",
    "team compliance", "team actuarial", "france", "belgium", "luxembourg", "spain", "italy", "ile-de-france",
    "overseas", "project churn 2025", "project ecl refresh", "project kyc remediation", "project sepa migration",
    "project nps", "project pricing", "project collections", "project open banking", "project esg", "sap",
    "salesforce", "temenos", "murex", "guidewire", "workday", "kafka", "datalake", "mainframe", "excel upload",
    "kpi", "dashboard source", "feature store", "training set", "test data", "sample", "snapshot", "pii",
    "gdpr reviewed", "dpia done", "retention 5y", "retention 10y", "cross-border", "cloud", "on-premise",
    "confidential", "internal", "restricted", "public", "esg", "climate risk", "ifrs 17", "solvency ii", "bcbs 239",
    "anacredit", "finrep", "corep", "lcr", "sepa", "swift", "instant payments", "open banking", "api", "cdc",
    "history", "master data", "data contract", "sla 24h", "manual fixes", "migrated 2024", "to be archived",
)  # fmt: skip

FIRST_NAMES = (
    "Léa", "Hugo", "Chloé", "Louis", "Manon", "Gabriel", "Inès", "Arthur", "Jade", "Jules", "Sarah", "Nathan",
    "Emma", "Lucas", "Zoé", "Thomas", "Clara", "Maxime", "Julie", "Antoine", "Laura", "Nicolas", "Sophie",
    "Pierre", "Marie", "James", "Olivia", "Daniel", "Grace", "Samuel", "Amélie", "Yannick",
)  # fmt: skip
LAST_NAMES = (
    "Dubois", "Lambert", "Bonnet", "François", "Girard", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Faure",
    "Chevalier", "Robin", "Clément", "Morel", "Fontaine", "Rousseau", "Vincent", "Muller", "Smith", "Taylor",
    "Brown", "Wilson", "Perrin", "Masson", "Marchand", "Duval", "Denis", "Lemoine", "Picard",
)  # fmt: skip

# --- Column pool ------------------------------------------------------------------------------------

EN_ENTITIES = (
    "customer", "account", "card", "payment", "transfer", "loan", "contract", "policy", "claim", "premium",
    "merchant", "branch", "employee", "advisor", "campaign", "offer", "session", "transaction", "invoice",
    "supplier", "household", "product", "collateral", "mandate", "cheque", "segment", "incident", "complaint",
    "consent", "device", "order", "fee", "rate", "limit", "score", "exposure", "provision", "instalment",
    "application", "beneficiary", "guarantor", "channel", "portfolio", "ledger", "cost_centre", "contact",
)  # fmt: skip
EN_ATTRIBUTES = (
    "id", "code", "name", "label", "type", "status", "amount", "date", "start_date", "end_date", "created_at",
    "updated_at", "count", "rate", "flag", "category", "currency", "country", "channel", "reference", "number",
    "score", "balance", "limit", "duration_months", "region",
)  # fmt: skip
FR_ENTITIES = (
    "client", "compte", "carte", "paiement", "virement", "pret", "contrat", "sinistre", "prime", "commercant",
    "agence", "salarie", "conseiller", "campagne", "offre", "operation", "facture", "fournisseur", "foyer",
    "produit", "garantie", "mandat", "echeance", "cotisation", "adhesion", "reclamation", "dossier", "souscription",
    "remboursement", "impaye",
)  # fmt: skip
FR_ATTRIBUTES = (
    "id", "code", "libelle", "type", "statut", "montant", "date", "date_debut", "date_fin", "date_creation", "nb",
    "taux", "indicateur", "categorie", "devise", "pays", "canal", "reference", "numero", "duree_mois", "region",
    "solde",
)  # fmt: skip
ATTRIBUTE_TYPES = {
    "amount": "float", "rate": "float", "score": "float", "balance": "float", "limit": "float", "montant": "float",
    "taux": "float", "solde": "float", "count": "integer", "nb": "integer", "duration_months": "integer",
    "duree_mois": "integer", "date": "date", "start_date": "date", "end_date": "date", "date_debut": "date",
    "date_fin": "date", "created_at": "datetime", "updated_at": "datetime", "date_creation": "datetime",
    "flag": "boolean", "indicateur": "boolean",
}  # fmt: skip
ATTRIBUTE_PHRASES = {
    "id": ("Identifier of the {e}", "Identifiant du {e}"), "code": ("Code of the {e}", "Code du {e}"),
    "name": ("Name of the {e}", ""), "label": ("Label of the {e}", ""), "libelle": ("", "Libellé du {e}"),
    "type": ("Type of {e}", "Type de {e}"), "status": ("Current status of the {e}", ""),
    "statut": ("", "Statut du {e}"), "amount": ("Amount of the {e} in euros", ""),
    "montant": ("", "Montant du {e} en euros"), "date": ("Business date of the {e}", "Date du {e}"),
    "start_date": ("Date the {e} starts", ""), "date_debut": ("", "Date de début du {e}"),
    "end_date": ("Date the {e} ends, empty while active", ""), "date_fin": ("", "Date de fin du {e}"),
    "created_at": ("When the {e} was created in the source system", ""),
    "date_creation": ("", "Date de création du {e} dans le système source"),
    "rate": ("Rate of the {e}, in percent", ""), "taux": ("", "Taux du {e}, en pourcentage"),
    "currency": ("ISO 4217 currency of the {e}", ""), "devise": ("", "Devise ISO 4217 du {e}"),
    "channel": ("Channel through which the {e} came: branch, web, mobile, phone", ""),
    "canal": ("", "Canal du {e} : agence, web, mobile, téléphone"),
    "balance": ("Balance of the {e} at the end of the day", ""), "solde": ("", "Solde du {e} en fin de journée"),
    "score": ("Model score of the {e}, from 0 to 1000", ""), "flag": ("True when the {e} is active", ""),
    "indicateur": ("", "Vrai si le {e} est actif"),
}  # fmt: skip
INDIRECT_KEYS = {"customer", "employee", "advisor", "beneficiary", "guarantor", "household", "client", "salarie",
                 "conseiller", "foyer", "device"}  # fmt: skip
KEY_CONCEPTS = {
    "customer": "customer", "client": "customer", "account": "account", "compte": "account", "loan": "loan",
    "pret": "loan", "merchant": "merchant", "commercant": "merchant", "employee": "employee", "salarie": "employee",
    "claim": "claim", "sinistre": "claim", "policy": "policy", "contrat": "policy", "campaign": "campaign",
    "campagne": "campaign", "branch": "branch", "agence": "branch", "premium": "premium", "prime": "premium",
    "complaint": "complaint", "reclamation": "complaint", "mandate": "direct-debit-mandate", "mandat":
    "direct-debit-mandate", "household": "household", "foyer": "household", "supplier": "supplier",
    "fournisseur": "supplier", "collateral": "collateral", "garantie": "collateral",
}  # fmt: skip
DOMAIN_ENTITIES = {
    "customer": ("customer", "household", "contact", "segment", "consent", "device", "client", "foyer", "dossier"),
    "payments": ("payment", "transfer", "card", "merchant", "transaction", "mandate", "cheque", "fee", "account",
                 "paiement", "virement", "carte", "commercant", "operation", "mandat", "compte"),
    "credit": ("loan", "application", "instalment", "collateral", "rate", "limit", "guarantor", "pret",
               "echeance", "garantie", "remboursement", "impaye", "dossier"),
    "risk": ("score", "exposure", "provision", "limit", "portfolio", "customer", "loan", "client", "impaye"),
    "marketing": ("campaign", "offer", "session", "segment", "channel", "product", "campagne", "offre", "produit",
                  "souscription"),
    "hr": ("employee", "advisor", "branch", "salarie", "conseiller", "agence"),
    "finance": ("ledger", "invoice", "supplier", "cost_centre", "fee", "product", "facture", "fournisseur",
                "operation"),
    "operations": ("contract", "policy", "claim", "premium", "incident", "complaint", "branch", "contrat",
                   "sinistre", "prime", "cotisation", "adhesion", "reclamation", "agence"),
    "compliance": ("customer", "transaction", "consent", "complaint", "incident", "client", "operation",
                   "reclamation", "dossier"),
}  # fmt: skip
# Personal columns: name, type, class, description.
PERSONAL_COLUMNS: tuple[tuple[str, str, str, str], ...] = (
    ("first_name", "string", "direct", "First name."), ("last_name", "string", "direct", "Last name."),
    ("full_name", "string", "direct", "First and last name."), ("email", "string", "direct", "Personal email."),
    ("phone_mobile", "string", "direct", "Mobile phone number, E.164."), ("phone_home", "string", "direct", ""),
    ("address_line", "string", "direct", "Street number and name."), ("iban", "string", "direct", "IBAN."),
    ("card_pan", "string", "direct", "Card number (PAN), masked in extracts."),
    ("nir", "string", "direct", "French social-security number."), ("tax_id", "string", "direct", ""),
    ("nom", "string", "direct", "Nom de naissance."), ("prenom", "string", "direct", "Prénom."),
    ("adresse", "string", "direct", "Adresse postale."), ("telephone", "string", "direct", ""),
    ("courriel", "string", "direct", "Adresse électronique."), ("numero_secu", "string", "direct", "NIR."),
    ("birth_date", "date", "indirect", "Date of birth."), ("birth_year", "integer", "indirect", ""),
    ("birth_place", "string", "indirect", ""), ("gender", "string", "indirect", "Gender as declared."),
    ("nationality", "string", "indirect", ""), ("postcode", "string", "indirect", "Postcode of the address."),
    ("city", "string", "indirect", ""), ("card_pan_hash", "string", "indirect", "Keyed hash of the card number."),
    ("ip_address", "string", "indirect", "IP address of the session."), ("device_id", "string", "indirect", ""),
    ("cookie_id", "string", "indirect", ""), ("geoloc_lat", "float", "indirect", ""),
    ("geoloc_lon", "float", "indirect", ""), ("marital_status", "string", "indirect", ""),
    ("children_count", "integer", "indirect", ""), ("income_monthly", "float", "indirect", "Declared net income."),
    ("job_title", "string", "indirect", ""), ("date_naissance", "date", "indirect", "Date de naissance."),
    ("code_postal", "string", "indirect", ""), ("ville", "string", "indirect", ""),
    ("revenu_mensuel", "float", "indirect", "Revenu net déclaré."), ("employer_name", "string", "indirect", ""),
)  # fmt: skip
SPECIAL_COLUMNS: tuple[tuple[str, str, str, str], ...] = (
    ("health_condition", "string", "special", "Health condition declared for borrower insurance."),
    ("disability_flag", "boolean", "special", ""), ("sick_leave_reason", "string", "special", "Reason of sick leave."),
    ("union_member", "boolean", "special", "Trade-union membership (payroll deduction)."),
    ("union_name", "string", "special", ""), ("motif_arret_maladie", "string", "special", "Motif de l'arrêt."),
)  # fmt: skip
CRIMINAL_COLUMNS: tuple[tuple[str, str, str, str], ...] = (
    ("criminal_record_flag", "boolean", "criminal", "Known conviction, from the fraud investigation unit."),
    ("offence_code", "string", "criminal", ""), ("conviction_date", "date", "criminal", ""),
)  # fmt: skip
TECH_COLUMNS = ("etl_batch_id", "load_ts", "source_file", "row_hash", "is_deleted", "valid_from", "valid_to",
                "snapshot_date", "partition_key", "ingestion_date", "record_version")  # fmt: skip


def camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


@dataclass(frozen=True)
class PoolColumn:
    name: str
    data_type: str
    pdc: str
    description: str
    entity: str = ""


def column_pool(rng: random.Random) -> tuple[list[PoolColumn], dict[str, list[PoolColumn]]]:
    """About 2,000 realistic column names (some camelCase), and those of each entity."""
    pool: list[PoolColumn] = []
    by_entity: dict[str, list[PoolColumn]] = defaultdict(list)
    for entities, attributes, lang in ((EN_ENTITIES, EN_ATTRIBUTES, 0), (FR_ENTITIES, FR_ATTRIBUTES, 1)):
        for entity in entities:
            for attribute in attributes:
                name = f"{entity}_{attribute}"
                if rng.random() < 0.12:
                    name = camel(name)
                pdc = "indirect" if attribute == "id" and entity in INDIRECT_KEYS else "none"
                if entity == "card" and attribute == "number":
                    pdc = "direct"
                phrase = ATTRIBUTE_PHRASES.get(attribute, ("", ""))[lang]
                description = phrase.format(e=entity.replace("_", " ")) + "." if phrase else ""
                column = PoolColumn(name, ATTRIBUTE_TYPES.get(attribute, "string"), pdc, description, entity)
                pool.append(column)
                by_entity[entity].append(column)
    for name, data_type, pdc, description in (*PERSONAL_COLUMNS, *SPECIAL_COLUMNS, *CRIMINAL_COLUMNS):
        variants = [name]
        if pdc == "direct" and name in ("first_name", "last_name", "email", "phone_mobile", "address_line"):
            variants += [f"{who}_{name}" for who in ("customer", "employee", "beneficiary", "guarantor")]
        pool += [PoolColumn(v, data_type, pdc, description) for v in variants]
    pool += [PoolColumn(name, "string", "none", "") for name in TECH_COLUMNS]
    return pool, by_entity


# --- Generation -------------------------------------------------------------------------------------


def zipf_weights(n: int, s: float = 0.9) -> list[float]:
    return [1 / (rank**s) for rank in range(1, n + 1)]


def ascii_fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def description(rng: random.Random, lang: int, topic: str, qualifier: str, scope: str) -> str:
    """A plain-text (Markdown-free) description of 15 to 40 words."""
    en = lang == 0
    pick = rng.choice
    sentences = [
        (f"{qualifier.capitalize()} of {topic} for {scope} customers, taken from {pick(SYSTEMS)}."
         if en else f"{qualifier.capitalize()} des {topic} pour le périmètre {scope}, issu de {pick(SYSTEMS)}."),
        (f"One row per {pick(ROW_ENTITIES[0])} and {pick(PERIODS[0])}, with amounts in euros and the channel."
         if en else f"Une ligne par {pick(ROW_ENTITIES[1])} et par {pick(PERIODS[1])}, montants en euros et canal."),
        (f"Used by the {pick(TEAMS[0])} team to {pick(USES[0])}."
         if en else f"Utilisé par l'équipe {pick(TEAMS[1])} pour {pick(USES[1])}."),
        (f"Known issue: {pick(CAVEATS[0])}." if en else f"Point d'attention : {pick(CAVEATS[1])}."),
        (f"Covers {rng.randint(2012, 2020)} to {rng.randint(2021, 2026)}, refreshed by the overnight batch."
         if en else f"Couvre {rng.randint(2012, 2020)} à {rng.randint(2021, 2026)}, alimenté par le batch de nuit."),
    ]  # fmt: skip
    first, rest = sentences[0], sentences[1:]
    rng.shuffle(rest)
    target = rng.randint(15, 40)
    words: list[str] = []
    for sentence in (first, *rest):
        words += sentence.split()
        if len(words) >= target:
            break
    text = " ".join(words[:target])
    return text if text.endswith(".") else text.rstrip(",;:") + "."


@dataclass
class Catalog:
    """What was generated, for the query mix and the printed proportions."""

    datasets: int = 0
    columns: int = 0
    names: list[str] = field(default_factory=list)  # a sample of dataset names
    column_names: list[str] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    classes: Counter[str] = field(default_factory=Counter)
    sensitivity: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


def generate(total: int, columns_per_dataset: int, *, seed: int, log: Callable[[str], None]) -> Catalog:
    """Bulk-create datasets (with columns, tags, concepts) until the catalog holds ``total``."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils.text import slugify

    from catalog.models import SENSITIVITY_RANK, Column, Dataset, GlossaryTerm, RefreshFrequency, Tag

    started = time.perf_counter()
    rng = random.Random(seed)
    catalog = Catalog()
    existing = Dataset.objects.count()
    to_create = max(0, total - existing)
    user_model = get_user_model()
    user_model.objects.bulk_create(
        [
            user_model(
                username=f"{ascii_fold(first).lower()}.{ascii_fold(last).lower().replace(' ', '')}{i}",
                first_name=first,
                last_name=last,
                email=f"user{i}@cadastre.example",
                password=make_password(None),
            )
            for i, (first, last) in enumerate(
                zip(rng.sample(FIRST_NAMES * 2, 42), rng.sample(LAST_NAMES * 2, 42), strict=True)
            )
        ],
        ignore_conflicts=True,
    )
    owners = list(user_model.objects.order_by("id").values_list("id", flat=True))
    owner_weights = zipf_weights(len(owners), 0.7)
    known_tags = set(Tag.objects.values_list("name", flat=True))
    Tag.objects.bulk_create(
        [Tag(name=n, slug=slugify(n)) for n in EXTRA_TAGS if n not in known_tags][: max(0, 100 - len(known_tags))],
        ignore_conflicts=True,
    )
    tag_ids = list(Tag.objects.order_by("id").values_list("id", flat=True))
    rng.shuffle(tag_ids)
    tag_weights = zipf_weights(len(tag_ids), 0.8)
    terms = {t.slug: t for t in GlossaryTerm.objects.all()}
    pool, by_entity = column_pool(rng)
    catalog.column_names = [c.name for c in pool]
    plain = [c for c in pool if c.pdc == "none" and c.entity]
    indirect = [c for c in pool if c.pdc == "indirect"]
    direct = [c for c in pool if c.pdc == "direct"]
    special = [c for c in pool if c.pdc == "special"]
    criminal = [c for c in pool if c.pdc == "criminal"]
    tech = [c for c in pool if not c.entity and c.pdc == "none"]
    domains = list(DOMAINS)
    domain_weights = [DOMAINS[d][0] for d in domains]
    personal_odds = {"customer": 0.85, "hr": 0.85, "marketing": 0.6, "credit": 0.6, "payments": 0.5,
                     "compliance": 0.6, "risk": 0.4, "operations": 0.45, "finance": 0.15}  # fmt: skip
    special_odds = {"hr": 0.08, "operations": 0.03, "credit": 0.01}
    criminal_odds = {"compliance": 0.05, "risk": 0.02}
    formats, format_weights = ["table", "parquet", "csv", "json", "other"], [35, 30, 25, 7, 3]
    statuses, status_weights = ["published", "draft", "deprecated"], [80, 14, 6]
    frequencies = [f.value for f in RefreshFrequency]
    chunk = 2000
    created = 0
    log(f"generating {to_create:,} datasets ({existing} already there) in chunks of {chunk}")
    while created < to_create:
        size = min(chunk, to_create - created)
        datasets: list[Dataset] = []
        plans: list[dict[str, Any]] = []
        for _ in range(size):
            n = existing + created + len(datasets) + 1
            domain = rng.choices(domains, domain_weights)[0]
            lang = 0 if rng.random() < 0.55 else 1
            concept = terms[rng.choice(DOMAINS[domain][1])]
            synonyms = concept.synonyms_en if lang == 0 else concept.synonyms_fr
            label = concept.label_en if lang == 0 else concept.label_fr
            topic = rng.choice(synonyms) if synonyms and rng.random() < 0.2 else label
            if rng.random() < 0.35:
                topic = f"{topic} {rng.choice(DOMAIN_WORDS[domain][lang])}"
            qualifier = rng.choice(QUALIFIERS[lang])
            scope = rng.choice(SCOPES[lang])
            year = rng.randint(2015, 2026)
            style = rng.random()
            if style < 0.2:
                system = rng.choice(("crm", "dwh", "lake", "sab", "sap", "ods", "dm"))
                name = "_".join([system, *re.findall(r"\w+", ascii_fold(f"{topic} {qualifier}").lower()),
                                 str(year), f"{n:06d}"])  # fmt: skip
            elif lang == 0:
                name = f"{topic[:1].upper()}{topic[1:]} {qualifier} – {scope} {year} #{n:06d}"
            else:
                name = f"{qualifier.capitalize()} {topic.lower()} – {scope} {year} #{n:06d}"
            slug = slugify(name)[:190].strip("-") or f"dataset-{n}"
            status = rng.choices(statuses, status_weights)[0]
            fmt = rng.choices(formats, format_weights)[0]
            location = (f"postgresql://dwh/{domain}.{slug[:60].replace('-', '_')}" if fmt == "table"
                        else f"s3://datalake/{domain}/{slug[:80]}/")  # fmt: skip
            datasets.append(
                Dataset(
                    name=name,
                    slug=slug,
                    description=description(rng, lang, topic.lower(), qualifier, scope),
                    domain=domain,
                    source_system=rng.choice(SYSTEMS),
                    location=location,
                    format=fmt,
                    owner_id=rng.choices(owners, owner_weights)[0],
                    steward_id=rng.choice(owners) if rng.random() < 0.6 else None,
                    refresh_frequency=rng.choice(frequencies),
                    status=status,
                )
            )
            # Columns: a key, columns of the domain's entities, personal data by the domain's odds.
            k = rng.randint(max(1, columns_per_dataset // 2), max(1, columns_per_dataset * 3 // 2))
            entities = DOMAIN_ENTITIES[domain]
            chosen: dict[str, PoolColumn] = {}
            key_entity = rng.choice(entities)
            key = next((c for c in by_entity[key_entity] if c.name.lower().endswith("id")), None)
            if key is not None:
                chosen[key.name] = key
            if rng.random() < personal_odds[domain]:
                for column in rng.sample(indirect, rng.randint(1, 3)):
                    chosen.setdefault(column.name, column)
                if rng.random() < 0.4:
                    for column in rng.sample(direct, rng.randint(1, 3)):
                        chosen.setdefault(column.name, column)
            if rng.random() < special_odds.get(domain, 0.001):
                column = rng.choice(special)
                chosen.setdefault(column.name, column)
            if rng.random() < criminal_odds.get(domain, 0.0):
                column = rng.choice(criminal)
                chosen.setdefault(column.name, column)
            if rng.random() < 0.3:
                for column in rng.sample(tech, rng.randint(1, 3)):
                    chosen.setdefault(column.name, column)
            while len(chosen) < k:
                column = rng.choice(by_entity[rng.choice(entities)]) if rng.random() < 0.75 else rng.choice(plain)
                chosen.setdefault(column.name, column)
            concepts = {concept.pk} if rng.random() < 0.7 else set()
            for _ in range(rng.choice((0, 0, 1, 1, 2))):
                concepts.add(terms[rng.choice(DOMAINS[domain][1])].pk)
            plans.append(
                {
                    "columns": list(chosen.values()),
                    "key_concept": KEY_CONCEPTS.get(key_entity) if key is not None and rng.random() < 0.5 else None,
                    "concepts": concepts,
                    "tags": set(rng.choices(tag_ids, tag_weights, k=rng.choice((0, 1, 1, 2, 2, 3, 4)))),
                }
            )
            catalog.statuses[status] += 1
            if len(catalog.names) < 5000 and rng.random() < 0.05:
                catalog.names.append(name)
        with transaction.atomic():
            Dataset.objects.bulk_create(datasets)
            columns: list[Column] = []
            key_columns: list[tuple[int, str]] = []  # (index in columns, concept slug)
            for dataset, plan in zip(datasets, plans, strict=True):
                rank = 0
                for position, spec in enumerate(plan["columns"]):
                    if position == 0 and plan["key_concept"]:
                        key_columns.append((len(columns), plan["key_concept"]))
                    columns.append(
                        Column(
                            dataset_id=dataset.pk,
                            name=spec.name,
                            position=position,
                            data_type=spec.data_type,
                            description=spec.description if spec.description and rng.random() < 0.3 else "",
                            personal_data_class=spec.pdc,
                            pseudonymised=spec.name.endswith("_hash"),
                        )
                    )
                    catalog.classes[spec.pdc] += 1
                    rank = max(rank, SENSITIVITY_RANK[spec.pdc])
                catalog.sensitivity[next(c for c, r in SENSITIVITY_RANK.items() if r == rank)] += 1
            Column.objects.bulk_create(columns, batch_size=5000)
            Dataset.tags.through.objects.bulk_create(
                [Dataset.tags.through(dataset_id=d.pk, tag_id=t) for d, p in zip(datasets, plans, strict=True)
                 for t in p["tags"]],
                batch_size=5000,
            )  # fmt: skip
            Dataset.glossary_terms.through.objects.bulk_create(
                [Dataset.glossary_terms.through(dataset_id=d.pk, glossaryterm_id=t)
                 for d, p in zip(datasets, plans, strict=True) for t in p["concepts"]],
                batch_size=5000,
            )  # fmt: skip
            Column.glossary_terms.through.objects.bulk_create(
                [Column.glossary_terms.through(column_id=columns[i].pk, glossaryterm_id=terms[slug].pk)
                 for i, slug in key_columns if slug in terms],
                batch_size=5000,
            )  # fmt: skip
        created += size
        catalog.columns += len(columns)
        if created % 20_000 < chunk or created == to_create:
            elapsed = time.perf_counter() - started
            log(f"  {created:,}/{to_create:,} datasets, {catalog.columns:,} columns, {elapsed:.0f} s")
    catalog.datasets = Dataset.objects.count()
    catalog.seconds = time.perf_counter() - started
    if not catalog.names:
        catalog.names = list(Dataset.objects.order_by("?").values_list("name", flat=True)[:200])
    return catalog


# --- CPU accounting -----------------------------------------------------------------------------
# The machine may be shared: besides wall time, count the CPU time the benchmark's own stack used
# (this process and its children, i.e. gunicorn, plus the PostgreSQL and Elasticsearch servers it
# started) and how busy the whole machine was.

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _processes() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds used by it and its children it has reaped), for every process
    (counting reaped children keeps the CPU of exited workers and database backends)."""
    found: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[int(entry.name)] = (int(fields[1]), sum(int(f) for f in fields[11:15]) / CLOCK_TICKS)
    return found


def stack_cpu(roots: list[int]) -> float:
    """CPU seconds used so far by the live processes under ``roots`` (included)."""
    processes = _processes()
    children: dict[int, list[int]] = defaultdict(list)
    for pid, (parent, _) in processes.items():
        children[parent].append(pid)
    total, todo, seen = 0.0, [r for r in roots if r in processes], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += processes[pid][1]
        todo += children.get(pid, [])
    return total


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / CLOCK_TICKS, sum(values) / CLOCK_TICKS


SERVICES: dict[str, int] = {}  # name -> pid of the servers started here (PostgreSQL, Elasticsearch, gunicorn)


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system  # this process only (the clients, the in-process work)


def _group_cpu() -> dict[str, float]:
    return {"this process": _own_cpu(), **{name: stack_cpu([pid]) for name, pid in SERVICES.items()}}


@dataclass
class CpuMeter:
    """CPU used by the benchmark's processes (per group) and by the whole machine between ``start``
    and ``stop``."""

    groups: dict[str, float] = field(default_factory=dict)
    busy: float = 0.0
    capacity: float = 0.0

    @property
    def stack(self) -> float:
        return sum(self.groups.values())

    def start(self) -> CpuMeter:
        self._groups0, (self._busy0, self._total0) = _group_cpu(), machine_busy()
        return self

    def stop(self) -> CpuMeter:
        busy, total = machine_busy()
        self.groups = {name: max(0.0, cpu - self._groups0.get(name, cpu)) for name, cpu in _group_cpu().items()}
        self.busy, self.capacity = busy - self._busy0, total - self._total0
        return self

    def line(self) -> str:
        if not self.capacity:
            return ""
        others = max(0.0, self.busy - self.stack)
        split = ", ".join(f"{name} {cpu / self.capacity:.0%}" for name, cpu in self.groups.items() if cpu)
        return (
            f"machine CPU busy {self.busy / self.capacity:.0%} (benchmark {self.stack / self.capacity:.0%}: {split}; "
            f"other processes {others / self.capacity:.0%}); load average {os.getloadavg()[0]:.1f}"
        )


def meter() -> CpuMeter:
    return CpuMeter().start()


def wait_quiet(max_wait: float, log: Callable[[str], None], *, threshold: float = 0.15) -> None:
    """Wait (at most ``max_wait`` s) until other processes use under ``threshold`` of the machine's
    CPU over 5 s, so that the next measurement has the machine to itself."""
    if max_wait <= 0:
        return
    deadline = time.monotonic() + max_wait
    while True:
        cpu = meter()
        time.sleep(5)
        cpu.stop()
        others = max(0.0, cpu.busy - cpu.stack) / (cpu.capacity or 1)
        if others < threshold:
            return
        if time.monotonic() > deadline:
            log(f"machine still busy after {max_wait:.0f} s ({cpu.line()}): measuring anyway")
            return
        log(f"waiting for a quiet machine: {cpu.line()}")
        time.sleep(25)


# --- Reindex ----------------------------------------------------------------------------------------


class PhaseTimer:
    """Cumulative wall time of wrapped functions (nested phases are counted in their parent too)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)  # CPU time of this process
        self.calls: Counter[str] = Counter()
        self._stack = contextlib.ExitStack()

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started, cpu = time.perf_counter(), time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - started
                self.cpu[name] += time.process_time() - cpu
                self.calls[name] += 1

        return timed

    def patch(self, target: Any, attribute: str, name: str) -> None:
        self._stack.enter_context(mock.patch.object(target, attribute, self.wrap(name, getattr(target, attribute))))

    def __enter__(self) -> PhaseTimer:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()


def timed_rebuild(*, with_elasticsearch: bool, log: Callable[[str], None]) -> dict[str, tuple[float, float]]:
    """``sync.rebuild()`` with its phases timed by wrapping the functions it calls."""
    from catalog.search import documents, sync
    from catalog.search.backends import get_elasticsearch_backend

    backend = get_elasticsearch_backend()
    assert (backend is not None) == with_elasticsearch
    with PhaseTimer() as timer:
        timer.patch(sync, "build_documents", "build documents")
        timer.patch(documents, "plain_text", "  of which Markdown -> plain text")
        timer.patch(documents, "document_hash", "  of which content hash")
        timer.patch(sync, "store_documents", "store database documents")
        timer.patch(sync, "text_columns", "  of which analysis (text columns)")
        timer.patch(sync, "_vocabulary_words", "  of which analysis (vocabulary words)")
        if backend is not None:
            from catalog.search.backends import elasticsearch as es_module

            timer.patch(backend, "index_documents", "Elasticsearch bulk indexing")
            timer.patch(es_module, "es_document", "  of which analysis (es_document)")
            timer.patch(backend, "create_index", "Elasticsearch create index")
            timer.patch(backend, "activate_index", "Elasticsearch activate (settings, refresh, alias swap)")
        started = time.perf_counter()
        last = [started]

        def progress(done: int, total: int) -> None:
            now = time.perf_counter()
            if now - last[0] > 15 or done == total:
                log(f"  reindexed {done:,}/{total:,} in {now - started:.0f} s")
                last[0] = now

        cpu_started = time.process_time()
        report = sync.rebuild(progress=progress)
        total = time.perf_counter() - started
    top = ("build documents", "store database documents", "Elasticsearch bulk indexing",
           "Elasticsearch create index", "Elasticsearch activate (settings, refresh, alias swap)")  # fmt: skip
    order = ("build documents", "  of which Markdown -> plain text", "  of which content hash",
             "store database documents", "  of which analysis (text columns)", "  of which analysis (vocabulary words)",
             "Elasticsearch create index", "Elasticsearch bulk indexing", "  of which analysis (es_document)",
             "Elasticsearch activate (settings, refresh, alias swap)")  # fmt: skip
    cpu_total = time.process_time() - cpu_started
    figures = {
        "total": (total, cpu_total),
        **{name: (timer.seconds[name], timer.cpu[name]) for name in order if name in timer.seconds},
    }
    figures["other (ids, deletes, vocabulary, outbox)"] = (
        total - sum(timer.seconds.get(k, 0.0) for k in top),
        cpu_total - sum(timer.cpu.get(k, 0.0) for k in top),
    )
    log(f"rebuild: {report.indexed:,} documents indexed ({report.elasticsearch})")
    return figures


# --- Query mix --------------------------------------------------------------------------------------


def typo(rng: random.Random, word: str) -> str:
    """One edit (drop, double, swap or replace a letter) inside a word of 5 letters or more."""
    if len(word) < 5:
        return word
    i = rng.randint(1, len(word) - 2)
    kind = rng.choice(("drop", "double", "swap", "replace"))
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + rng.choice("aeioustrn") + word[i + 1 :]


CONCEPT_QUERIES = (
    "paiement client", "paiements clients", "customer payment", "customer payments", "card payments",
    "paiement par carte", "prêt immobilier", "mortgage", "crédit à la consommation", "consumer credit",
    "sinistre", "sinistres habitation", "claims", "résiliation", "churn", "attrition clients", "fraude",
    "fraud", "fraude carte", "prélèvement SEPA", "direct debit mandate", "virement instantané", "instant transfer",
    "probabilité de défaut", "probability of default", "surendettement", "perte de crédit attendue",
    "connaissance client", "KYC", "LCB-FT", "anti money laundering", "déclaration de soupçon", "arrêt maladie",
    "sick leave", "paie des salariés", "payroll", "réclamations clients", "complaints", "segment client",
    "customer lifetime value", "campagne marketing", "campaign response", "grand livre", "general ledger",
    "produit net bancaire", "contrat d'assurance", "insurance policy", "prime", "assurance emprunteur",
    "consentement", "données personnelles", "personal data", "foyer", "household", "agence", "branch",
)  # fmt: skip
NO_ACCENT_QUERIES = (
    "resiliation", "pret immobilier", "prelevement", "reclamation", "probabilite de defaut", "salarie",
    "declaration de soupcon", "credit a la consommation", "echeance", "cheque", "retrait d'especes",
)  # fmt: skip
FREE_TEXT = (
    "monthly card payments retail", "historique virements", "daily extract loans", "photo mensuelle prêts",
    "fraud scores web", "customer segment features", "sinistres agrégats", "payroll history", "loan application scores",
    "indicateurs attrition", "payment events mobile", "référentiel clients", "ledger summary", "campaign backlog",
    "claims referential", "retail customers address", "échéances impayées", "AML alerts", "cash withdrawal atm",
)  # fmt: skip


def query_mix(rng: random.Random, catalog: Catalog, count: int = 400) -> list[tuple[str, list[tuple[str, str]]]]:
    """``count`` search requests: (kind, query parameters), seeded."""
    from django.contrib.auth import get_user_model

    from catalog.models import GlossaryTerm, Tag

    tags = list(Tag.objects.values_list("slug", flat=True))
    concepts = list(GlossaryTerm.objects.values_list("slug", flat=True))
    owners = list(
        get_user_model().objects.filter(owned_datasets__isnull=False).distinct().values_list("username", flat=True)
    )
    names = catalog.names or ["Customer payment history"]
    column_names = catalog.column_names or ["customer_id"]
    kinds = [("name", 12), ("partial name", 10), ("column", 14), ("concept", 26), ("typo", 14),
             ("no accent", 6), ("free text", 12), ("browse", 6)]  # fmt: skip
    out: list[tuple[str, list[tuple[str, str]]]] = []
    for _ in range(count):
        kind = rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
        if kind == "name":
            text = rng.choice(names)
        elif kind == "partial name":
            words = re.findall(r"[^\W\d_]+", rng.choice(names))
            start = rng.randint(0, max(0, len(words) - 2))
            text = " ".join(words[start : start + rng.randint(1, 3)])
        elif kind == "column":
            text = rng.choice(column_names)
        elif kind == "concept":
            text = rng.choice(CONCEPT_QUERIES)
        elif kind == "typo":
            base = rng.choice((*CONCEPT_QUERIES, *FREE_TEXT))
            words = base.split()
            i = max(range(len(words)), key=lambda j: len(words[j]))
            words[i] = typo(rng, words[i])
            text = " ".join(words)
        elif kind == "no accent":
            text = rng.choice(NO_ACCENT_QUERIES)
        elif kind == "free text":
            text = rng.choice(FREE_TEXT)
        else:
            text = ""
        params: list[tuple[str, str]] = [("q", text)]
        if kind == "browse" or rng.random() < 0.35:
            for facet in rng.sample(["domain", "status", "sensitivity", "tag", "format", "owner", "concept"],
                                    rng.choice((1, 1, 2))):  # fmt: skip
                value = {
                    "domain": lambda: rng.choice(list(DOMAINS)),
                    "status": lambda: "published",
                    "sensitivity": lambda: rng.choice(("none", "indirect", "direct")),
                    "tag": lambda: rng.choice(tags),
                    "format": lambda: rng.choice(("parquet", "table", "csv")),
                    "owner": lambda: rng.choice(owners),
                    "concept": lambda: rng.choice(concepts),
                }[facet]()
                params.append((facet, value))
        if rng.random() < 0.2:
            params.append(("page", "2"))
        out.append((kind, params))
    return out


# --- Load through the API ---------------------------------------------------------------------------


@dataclass
class Sample:
    latency: float
    ok: bool
    error: str = ""
    hits: int = 0
    kind: str = ""


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class RunFigures:
    requests: int
    errors: int
    seconds: float
    p50: float
    p95: float
    p99: float
    mean: float
    throughput: float
    no_hits: int
    error_examples: list[str]
    by_kind: dict[str, float]

    @classmethod
    def of(cls, samples: list[Sample], seconds: float) -> RunFigures:
        latencies = [s.latency * 1000 for s in samples]
        kinds: dict[str, list[float]] = defaultdict(list)
        for s in samples:
            kinds[s.kind].append(s.latency * 1000)
        errors = [s for s in samples if not s.ok]
        return cls(
            requests=len(samples),
            errors=len(errors),
            seconds=seconds,
            p50=percentile(latencies, 50),
            p95=percentile(latencies, 95),
            p99=percentile(latencies, 99),
            mean=statistics.fmean(latencies) if latencies else math.nan,
            throughput=len(samples) / seconds if seconds else math.nan,
            no_hits=sum(1 for s in samples if s.ok and s.hits == 0),
            error_examples=sorted({s.error for s in errors})[:5],
            by_kind={k: percentile(v, 95) for k, v in sorted(kinds.items())},
        )

    def line(self) -> str:
        return (
            f"{self.requests:6,} requests in {self.seconds:5.1f} s: p50 {self.p50:6.1f} ms, p95 {self.p95:6.1f} ms, "
            f"p99 {self.p99:6.1f} ms, mean {self.mean:6.1f} ms, {self.throughput:6.1f} queries/s, "
            f"errors {self.errors}, no hit {self.no_hits}"
        )


class Client:
    """One keep-alive HTTP/1.1 connection to the app."""

    def __init__(self, port: int, token: str, backend: str) -> None:
        self.port = port
        self.headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
        self.backend = backend
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get(self, kind: str, params: list[tuple[str, str]]) -> Sample:
        path = "/api/search/?" + urlencode(params)
        started = time.perf_counter()
        try:
            self.connection.request("GET", path, headers=self.headers)
            response = self.connection.getresponse()
            body = response.read()
            latency = time.perf_counter() - started
        except (OSError, http.client.HTTPException) as exc:
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            return Sample(time.perf_counter() - started, False, f"{type(exc).__name__}: {exc}", kind=kind)
        if response.status != 200:
            return Sample(latency, False, f"HTTP {response.status} on {path}: {body[:200]!r}", kind=kind)
        payload = json.loads(body)
        if payload["backend"] != self.backend or payload["degraded"]:
            return Sample(
                latency, False, f"answered by {payload['backend']}, degraded={payload['degraded']}", kind=kind
            )
        return Sample(latency, True, hits=len(payload["results"]), kind=kind)

    def close(self) -> None:
        self.connection.close()


def run_clients(
    port: int, token: str, backend: str, mix: list[tuple[str, list[tuple[str, str]]]], *, clients: int,
    seconds: float, offset: int = 0,
) -> RunFigures:  # fmt: skip
    """``clients`` threads, each with its own keep-alive connection, going through the mix from its
    own place for ``seconds`` (requests started before the deadline are completed and counted)."""
    samples: list[list[Sample]] = [[] for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)
    deadline = [math.inf]

    def work(index: int) -> None:
        client = Client(port, token, backend)
        position = offset + index * len(mix) // clients
        barrier.wait()
        while time.perf_counter() < deadline[0]:
            kind, params = mix[position % len(mix)]
            samples[index].append(client.get(kind, params))
            position += 1
        client.close()

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    deadline[0] = started + seconds
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return RunFigures.of([s for per_client in samples for s in per_client], elapsed)


@contextlib.contextmanager
def app_server(env: dict[str, str], *, workers: int, threads: int, log_path: Path) -> Iterator[int]:
    """gunicorn on 127.0.0.1 (a free port), stopped on exit."""
    from tests.services import free_port, wait_for_port

    port = free_port()
    command = [
        str(Path(sys.executable).with_name("gunicorn")), "cadastre.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads),
        "--worker-class", "gthread", "--keep-alive", "30", "--timeout", "60", "--log-level", "warning",
    ]  # fmt: skip
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    SERVICES["gunicorn"] = process.pid
    try:
        wait_for_port(port, timeout=60)
        yield port
    finally:
        SERVICES.pop("gunicorn", None)
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def measure_api(
    backend: str, env: dict[str, str], token: str, mix: list[tuple[str, list[tuple[str, str]]]],
    args: argparse.Namespace, log_dir: Path, log: Callable[[str], None],
) -> dict[str, RunFigures]:  # fmt: skip
    with app_server(
        env, workers=args.workers, threads=args.threads, log_path=log_dir / f"gunicorn-{backend}.log"
    ) as port:
        log(f"[{backend}] gunicorn on 127.0.0.1:{port}, {args.workers} workers x {args.threads} threads (gthread)")
        deadline = time.monotonic() + 60
        while True:  # the app answers (each worker imports Django lazily)
            probe = Client(port, token, backend).get("probe", [("q", "client")])
            if probe.ok or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        if not probe.ok:
            raise RuntimeError(f"the app does not answer: {probe.error} (log in {log_dir})")
        warm = run_clients(port, token, backend, mix, clients=args.clients, seconds=args.warmup, offset=7)
        log(f"[{backend}] warm-up: {warm.line()}")
        for example in warm.error_examples[:3]:
            log(f"[{backend}] warm-up error: {example}")
        wait_quiet(args.wait_quiet, log)
        cpu = meter()
        sequential = run_clients(port, token, backend, mix, clients=1, seconds=args.sequential_duration, offset=13)
        log(f"[{backend}] 1 client:  {sequential.line()}")
        log(f"[{backend}]            {cpu.stop().line()}")
        wait_quiet(args.wait_quiet, log)
        cpu = meter()
        concurrent = run_clients(port, token, backend, mix, clients=args.clients, seconds=args.duration, offset=29)
        log(f"[{backend}] {args.clients} clients: {concurrent.line()}")
        log(f"[{backend}]            {cpu.stop().line()}")
    return {"sequential": sequential, "concurrent": concurrent, "warm-up": warm}


# --- In-process profile -----------------------------------------------------------------------------


def profile_phases(
    backend: str, mix: list[tuple[str, list[tuple[str, str]]]], token: str, log: Callable[[str], None],
    *, searches: int, top: int = 25,
) -> dict[str, float]:  # fmt: skip
    """Median of each phase of a search over the mix, SQL queries per search, and a cProfile."""
    from django.conf import settings
    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext
    from rest_framework.renderers import JSONRenderer
    from rest_framework.request import Request

    from catalog.api.search import SearchParamsSerializer, SearchResponseSerializer, SearchView, concepts_in_order

    try:  # the view's plain-dict response (since 2026-11-22), else the serializer it replaced
        from catalog.api.search import search_response
    except ImportError:
        search_response = None
    from catalog.search import service
    from catalog.search.backends import get_database_backend, get_elasticsearch_backend
    from catalog.search.expansion import expand

    factory = RequestFactory(HTTP_HOST="127.0.0.1")
    view = SearchView.as_view()
    phases: dict[str, list[float]] = defaultdict(list)
    queries: list[int] = []

    def one(params: list[tuple[str, str]]) -> None:
        request = factory.get("/api/search/", params, HTTP_AUTHORIZATION=f"Token {token}")
        serializer = SearchParamsSerializer(data=request.GET)
        serializer.is_valid(raise_exception=True)
        query = serializer.to_search_query()
        t0 = time.perf_counter()
        expanded = expand(query.text)
        t1 = time.perf_counter()
        engine = get_elasticsearch_backend() if backend == "elasticsearch" else get_database_backend()
        assert engine is not None
        result = engine.search(query, expanded)
        t2 = time.perf_counter()
        service.label_facets(result)
        t3 = time.perf_counter()
        concepts = concepts_in_order(expanded.concept_slugs)
        if search_response is not None:
            JSONRenderer().render(search_response(result, request=Request(request), concepts=concepts))
        else:
            context = {"request": request, "concepts": concepts}
            JSONRenderer().render(SearchResponseSerializer(result, context=context).data)
        t4 = time.perf_counter()
        cpu = time.process_time()
        with CaptureQueriesContext(connection) as captured:
            response = view(factory.get("/api/search/", params, HTTP_AUTHORIZATION=f"Token {token}"))
            response.render()
        t5 = time.perf_counter()
        phases["whole view, CPU of this process"].append((time.process_time() - cpu) * 1000)
        assert response.status_code == 200, response.content[:300]
        queries.append(len(captured.captured_queries))
        for name, seconds in (("expansion", t1 - t0), ("backend query", t2 - t1), ("facet labels", t3 - t2),
                              ("serialisation + JSON", t4 - t3), ("whole view, in process", t5 - t4)):  # fmt: skip
            phases[name].append(seconds * 1000)

    saved = settings.ELASTICSEARCH_URL
    if backend == "database":
        settings.ELASTICSEARCH_URL = None
    took: list[float] = []  # Elasticsearch's own time per search request ("took")
    try:
        with contextlib.ExitStack() as stack:
            engine = get_elasticsearch_backend() if backend == "elasticsearch" else None
            if engine is not None:
                client_search = engine.client.search

                def timed_search(**kwargs: Any) -> Any:
                    response = client_search(**kwargs)
                    took.append(float(response["took"]))
                    return response

                stack.enter_context(mock.patch.object(engine.client, "search", timed_search))
                client_msearch = engine.client.msearch

                def timed_msearch(**kwargs: Any) -> Any:
                    response = client_msearch(**kwargs)
                    took.append(float(response["took"]))
                    return response

                stack.enter_context(mock.patch.object(engine.client, "msearch", timed_msearch))
            for _, params in mix[:10]:  # warm the process caches
                one(params)
            phases.clear()
            queries.clear()
            took.clear()
            for _, params in mix[:searches]:
                one(params)
        log(f"[{backend}] in-process phases over {len(queries)} searches (median / p95, ms):")
        for name, values in phases.items():
            log(f"    {name:28} {statistics.median(values):7.1f} / {percentile(values, 95):7.1f}")
        if took:
            phases["Elasticsearch took"] = took
            log(f"    {'Elasticsearch took':28} {statistics.median(took):7.1f} / {percentile(took, 95):7.1f}"
                f"   (node time per search request, {len(took)} requests)")  # fmt: skip
        log(f"    SQL queries per API search: median {statistics.median(queries):.0f}, max {max(queries)}")
        medians = {name: statistics.median(values) for name, values in phases.items()}
        profiler = cProfile.Profile()
        profiler.enable()
        for _, params in mix[: max(10, searches // 2)]:
            one(params)
        profiler.disable()
        for order in ("cumulative", "tottime"):
            stream = io.StringIO()
            pstats.Stats(profiler, stream=stream).sort_stats(order).print_stats(top)
            log(f"[{backend}] cProfile of {max(10, searches // 2)} searches (each twice: by phase, then the whole "
                f"view), top {top} by {order} time:")  # fmt: skip
            lines = [line for line in stream.getvalue().splitlines() if line.strip()]
            start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
            for line in lines[start : start + top + 1]:
                log(
                    "    "
                    + line.replace(str(ROOT) + "/", "").replace(sys.prefix + "/lib/python3.11/site-packages/", "")[:180]
                )
    finally:
        settings.ELASTICSEARCH_URL = saved
    return medians


def shares(counter: Counter[str]) -> str:
    total = sum(counter.values()) or 1
    return ", ".join(f"{key} {count / total:.1%}" for key, count in counter.most_common())


def drop_indices(url: str, alias: str) -> None:
    """Delete the indices this run created on the node (they would outlive it on a given node)."""
    from elasticsearch import Elasticsearch

    Elasticsearch(url, request_timeout=60).indices.delete(
        index=f"{alias}-*", ignore_unavailable=True, allow_no_indices=True
    )


# --- Main -------------------------------------------------------------------------------------------


def main() -> None:
    args = parse_args()
    started_at = time.time()

    def log(message: str) -> None:
        print(f"[{time.time() - started_at:7.1f} s] {message}", flush=True)

    backends = ["elasticsearch", "database"] if args.backend == "both" else [args.backend]
    use_es = "elasticsearch" in backends
    work = Path(tempfile.mkdtemp(prefix="cadastre-speed."))
    with contextlib.ExitStack() as stack:
        if not args.keep:
            stack.callback(shutil.rmtree, work, True)
        database_url = stack.enter_context(postgres(args.database_url, args.pg_setting, keep=args.keep))
        es_url = (
            stack.enter_context(elasticsearch(args.elasticsearch_url, args.es_heap, keep=args.keep)) if use_es else ""
        )
        alias = args.index or f"speed-{uuid.uuid4().hex[:8]}"
        os.environ.update(
            DATABASE_URL=database_url, CADASTRE_VAR_DIR=str(work / "var"), ELASTICSEARCH_INDEX=alias,
            DJANGO_SETTINGS_MODULE="cadastre.settings",
        )  # fmt: skip
        if es_url:
            os.environ["ELASTICSEARCH_URL"] = es_url
        else:
            os.environ.pop("ELASTICSEARCH_URL", None)
        import django

        django.setup()
        logging.getLogger("elastic_transport").setLevel(logging.WARNING)  # one line per request otherwise
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.db import connection
        from rest_framework.authtoken.models import Token

        from catalog.models import Column, Dataset
        from catalog.search.backends import get_elasticsearch_backend

        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), platform.processor())  # fmt: skip
        memory = int(Path("/proc/meminfo").read_text().split()[1]) / 1024**2
        server = connection.cursor().connection.info.server_version if connection.vendor == "postgresql" else ""
        log(f"machine: {os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, Python {platform.python_version()}, "
            f"{connection.vendor} {server}")  # fmt: skip
        log("command: " + " ".join([Path(sys.executable).name, *sys.argv]))
        if use_es and not args.keep and not args.index:
            stack.callback(drop_indices, es_url, alias)

        call_command("migrate", verbosity=0)
        catalog = Catalog()
        if not args.reuse_data:
            settings.ELASTICSEARCH_URL = None  # the demo's own indexing goes to the database only
            call_command("load_demo", verbosity=0, stdout=io.StringIO())
            settings.ELASTICSEARCH_URL = es_url or None
            catalog = generate(args.datasets, args.columns_per_dataset, seed=args.seed, log=log)
            log(f"generated in {catalog.seconds:.0f} s: {catalog.datasets:,} datasets, "
                f"{Column.objects.count():,} columns")  # fmt: skip
            log(f"  generated datasets' statuses: {shares(catalog.statuses)}")
            log(f"  generated columns' personal-data classes: {shares(catalog.classes)}")
            log(f"  generated datasets' sensitivity (highest class): {shares(catalog.sensitivity)}")
        else:
            catalog.datasets = Dataset.objects.count()
        if not catalog.names:
            catalog.names = list(Dataset.objects.order_by("?").values_list("name", flat=True)[:500])
        if not catalog.column_names:
            catalog.column_names = list(
                Column.objects.values_list("name", flat=True).distinct().order_by("name")[:3000]
            )

        rebuild_figures: dict[str, tuple[float, float]] = {}
        if not args.no_rebuild:
            settings.ELASTICSEARCH_URL = es_url or None
            stores = "database + Elasticsearch" if use_es else "database"
            log(f"full reindex of {catalog.datasets:,} datasets ({stores})")
            wait_quiet(args.wait_quiet, log)
            cpu = meter()
            rebuild_figures = timed_rebuild(with_elasticsearch=use_es, log=log)
            log(f"  {'phase':58} {'wall':>8} {'CPU of this process':>20}")
            for name, (seconds, cpu_seconds) in rebuild_figures.items():
                log(f"  {name:58} {seconds:7.1f} s {cpu_seconds:18.1f} s")
            log(f"  throughput: {catalog.datasets / rebuild_figures['total'][0]:,.0f} datasets/s")
            log(f"  during the reindex: {cpu.stop().line()}; stack CPU {cpu.stack:.0f} s")
        if connection.vendor == "postgresql":
            analyzed = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            log(f"ANALYZE in {time.perf_counter() - analyzed:.1f} s (not counted in the reindex)")
        if use_es:
            backend = get_elasticsearch_backend()
            assert backend is not None
            count = backend.client.count(index=alias)["count"]
            log(f"Elasticsearch alias {alias}: {count:,} documents")
            assert count == Dataset.objects.count(), "the index does not hold every dataset"
        if args.reindex_only:
            return

        user, _ = get_user_model().objects.get_or_create(username="speed-benchmark")
        token = Token.objects.get_or_create(user=user)[0].key
        mix = query_mix(random.Random(args.seed), catalog)
        log("query mix: " + ", ".join(f"{k} {v}" for k, v in Counter(k for k, _ in mix).most_common())
            + f"; with facet filters {sum(1 for _, p in mix if len(p) > 1 and p[1][0] != 'page')}, "
            f"page 2 {sum(1 for _, p in mix if ('page', '2') in p)}")  # fmt: skip

        results: dict[str, dict[str, RunFigures]] = {}
        phases: dict[str, dict[str, float]] = {}
        for backend_name in backends:
            env = {k: v for k, v in os.environ.items() if k != "ELASTICSEARCH_URL"}
            if backend_name == "elasticsearch":
                env["ELASTICSEARCH_URL"] = es_url
            if not args.no_api:
                results[backend_name] = measure_api(backend_name, env, token, mix, args, work, log)
            if not args.no_profile:
                phases[backend_name] = profile_phases(backend_name, mix, token, log, searches=args.profile_searches)

        log("=" * 100)
        log(f"SUMMARY  {catalog.datasets:,} datasets, {Column.objects.count():,} columns; {args.clients} clients "
            f"x {args.duration:.0f} s; gunicorn {args.workers} workers x {args.threads} threads")  # fmt: skip
        if rebuild_figures:
            wall = rebuild_figures["total"][0]
            target = " (target <= 60 s: " + ("met" if wall <= 60 else "MISSED") + ")" if use_es else ""
            log(f"full reindex: {wall:.1f} s{target}")
        targets = {"elasticsearch": (50.0, 100.0), "database": (150.0, None)}
        for backend_name, figures in results.items():
            p95_target, qps_target = targets[backend_name]
            concurrent, sequential = figures["concurrent"], figures["sequential"]
            verdicts = [f"p95 <= {p95_target:.0f} ms: {'met' if concurrent.p95 <= p95_target else 'MISSED'}"]
            if qps_target:
                verdicts.append(
                    f">= {qps_target:.0f} q/s: {'met' if concurrent.throughput >= qps_target else 'MISSED'}"
                )
            verdicts.append(f"0 errors: {'met' if concurrent.errors + sequential.errors == 0 else 'MISSED'}")
            log(f"{backend_name:13} 1 client:   p50 {sequential.p50:.1f} ms, p95 {sequential.p95:.1f} ms, "
                f"{sequential.throughput:.1f} q/s, errors {sequential.errors}")  # fmt: skip
            log(f"{backend_name:13} {args.clients} clients:  p50 {concurrent.p50:.1f} ms, p95 {concurrent.p95:.1f} ms, "
                f"p99 {concurrent.p99:.1f} ms, {concurrent.throughput:.1f} q/s, errors {concurrent.errors}  "
                f"[{'; '.join(verdicts)}]")  # fmt: skip
            log(f"{'':13} p95 by kind ({args.clients} clients): "
                + ", ".join(f"{k} {v:.0f}" for k, v in concurrent.by_kind.items()))  # fmt: skip
            for example in concurrent.error_examples + sequential.error_examples:
                log(f"{'':13} error: {example}")
            if backend_name in phases:
                log(f"{'':13} in-process medians (ms): "
                    + ", ".join(f"{k} {v:.1f}" for k, v in phases[backend_name].items()))  # fmt: skip


if __name__ == "__main__":
    main()
