from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = "Scoring"

    def ready(self) -> None:
        from config.health import register_check
        from scoring.health import check_endpoint, check_model, check_scoring_backlog

        register_check("model", check_model)
        register_check("endpoint", check_endpoint)
        register_check("scoring_backlog", check_scoring_backlog)
