"""Signals the projects app sends, for the apps that build on it (governance imports projects,
never the reverse).

``project_stage_changed`` is sent once a stage transition is committed (``transaction.on_commit``),
never for a refused or rolled-back move. Keyword arguments:

- ``sender``: the ``Project`` class;
- ``project``: the project, already in its new stage;
- ``from_stage``, ``to_stage``: ``projects.models.Stage`` values (``from_stage`` is the stage left);
- ``actor``: the user who moved it;
- ``transition``: the ``StageTransition`` recorded (with the gate snapshot).

Governance connects to it to revoke the data grants of the stage the project left (e.g. exploration
grants when it enters Industrialization or is abandoned) and to create the deletion tasks. Receivers
run after the commit, so a failing receiver cannot undo the move: it is logged
(``send_robust``) and should queue its own retryable work.
"""

from __future__ import annotations

from django.dispatch import Signal

project_stage_changed = Signal()

# Sent inside the write's transaction (not on commit), so that a receiver's own writes (the
# governance audit trail) commit or roll back with the change. Keyword arguments:
#
# - ``sign_off_given``: ``sign_off`` (the new ``SignOff``), ``actor`` (the signer);
# - ``sign_off_withdrawn``: ``sign_off`` (now invalidated), ``actor`` (the signer);
# - ``sign_off_invalidated``: ``sign_off`` (invalidated because its checklist changed, with the
#   reason), ``actor`` (who made the change that invalidated it, or ``None``);
# - ``membership_changed``: ``membership``, ``change`` (``"added"`` or ``"ended"``), ``actor``.
sign_off_given = Signal()
sign_off_withdrawn = Signal()
sign_off_invalidated = Signal()
membership_changed = Signal()
