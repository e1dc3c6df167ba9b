"""Root conftest: makes the ``pytester`` fixture available to the plugin's own tests."""

pytest_plugins = ["pytester"]
