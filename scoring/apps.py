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

        # The scorer consumes the outbox's "scoring" topic (applicants only writes it).
        from outbox.models import Topic
        from outbox.registry import register_consumer
        from scoring.tasks import wake_scorer

        register_consumer(Topic.SCORING, wake_scorer)
