"""assurai-pytest: a pytest plugin that gates a generative-AI release on Korean socio-cultural safety."""

__version__ = "0.1.0"
