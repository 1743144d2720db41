from django.apps import AppConfig


class ModelopsConfig(AppConfig):
    """The model lifecycle: history, training, evaluation, registry, rescoring, deploy."""

    name = "modelops"
    verbose_name = "Model lifecycle"
