"""Runs singer-io's tap-xero against a local Xero, inside tap-xero's own environment.

tap-xero hard-codes Xero's hosts; this points them at XERO_API_URL and XERO_IDENTITY_URL (the
sandbox) and refuses any request that would leave the machine. Nothing else is changed: the
tap's requests, headers and parsing are its own.

    python tap_xero_launcher.py --config config.json [--discover | --catalog catalog.json]
"""

import os
import sys
from urllib.parse import urlsplit

import requests
import tap_xero
import tap_xero.client

XERO_TOKEN_URL = "https://identity.xero.com/connect/token"
LOCAL_HOSTS = ("127.0.0.1", "localhost")


def main() -> None:
    identity_url = os.environ["XERO_IDENTITY_URL"]
    tap_xero.client.BASE_URL = os.environ["XERO_API_URL"] + "/api.xro/2.0"
    send = requests.Session.send

    def send_locally(session, request, **kwargs):
        if request.url.startswith(XERO_TOKEN_URL):
            request.url = identity_url + "/connect/token"
        if urlsplit(request.url).hostname not in LOCAL_HOSTS:
            raise RuntimeError(f"refused to leave the machine: {request.url}")
        return send(session, request, **kwargs)

    requests.Session.send = send_locally
    sys.argv[0] = "tap-xero"
    tap_xero.main()


if __name__ == "__main__":
    main()
