from django.apps import AppConfig


class ApplicantsConfig(AppConfig):
    name = "applicants"
    verbose_name = "Applicants and applications"

    def ready(self) -> None:
        # A broken schema file stops the process at start-up with a message naming the
        # file and the field, instead of failing the first applicant.
        from applicants.schema import get_schema

        get_schema()

        # /readyz: personal data can be encrypted and hashed (applicants/health.py).
        from applicants.health import check_personal_data_keys
        from config.health import register_check

        register_check("personal_data_keys", check_personal_data_keys)
