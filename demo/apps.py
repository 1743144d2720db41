from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data, out of production code: the synthetic applicant generator, demo users, demo
    applications and a first model trained on synthetic applicants (`make run`)."""

    name = "demo"
    verbose_name = "Demo data"
