from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Governance"

    def ready(self) -> None:
        from catalog import hooks
        from governance import receivers, selectors

        receivers.connect()
        hooks.register_access_resolver(selectors.dataset_access_for)
        hooks.register_project_counter(selectors.dataset_project_counts)
