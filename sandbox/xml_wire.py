"""Xero's default answer format: a JSON answer of the sandbox re-written as Xero's XML.

Xero answers XML to a request without `Accept: application/json` (or with `*/*`): a
`<Response>` element holding the envelope fields and the collection, each list element named
in the singular (`<Invoices><Invoice>...`), dates as ISO 8601 text, booleans lower case.
"""

from __future__ import annotations

from decimal import Decimal
from xml.etree import ElementTree

from sandbox.wire import iso_string, loads, parse_ms_date

XML_TYPE = "text/xml; charset=utf-8"


def singular(name: str) -> str:
    """Xero's element name for one item of a list (`Currencies` -> `Currency`)."""
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith(("sses", "xes")):
        return name[:-2]
    if name.endswith("s") and not name.endswith("ss"):
        return name[:-1]
    return name


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, str):
        stamp = parse_ms_date(value)
        if stamp is not None:
            return iso_string(stamp).removesuffix("Z")
    return str(value)


def _fill(element: ElementTree.Element, value) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if item is not None:
                _fill(ElementTree.SubElement(element, key), item)
    elif isinstance(value, list):
        for item in value:
            _fill(ElementTree.SubElement(element, singular(element.tag)), item)
    else:
        element.text = _text(value)


def json_to_xml(body: bytes) -> bytes:
    """A JSON answer body as Xero's XML answer body."""
    root = ElementTree.Element("Response")
    _fill(root, loads(body))
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
