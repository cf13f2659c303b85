"""The one exception family the CLI turns into a single line and a non-zero exit."""


class XeroWarehouseError(Exception):
    """An error with a message fit to show a user as it is (never holding a secret)."""


class ConfigurationError(XeroWarehouseError):
    """Bad input from the user: a destination URL, a tenant or resource name, a flag."""
