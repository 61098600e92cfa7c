"""Labelled queries over the demo catalog (fixtures/), for benchmarks/search_relevance.py.

Each query lists the datasets a data scientist would want in the first ten results, by slug, with
a grade: 2 = what they are looking for, 1 = useful too. Queries cover dataset names, column
names, business concepts in French and in English, typos, accents and identifiers.
"""

from __future__ import annotations

QUERIES: list[dict[str, object]] = [
    # --- names -------------------------------------------------------------------------------
    {"kind": "name", "q": "Customer master", "relevant": {"customer-master-crm": 2, "customer-master-pseudonymised": 2, "customer-master-legacy-mainframe-extract": 1}},
    {"kind": "name", "q": "loan applications", "relevant": {"loan-applications": 2, "loan-applications-pseudonymised": 2}},
    {"kind": "name", "q": "payroll", "relevant": {"payroll": 2, "payroll-pseudonymised": 2}},
    {"kind": "name", "q": "HR absences", "relevant": {"hr-absences": 2, "monthly-headcount-by-department": 1}},
    {"kind": "name", "q": "SEPA direct debit mandates", "relevant": {"sepa-direct-debit-mandates": 2, "sepa-direct-debit-collections": 1}},
    {"kind": "name", "q": "card fraud alerts", "relevant": {"card-fraud-alerts": 2, "fraud-investigation-cases": 1, "card-disputes-and-chargebacks": 1}},
    {"kind": "name", "q": "insurance claims", "relevant": {"insurance-claims": 2, "home-and-car-insurance-policies": 1}},
    {"kind": "name", "q": "general ledger", "relevant": {"general-ledger-entries": 2, "supplier-invoices": 1}},
    {"kind": "name", "q": "branch directory", "relevant": {"branch-directory": 2, "atm-availability": 1, "branch-pl-monthly": 1}},
    # --- columns -----------------------------------------------------------------------------
    {"kind": "column", "q": "iban", "relevant": {"sepa-credit-transfers": 2, "sepa-direct-debit-mandates": 2, "standing-orders": 2, "current-account-daily-balances": 2, "payroll": 1}},
    {"kind": "column", "q": "nir", "relevant": {"employees-hr-master": 2, "payroll": 2}},
    {"kind": "column", "q": "sick leave reason", "relevant": {"hr-absences": 2, "occupational-health-visits": 1}},
    {"kind": "column", "q": "merchant category code mcc", "relevant": {"card-payment-transactions": 2, "card-transactions-pseudonymised": 2, "merchant-acquiring-settlements": 2, "card-transactions-export-v1": 1}},
    {"kind": "column", "q": "fraud conviction", "relevant": {"fraud-investigation-cases": 2}},
    {"kind": "column", "q": "birth date", "relevant": {"customer-master-crm": 2, "employees-hr-master": 2, "loan-guarantors": 1, "borrower-insurance-health-questionnaires": 1, "sanctions-and-pep-screening-hits": 1, "loan-applications": 1}},
    {"kind": "column", "q": "ip address", "relevant": {"online-banking-sessions": 2, "consent-register": 1, "email-marketing-events": 1, "online-banking-takeover-signals": 2}},
    {"kind": "column", "q": "nps score", "relevant": {"customer-satisfaction-surveys-nps": 2}},
    {"kind": "column", "q": "days past due", "relevant": {"loan-repayment-schedules": 2, "credit-defaults": 1}},
    {"kind": "column", "q": "ltv ratio", "relevant": {"mortgage-collateral-valuations": 2}},
    # --- concepts, French --------------------------------------------------------------------
    {"kind": "concept-fr", "q": "paiement client", "relevant": {"card-payment-transactions": 2, "card-transactions-pseudonymised": 2, "sepa-credit-transfers": 2, "sepa-direct-debit-collections": 2, "cheque-deposits": 2, "atm-cash-withdrawals": 1, "standing-orders": 1, "card-disputes-and-chargebacks": 1}},
    {"kind": "concept-fr", "q": "tout ce qui concerne le paiement client", "relevant": {"card-payment-transactions": 2, "card-transactions-pseudonymised": 2, "sepa-credit-transfers": 2, "sepa-direct-debit-collections": 2, "cheque-deposits": 2, "atm-cash-withdrawals": 1, "standing-orders": 1, "card-disputes-and-chargebacks": 1}},
    {"kind": "concept-fr", "q": "résiliation", "relevant": {"account-closures": 2, "churn-model-features": 2, "home-and-car-insurance-policies": 1}},
    {"kind": "concept-fr", "q": "arrêt maladie", "relevant": {"hr-absences": 2, "occupational-health-visits": 1, "payroll": 1}},
    {"kind": "concept-fr", "q": "prélèvement", "relevant": {"sepa-direct-debit-collections": 2, "sepa-direct-debit-mandates": 2}},
    {"kind": "concept-fr", "q": "virement", "relevant": {"sepa-credit-transfers": 2, "standing-orders": 2}},
    {"kind": "concept-fr", "q": "score de crédit", "relevant": {"credit-bureau-scores": 2, "internal-behavioural-credit-scores": 2, "loan-applications": 1, "loan-applications-pseudonymised": 1}},
    {"kind": "concept-fr", "q": "défaut de paiement", "relevant": {"credit-defaults": 2, "loan-repayment-schedules": 1, "over-indebtedness-cases": 1, "credit-bureau-scores": 1}},
    {"kind": "concept-fr", "q": "réclamations clients", "relevant": {"customer-complaints": 2, "call-centre-calls": 1}},
    {"kind": "concept-fr", "q": "salariés", "relevant": {"employees-hr-master": 2, "payroll": 1, "hr-absences": 1, "annual-performance-reviews": 1}},
    {"kind": "concept-fr", "q": "prospects", "relevant": {"prospect-leads": 2, "prospect-file-2019-purchased-list": 2, "public-website-analytics": 1}},
    {"kind": "concept-fr", "q": "sinistres", "relevant": {"insurance-claims": 2}},
    # --- concepts, English -------------------------------------------------------------------
    {"kind": "concept-en", "q": "customer payment", "relevant": {"card-payment-transactions": 2, "card-transactions-pseudonymised": 2, "sepa-credit-transfers": 2, "sepa-direct-debit-collections": 2, "cheque-deposits": 2, "atm-cash-withdrawals": 1, "standing-orders": 1, "card-disputes-and-chargebacks": 1}},
    {"kind": "concept-en", "q": "churn", "relevant": {"account-closures": 2, "churn-model-features": 2}},
    {"kind": "concept-en", "q": "credit score", "relevant": {"credit-bureau-scores": 2, "internal-behavioural-credit-scores": 2, "loan-applications": 1}},
    {"kind": "concept-en", "q": "anti money laundering", "relevant": {"aml-transaction-monitoring-alerts": 2, "kyc-due-diligence-files": 1, "sanctions-and-pep-screening-hits": 1}},
    {"kind": "concept-en", "q": "trade union", "relevant": {"staff-representatives-and-union-mandates": 2}},
    {"kind": "concept-en", "q": "consent", "relevant": {"consent-register": 2, "email-marketing-events": 1}},
    {"kind": "concept-en", "q": "direct debit", "relevant": {"sepa-direct-debit-collections": 2, "sepa-direct-debit-mandates": 2}},
    {"kind": "concept-en", "q": "household income", "relevant": {"customer-income-declarations": 2, "households": 2}},
    # --- typos and accents -------------------------------------------------------------------
    {"kind": "typo", "q": "paimeent client", "relevant": {"card-payment-transactions": 2, "card-transactions-pseudonymised": 2, "sepa-credit-transfers": 2, "sepa-direct-debit-collections": 2, "cheque-deposits": 2, "atm-cash-withdrawals": 1, "standing-orders": 1, "card-disputes-and-chargebacks": 1}},
    {"kind": "typo", "q": "custmer complaints", "relevant": {"customer-complaints": 2, "call-centre-calls": 1}},
    {"kind": "typo", "q": "mortage collateral", "relevant": {"mortgage-collateral-valuations": 2}},
    {"kind": "typo", "q": "payrol", "relevant": {"payroll": 2, "payroll-pseudonymised": 2}},
    {"kind": "typo", "q": "chargebak", "relevant": {"card-disputes-and-chargebacks": 2}},
    {"kind": "accent", "q": "resiliation", "relevant": {"account-closures": 2, "churn-model-features": 2, "home-and-car-insurance-policies": 1}},
    {"kind": "accent", "q": "PRELEVEMENT", "relevant": {"sepa-direct-debit-collections": 2, "sepa-direct-debit-mandates": 2}},
    {"kind": "accent", "q": "arret maladie", "relevant": {"hr-absences": 2, "occupational-health-visits": 1, "payroll": 1}},
]
