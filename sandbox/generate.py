"""Deterministic generation of Xero organisations (the bookkeeping rules it follows are in
sandbox.ledger).

Everything is derived from (seed, tenant index) and the anchor date: the same inputs give the
same records, byte for byte. Document dates lie before the anchor; every timestamp lies before
the anchor's midnight (UTC), so writes made later through the clock come after them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sandbox.ledger import (
    ACCOUNT_CLASS,
    CENT,
    ONE_RATE,
    UNIT4,
    ZERO,
    Books,
    Ledger,
    OrgProfile,
    TaxSpec,
    bank_for,
    contact_ref,
    money,
    new_uuid,
)

SCALE_ROWS = {"small": None, "medium": 50_000, "large": 1_100_000}
SMALL_ROWS_PER_TENANT = 420
# top-level rows per invoice, over all collections (measured on generated data)
ROWS_PER_INVOICE = 4.3


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


# --------------------------------------------------------------------------------------------
# Organisation profiles (config as data)
# --------------------------------------------------------------------------------------------


PROFILES: tuple[OrgProfile, ...] = (
    OrgProfile(
        "Harbour Bridge Trading",
        "Harbour Bridge Trading Pty Ltd",
        "AUD",
        "Australia/Sydney",
        "AUSEASTERNSTANDARDTIME",
        "AU",
        "AU",
        ("USD", "NZD", "EUR"),
        TaxSpec("OUTPUT", "GST on Income", Decimal("10.0000"), "OUTPUT", "sales"),
        TaxSpec("INPUT", "GST on Expenses", Decimal("10.0000"), "INPUT", "purchases"),
        TaxSpec("EXEMPTOUTPUT", "GST Free Income", Decimal("0.0000"), "EXEMPTOUTPUT", "both"),
        (TaxSpec("BASEXCLUDED", "BAS Excluded", Decimal("0.0000"), "BASEXCLUDED", "both"),),
        "Sydney",
        "NSW",
        "2000",
        "51 824 753 556",
    ),
    OrgProfile(
        "Kōwhai Design Studio",
        "Kōwhai Design Studio Limited",
        "NZD",
        "Pacific/Auckland",
        "NEWZEALANDSTANDARDTIME",
        "NZ",
        "NZ",
        ("AUD", "USD"),
        TaxSpec("OUTPUT2", "15% GST on Income", Decimal("15.0000"), "OUTPUT", "sales"),
        TaxSpec("INPUT2", "15% GST on Expenses", Decimal("15.0000"), "INPUT", "purchases"),
        TaxSpec("NONE", "No GST", Decimal("0.0000"), "NONE", "both"),
        (TaxSpec("ZERORATED", "Zero Rated", Decimal("0.0000"), "ZERORATEDOUTPUT", "sales"),),
        "Auckland",
        "",
        "1010",
        "123-456-789",
        "PAYMENTS",
        "TWOMONTHS",
        (31, 3),
    ),
    OrgProfile(
        "Thames & Tweed Supplies",
        "Thames & Tweed Supplies Ltd",
        "GBP",
        "Europe/London",
        "GMTSTANDARDTIME",
        "GB",
        "UK",
        ("EUR", "USD"),
        TaxSpec("OUTPUT2", "20% (VAT on Income)", Decimal("20.0000"), "OUTPUT", "sales"),
        TaxSpec("INPUT2", "20% (VAT on Expenses)", Decimal("20.0000"), "INPUT", "purchases"),
        TaxSpec("NONE", "No VAT", Decimal("0.0000"), "NONE", "both"),
        (TaxSpec("RROUTPUT", "5% (VAT on Income)", Decimal("5.0000"), "OUTPUT", "sales"),),
        "London",
        "",
        "EC1A 1BB",
        "GB123456789",
        "ACCRUAL",
        "QUARTERLY1",
        (31, 3),
    ),
    OrgProfile(
        "Prairie Lantern Co",
        "Prairie Lantern Co LLC",
        "USD",
        "America/Chicago",
        "CENTRALSTANDARDTIME",
        "US",
        "US",
        ("CAD", "EUR", "MXN"),
        TaxSpec("TAX001", "Sales Tax", Decimal("8.2500"), "OUTPUT", "sales"),
        TaxSpec("INPUT", "Tax on Purchases", Decimal("0.0000"), "INPUT", "purchases"),
        TaxSpec("NONE", "Tax Exempt", Decimal("0.0000"), "NONE", "both"),
        (),
        "Chicago",
        "IL",
        "60601",
        "12-3456789",
        "ACCRUAL",
        "MONTHLY",
        (31, 12),
    ),
    OrgProfile(
        "Maple Ridge Outfitters",
        "Maple Ridge Outfitters Inc.",
        "CAD",
        "America/Toronto",
        "EASTERNSTANDARDTIME",
        "CA",
        "GLOBAL",
        ("USD", "GBP"),
        TaxSpec("OUTPUT", "GST/HST on Sales", Decimal("13.0000"), "OUTPUT", "sales"),
        TaxSpec("INPUT", "GST/HST on Purchases", Decimal("13.0000"), "INPUT", "purchases"),
        TaxSpec("NONE", "No Tax", Decimal("0.0000"), "NONE", "both"),
        (),
        "Toronto",
        "ON",
        "M5H 2N2",
        "123456789RT0001",
    ),
    OrgProfile(
        "Merlion Logistics",
        "Merlion Logistics Pte. Ltd.",
        "SGD",
        "Asia/Singapore",
        "SINGAPORESTANDARDTIME",
        "SG",
        "GLOBAL",
        ("USD", "AUD", "JPY"),
        TaxSpec("OUTPUT", "GST on Sales", Decimal("9.0000"), "OUTPUT", "sales"),
        TaxSpec("INPUT", "GST on Purchases", Decimal("9.0000"), "INPUT", "purchases"),
        TaxSpec("NONE", "No GST", Decimal("0.0000"), "NONE", "both"),
        (),
        "Singapore",
        "",
        "018956",
        "201912345K",
    ),
)

CURRENCY_NAMES = {
    "USD": "United States Dollar",
    "AUD": "Australian Dollar",
    "NZD": "New Zealand Dollar",
    "GBP": "British Pound",
    "EUR": "Euro",
    "CAD": "Canadian Dollar",
    "MXN": "Mexican Peso",
    "SGD": "Singapore Dollar",
    "JPY": "Japanese Yen",
}

# (code, name, type, system account, bank account type) -- a typical Xero chart
CHART: tuple[tuple[str, str, str, str | None], ...] = (
    ("090", "Business Bank Account", "BANK", None),
    ("091", "Business Savings Account", "BANK", None),
    ("200", "Sales", "REVENUE", None),
    ("260", "Other Revenue", "REVENUE", None),
    ("270", "Interest Income", "REVENUE", None),
    ("310", "Cost of Goods Sold", "DIRECTCOSTS", None),
    ("400", "Advertising", "EXPENSE", None),
    ("404", "Bank Fees", "EXPENSE", None),
    ("408", "Cleaning", "EXPENSE", None),
    ("412", "Consulting & Accounting", "EXPENSE", None),
    ("420", "Entertainment", "EXPENSE", None),
    ("425", "Freight & Courier", "EXPENSE", None),
    ("429", "General Expenses", "EXPENSE", None),
    ("433", "Insurance", "EXPENSE", None),
    ("445", "Light, Power, Heating", "EXPENSE", None),
    ("461", "Printing & Stationery", "EXPENSE", None),
    ("469", "Rent", "EXPENSE", None),
    ("473", "Repairs and Maintenance", "EXPENSE", None),
    ("485", "Subscriptions", "EXPENSE", None),
    ("489", "Telephone & Internet", "EXPENSE", None),
    ("493", "Travel - National", "EXPENSE", None),
    ("494", "Travel - International", "EXPENSE", None),
    ("497", "Bank Revaluations", "EXPENSE", "BANKCURRENCYGAIN"),
    ("498", "Unrealised Currency Gains", "EXPENSE", "UNREALISEDCURRENCYGAIN"),
    ("499", "Realised Currency Gains", "EXPENSE", "REALISEDCURRENCYGAIN"),
    ("610", "Accounts Receivable", "CURRENT", "DEBTORS"),
    ("620", "Prepayments", "CURRENT", None),
    ("630", "Inventory", "INVENTORY", None),
    ("710", "Office Equipment", "FIXED", None),
    ("720", "Computer Equipment", "FIXED", None),
    ("800", "Accounts Payable", "CURRLIAB", "CREDITORS"),
    ("801", "Unpaid Expense Claims", "CURRLIAB", "UNPAIDEXPCLM"),
    ("820", "Sales Tax", "CURRLIAB", "GST"),
    ("840", "Historical Adjustment", "CURRLIAB", "HISTORICAL"),
    ("860", "Rounding", "CURRLIAB", "ROUNDING"),
    ("877", "Tracking Transfers", "CURRLIAB", "TRACKINGTRANSFERS"),
    ("900", "Loan", "TERMLIAB", None),
    ("960", "Retained Earnings", "EQUITY", "RETAINEDEARNINGS"),
    ("970", "Owner A Funds Introduced", "EQUITY", None),
    ("980", "Owner A Drawings", "EQUITY", None),
)
PURCHASE_ACCOUNTS = ("310", "400", "408", "412", "425", "429", "433", "445", "461", "469", "489")
SPEND_ACCOUNTS = ("404", "420", "429", "461", "485", "489", "493", "494")

# Contact names in several scripts; Latin names are also built from the word lists below.
INTERNATIONAL_NAMES = (
    "Café Zürich GmbH",
    "Ångström Łódź Sp. z o.o.",
    "Société d'Études Bérénice",
    "Peña & Muñoz S.L.",
    "Đặng Nguyễn Trading",
    "Ørsted Bygg AS",
    "Bäckerei Müller & Söhne",
    "Crème Brûlée Pâtisserie",
    "São João Exportadora Ltda",
    "Žižkov Dílna s.r.o.",
    "ООО «Ромашка»",
    "Иванов и Партнёры",
    "Торговый дом Север",
    "Αθηναϊκή Εμπορική Α.Ε.",
    "Ελληνικά Τρόφιμα Ο.Ε.",
    "株式会社山田商事",
    "北京星光科技有限公司",
    "서울무역 주식회사",
    "شركة النور للتجارة",
    "مؤسسة الخليج للمقاولات",
)
NAME_FIRST = (
    "Blue",
    "Harbour",
    "Summit",
    "Golden",
    "Silver",
    "Northern",
    "Coastal",
    "Red",
    "Evergreen",
    "Iron",
    "Maple",
    "Cedar",
    "Granite",
    "Lakeside",
    "Sunrise",
    "Pioneer",
)
NAME_SECOND = (
    "Fern",
    "Anchor",
    "Ridge",
    "Valley",
    "River",
    "Forge",
    "Lantern",
    "Meadow",
    "Harvest",
    "Compass",
    "Beacon",
    "Orchard",
)
NAME_SUFFIX = (
    "Traders",
    "Holdings",
    "Supplies",
    "Consulting",
    "Logistics",
    "Bakery",
    "Electrical",
    "Plumbing",
    "Studios",
    "Partners",
    "Co",
    "Group",
)
FIRST_NAMES = (
    "Amelia",
    "Noah",
    "Olivia",
    "Liam",
    "Aroha",
    "Mateo",
    "Zoë",
    "Chloé",
    "Søren",
    "Yuki",
)
LAST_NAMES = ("Smith", "Ngata", "García", "Müller", "O'Brien", "Nguyen", "Kowalski", "Dubois")
PRODUCT_WORDS = (
    (
        "Consulting hours",
        "Design retainer",
        "Site visit",
        "Annual support plan",
        "Training session",
    ),
    ("Widget", "Gasket", "Cable", "Lantern", "Valve", "Bracket", "Panel", "Sensor"),
)

INVOICE_STATUS_CYCLE = (
    "PAID",
    "AUTHORISED",
    "PAID",
    "DRAFT",
    "PAID",
    "AUTHORISED",
    "PAID",
    "VOIDED",
    "PAID",
    "AUTHORISED",
    "SUBMITTED",
    "PAID",
    "AUTHORISED",
    "DELETED",
    "PAID",
    "AUTHORISED",
    "PAID",
    "AUTHORISED",
    "PAID",
    "AUTHORISED",
)
BUCKETS = ("current", "1_30", "31_60", "61_90", "over_90")
# days overdue at the anchor for each bucket (inclusive ranges)
BUCKET_DAYS = {
    "current": (-30, 0),
    "1_30": (1, 30),
    "31_60": (31, 60),
    "61_90": (61, 90),
    "over_90": (91, 600),
}
HISTORY_DAYS = 730
# documents that carry the organisation's standard branding theme unless they name their own
BRANDED = ("CreditNotes", "PurchaseOrders", "Quotes", "RepeatingInvoices")
# collections whose generated records are final when emitted
STORED_AT_ONCE = (
    "Invoices",
    "Payments",
    "Journals",
    "BankTransactions",
    "BankTransfers",
    "BatchPayments",
    "CreditNotes",
    "Overpayments",
    "Prepayments",
    "ManualJournals",
    "Quotes",
    "PurchaseOrders",
    "Receipts",
    "ExpenseClaims",
    "LinkedTransactions",
)


def below(rng: random.Random, n: int) -> int:
    """0 <= k < n (faster than randrange; the generator only needs determinism)."""
    return int(rng.random() * n)


def randint(rng: random.Random, low: int, high: int) -> int:
    return low + int(rng.random() * (high - low + 1))


def pick(rng: random.Random, options):
    return options[int(rng.random() * len(options))]


# --------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------
def rows_per_tenant(scale: str | int, tenants: int) -> list[int]:
    if isinstance(scale, int):
        total = scale
    elif scale == "small":
        return [SMALL_ROWS_PER_TENANT] * tenants
    elif scale in SCALE_ROWS:
        total = SCALE_ROWS[scale]
    else:
        raise ValueError(f"unknown scale {scale!r}: small, medium, large or an int")
    share = max(total // max(tenants, 1), 150)
    return [share] * tenants


@dataclass(frozen=True)
class TenantPlan:
    """Who one generated organisation is, before it has records (`fill_tenant` adds them)."""

    tenant_id: str
    connection_id: str
    name: str
    profile: OrgProfile
    rows: int
    rng: random.Random  # the tenant's own random stream, carried on into its records


def tenant_plans(tenants: int, scale: str | int, seed: int) -> Iterator[TenantPlan]:
    if tenants < 1:
        raise ValueError("a sandbox needs at least one tenant")
    for index, rows in enumerate(rows_per_tenant(scale, tenants)):
        rng = random.Random(f"xero-sandbox:{seed}:{index}")
        profile = PROFILES[index % len(PROFILES)]
        name = (
            profile.name
            if index < len(PROFILES)
            else f"{profile.name} {index // len(PROFILES) + 1}"
        )
        tenant_id = new_uuid(rng)
        yield TenantPlan(tenant_id, new_uuid(rng), name, profile, rows, rng)


def fill_tenant(tenant: Books, plan: TenantPlan, anchor: date) -> None:
    """Generate the tenant's records (and its ledger) from its plan."""
    TenantGenerator(tenant, plan.profile, plan.rng, anchor, plan.rows).run()


class TenantGenerator:
    """Fills one tenant's collections."""

    def __init__(
        self, tenant: Books, profile: OrgProfile, rng: random.Random, anchor: date, rows: int
    ):
        self.tenant = tenant
        self.profile = profile
        self.rng = rng
        self.anchor = anchor
        self.rows = rows
        self.ledger = Ledger(tenant, profile, rng, anchor)
        tenant.ledger = self.ledger
        self.out: dict[str, list[dict]] = {}
        self.last_day = anchor - timedelta(days=1)
        self.first_day = anchor - timedelta(days=HISTORY_DAYS)
        self.horizon = midnight(anchor) - timedelta(seconds=1)
        self.customers: list[dict] = []
        self.suppliers: list[dict] = []
        self.items: list[dict] = []
        self.invoice_count = max(int(rows / ROWS_PER_INVOICE), 60)
        self.last_sale: dict | None = None

    # -- helpers -----------------------------------------------------------------------------------
    def emit(self, collection: str, record: dict) -> dict:
        """Hand a finished record over. Transactions are stored at once (compactly); settings
        and contacts stay as dicts until the end of the run, as later steps still edit them."""
        if collection in BRANDED and "BrandingThemeID" not in record:
            record["BrandingThemeID"] = self.out["BrandingThemes"][0]["BrandingThemeID"]
        if collection in STORED_AT_ONCE:
            self.tenant.collection(collection)._append(record)
        else:
            self.out.setdefault(collection, []).append(record)
        return record

    def currency_of(self, contact: dict) -> str:
        return contact.get("DefaultCurrency", self.profile.base_currency)

    def day_between(self, start: date, end: date) -> date:
        if end <= start:
            return start
        return start + timedelta(days=randint(self.rng, 0, (end - start).days))

    def stamp(self, day: date, *, late: bool = False) -> datetime:
        """A timestamp during `day` (business hours UTC), never past the horizon."""
        seconds = randint(self.rng, 6 * 3600, (22 if late else 18) * 3600)
        value = midnight(day) + timedelta(seconds=seconds, milliseconds=randint(self.rng, 0, 999))
        return min(value, self.horizon)

    def updated(self, stamp: datetime) -> datetime:
        """Some records were touched by a bulk update: they share one second (cursor edges)."""
        if self.ledger.batch_stamps and self.rng.random() < 0.06:
            for batch in self.ledger.batch_stamps:
                if batch >= stamp:
                    return batch if self.rng.random() < 0.5 else batch.replace(microsecond=737000)
        return stamp

    def money_amount(self, low: int, high: int) -> Decimal:
        return money(Decimal(randint(self.rng, low * 100, high * 100)) / 100)

    # -- the run -----------------------------------------------------------------------------------
    def run(self) -> None:
        # bulk updates that touched many records at once, spread over the history
        self.ledger.batch_stamps = sorted(
            midnight(self.anchor - timedelta(days=d)) + timedelta(hours=3)
            for d in (600, 400, 200, 90, 30, 5)
        )
        self.organisation()
        self.settings()
        self.accounts()
        self.contacts()
        self.items_()
        self.budgets()
        self.documents()
        self.emit_journals()
        for name, records in self.out.items():
            self.tenant.collection(name)._bulk_load(records)
        self.out = {}
        for name in STORED_AT_ONCE:
            self.tenant.collection(name)._sort()

    # -- settings ----------------------------------------------------------------------------------
    def organisation(self) -> None:
        p = self.profile
        created = self.stamp(self.first_day - timedelta(days=400))
        self.emit(
            "Organisations",
            {
                "OrganisationID": self.tenant.tenant_id,
                "APIKey": "",
                "Name": self.tenant.name,
                "LegalName": p.legal_name,
                "PaysTax": True,
                "Version": p.version,
                "OrganisationType": "COMPANY",
                "BaseCurrency": p.base_currency,
                "CountryCode": p.country,
                "IsDemoCompany": False,
                "OrganisationStatus": "ACTIVE",
                "RegistrationNumber": p.tax_number,
                "TaxNumber": p.tax_number,
                "FinancialYearEndDay": p.financial_year_end[0],
                "FinancialYearEndMonth": p.financial_year_end[1],
                "SalesTaxBasis": p.sales_tax_basis,
                "SalesTaxPeriod": p.sales_tax_period,
                "DefaultSalesTax": "Tax Exclusive",
                "DefaultPurchasesTax": "Tax Inclusive",
                "PeriodLockDate": self.first_day - timedelta(days=1),
                "EndOfYearLockDate": self.first_day - timedelta(days=1),
                "CreatedDateUTC": created,
                "OrganisationEntityType": "COMPANY",
                "Timezone": p.xero_timezone,
                "ShortCode": "!"
                + "".join(pick(self.rng, "ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(5)),
                "Class": "PREMIUM",
                "Edition": "BUSINESS",
                "LineOfBusiness": "Wholesale trade",
                "Addresses": [
                    {
                        "AddressType": "STREET",
                        "AddressLine1": "1 Market Street",
                        "City": p.city,
                        "Region": p.region,
                        "PostalCode": p.postcode,
                        "Country": p.country,
                    }
                ],
                "Phones": [{"PhoneType": "OFFICE", "PhoneNumber": "5550100"}],
                "ExternalLinks": [],
                "PaymentTerms": {
                    "Bills": {"Day": 20, "Type": "OFFOLLOWINGMONTH"},
                    "Sales": {"Day": 30, "Type": "DAYSAFTERBILLDATE"},
                },
            },
        )

    def settings(self) -> None:
        p = self.profile
        ledger = self.ledger
        base_day = self.first_day - timedelta(days=30)
        for code in (p.base_currency, *p.foreign_currencies):
            self.emit("Currencies", {"Code": code, "Description": CURRENCY_NAMES[code]})
        for spec in (p.sales_tax, p.purchase_tax, p.zero_tax, *p.extra_taxes):
            if spec.tax_type in ledger.taxes:
                continue
            ledger.taxes[spec.tax_type] = spec
            self.emit(
                "TaxRates",
                {
                    "Name": spec.name,
                    "TaxType": spec.tax_type,
                    "ReportTaxType": spec.report_type,
                    "CanApplyToAssets": True,
                    "CanApplyToEquity": True,
                    "CanApplyToExpenses": spec.applies_to != "sales",
                    "CanApplyToLiabilities": True,
                    "CanApplyToRevenue": spec.applies_to != "purchases",
                    "DisplayTaxRate": spec.rate,
                    "EffectiveRate": spec.rate,
                    "Status": "ACTIVE",
                    "TaxComponents": [
                        {
                            "Name": spec.name.split(" ")[0],
                            "Rate": spec.rate,
                            "IsCompound": False,
                            "IsNonRecoverable": False,
                        }
                    ],
                },
            )
        # users
        for first, last, role, subscriber in (
            ("Amelia", "Hart", "FINANCIALADVISER", True),
            ("Noah", "Tāwhiri", "STANDARD", False),
            ("Chloé", "Lefèvre", "READONLY", False),
            ("Kenji", "Watanabe", "INVOICEONLY", False),
        ):
            self.emit(
                "Users",
                {
                    "UserID": ledger.new_id(),
                    "EmailAddress": f"{first.lower()}.{last.lower()}@example.com",
                    "FirstName": first,
                    "LastName": last,
                    "UpdatedDateUTC": self.stamp(self.day_between(base_day, self.last_day)),
                    "IsSubscriber": subscriber,
                    "OrganisationRole": role,
                },
            )
        # tracking categories with options (one archived option, one archived category)
        for name, options, status in (
            ("Region", ("North", "South", "East", "West", "Online"), "ACTIVE"),
            ("Department", ("Sales", "Operations", "Admin"), "ACTIVE"),
            ("Legacy Project", ("Alpha", "Beta"), "ARCHIVED"),
        ):
            category_id = ledger.new_id()
            opts = [
                {
                    "TrackingOptionID": ledger.new_id(),
                    "Name": option,
                    "Status": "ARCHIVED"
                    if (status == "ARCHIVED" or option == "East")
                    else "ACTIVE",
                    "TrackingCategoryID": category_id,
                }
                for option in options
            ]
            category = {
                "TrackingCategoryID": category_id,
                "Name": name,
                "Status": status,
                "Options": opts,
            }
            self.emit("TrackingCategories", category)
            if status == "ACTIVE":
                ledger.tracking.append((category, [o for o in opts if o["Status"] == "ACTIVE"]))
        for order, name in enumerate(("Standard", "Special projects", "Very orange invoice!")):
            self.emit(
                "BrandingThemes",
                {
                    "BrandingThemeID": ledger.new_id(),
                    "Name": name,
                    "LogoUrl": f"https://in.xero.com/logo?id={order}" if order else None,
                    "Type": "INVOICE",
                    "SortOrder": order,
                    "CreatedDateUTC": self.stamp(base_day - timedelta(days=order)),
                },
            )
        for record in self.out["BrandingThemes"]:
            if record["LogoUrl"] is None:
                del record["LogoUrl"]
        self.emit("InvoiceReminders", {"Enabled": self.rng.random() < 0.7})
        for action, allowed in (
            ("UseMulticurrency", True),
            ("EnableVisualRecordKeeping", False),
            ("CreateApprovedInvoice", True),
            ("ApproveInvoices", True),
            ("PayInvoices", True),
            ("CreateBankTransaction", True),
            ("ViewReports", True),
            ("ManageUsers", False),
        ):
            self.emit(
                "Actions", {"Name": action, "Status": "ALLOWED" if allowed else "NOT-ALLOWED"}
            )
        for name, kind in (
            ("Stripe", "Stripe"),
            ("PayPal", "PayPal"),
            ("Custom pay link", "Custom"),
        ):
            self.emit(
                "PaymentServices",
                {
                    "PaymentServiceID": ledger.new_id(),
                    "PaymentServiceName": name,
                    "PaymentServiceUrl": f"https://pay.example.com/{kind.lower()}?invoice=[INVOICENUMBER]",
                    "PayNowText": "Pay now",
                    "PaymentServiceType": kind,
                },
            )

    def accounts(self) -> None:
        ledger = self.ledger
        p = self.profile
        chart = list(CHART)
        for currency in p.foreign_currencies[:1]:
            chart.insert(2, ("092", f"{currency} Business Account", "BANK", None))
        for code, name, kind, system in chart:
            account = {
                "AccountID": ledger.new_id(),
                "Code": code,
                "Name": name,
                "Status": "ACTIVE",
                "Type": kind,
                "TaxType": self._account_tax(kind),
                "Class": ACCOUNT_CLASS[kind],
                "EnablePaymentsToAccount": kind == "BANK",
                "ShowInExpenseClaims": kind == "EXPENSE",
                "ReportingCode": f"{ACCOUNT_CLASS[kind][:3]}.{code}",
                "ReportingCodeName": name,
                "HasAttachments": False,
                "UpdatedDateUTC": self.stamp(self.day_between(self.first_day, self.last_day)),
                "AddToWatchlist": code in ("090", "610", "800"),
            }
            if kind == "BANK":
                account["BankAccountNumber"] = "-".join(
                    str(randint(self.rng, low, low * 10 - 1)) for low in (10, 1000, 1000000)
                )
                account["BankAccountType"] = "BANK"
                account["CurrencyCode"] = p.base_currency
                if code == "092":
                    account["CurrencyCode"] = p.foreign_currencies[0]
                    ledger.foreign_bank[p.foreign_currencies[0]] = account
                else:
                    ledger.bank_accounts.append(account)
            if system:
                account["SystemAccount"] = system
            if kind in ("EXPENSE", "REVENUE"):
                account["Description"] = f"{name} ({ACCOUNT_CLASS[kind].lower()})"
            ledger.accounts_by_code[code] = account
            self.emit("Accounts", account)
        # an archived account and a credit card account
        for code, name, kind, status in (
            ("450", "Freight (old)", "EXPENSE", "ARCHIVED"),
            ("095", "Company Credit Card", "BANK", "ACTIVE"),
        ):
            account = {
                "AccountID": ledger.new_id(),
                "Code": code,
                "Name": name,
                "Status": status,
                "Type": kind,
                "TaxType": self._account_tax(kind),
                "Class": ACCOUNT_CLASS[kind],
                "EnablePaymentsToAccount": False,
                "ShowInExpenseClaims": False,
                "HasAttachments": False,
                "UpdatedDateUTC": self.stamp(self.day_between(self.first_day, self.last_day)),
                "AddToWatchlist": False,
            }
            if kind == "BANK":
                account["BankAccountType"] = "CREDITCARD"
                account["BankAccountNumber"] = "4111"
                account["CurrencyCode"] = p.base_currency
            ledger.accounts_by_code[code] = account
            self.emit("Accounts", account)

    def _account_tax(self, kind: str) -> str:
        p = self.profile
        if kind in ("REVENUE", "SALES"):
            return p.sales_tax.tax_type
        if kind in ("EXPENSE", "DIRECTCOSTS", "OVERHEADS", "FIXED", "INVENTORY"):
            return p.purchase_tax.tax_type
        return p.zero_tax.tax_type

    # -- contacts and items ------------------------------------------------------------------------
    def contacts(self) -> None:
        ledger = self.ledger
        p = self.profile
        count = max(24, self.invoice_count // 12)
        used: set[str] = set()
        group_members: dict[int, list[dict]] = {0: [], 1: [], 2: []}
        for n in range(count):
            if n < len(INTERNATIONAL_NAMES) and n % 2 == 0 or n < 6:
                name = INTERNATIONAL_NAMES[(n * 7) % len(INTERNATIONAL_NAMES)]
            else:
                name = " ".join(
                    (
                        pick(self.rng, NAME_FIRST),
                        pick(self.rng, NAME_SECOND),
                        pick(self.rng, NAME_SUFFIX),
                    )
                )
            base_name, k = name, 1
            while name in used:
                k += 1
                name = f"{base_name} ({k})"
            used.add(name)
            is_customer = n % 3 != 2
            is_supplier = n % 3 != 0
            foreign = n % 7 == 3 and p.foreign_currencies
            currency = (
                p.foreign_currencies[(n // 7) % len(p.foreign_currencies)]
                if foreign
                else p.base_currency
            )
            first, last = pick(self.rng, FIRST_NAMES), pick(self.rng, LAST_NAMES)
            archived = n % 17 == 11
            stamp = self.stamp(self.day_between(self.first_day, self.last_day))
            contact = {
                "ContactID": ledger.new_id(),
                "ContactNumber": f"C{n + 1:05d}" if n % 4 else None,
                "AccountNumber": f"ACC-{n + 1:04d}" if n % 5 == 0 else None,
                "ContactStatus": "ARCHIVED" if archived else "ACTIVE",
                "Name": name,
                "FirstName": first,
                "LastName": last,
                "EmailAddress": f"{first.lower()}.{n}@example.org".replace("ë", "e")
                .replace("é", "e")
                .replace("ø", "o"),
                "BankAccountDetails": f"{randint(self.rng, 10, 99)}-{randint(self.rng, 1000, 9999)}"
                if is_supplier
                else "",
                "TaxNumber": f"{randint(self.rng, 10**8, 10**9 - 1)}" if n % 3 == 0 else None,
                "AccountsReceivableTaxType": p.sales_tax.tax_type if is_customer else None,
                "AccountsPayableTaxType": p.purchase_tax.tax_type if is_supplier else None,
                "Addresses": [
                    {
                        "AddressType": "POBOX",
                        "AddressLine1": f"PO Box {100 + n}",
                        "City": p.city,
                        "Region": p.region,
                        "PostalCode": p.postcode,
                        "Country": p.country,
                    },
                    {"AddressType": "STREET"},
                ],
                "Phones": [
                    {
                        "PhoneType": "DEFAULT",
                        "PhoneNumber": f"555{n:04d}",
                        "PhoneAreaCode": "02",
                        "PhoneCountryCode": "61",
                    },
                    {"PhoneType": "DDI"},
                    {"PhoneType": "FAX"},
                    {"PhoneType": "MOBILE"},
                ],
                "UpdatedDateUTC": self.updated(stamp),
                "ContactGroups": [],
                "IsSupplier": is_supplier,
                "IsCustomer": is_customer,
                "DefaultCurrency": currency,
                "ContactPersons": (
                    [
                        {
                            "FirstName": pick(self.rng, FIRST_NAMES),
                            "LastName": last,
                            "EmailAddress": f"accounts.{n}@example.org",
                            "IncludeInEmails": True,
                        }
                    ]
                    if n % 4 == 1
                    else []
                ),
                "HasAttachments": False,
                "HasValidationErrors": False,
            }
            if is_customer:
                contact["SalesDefaultAccountCode"] = "200"
                contact["PaymentTerms"] = {
                    "Sales": {"Day": (7, 14, 30)[n % 3], "Type": "DAYSAFTERBILLDATE"}
                }
            if is_supplier:
                contact["PurchasesDefaultAccountCode"] = PURCHASE_ACCOUNTS[
                    n % len(PURCHASE_ACCOUNTS)
                ]
            contact.update(self.contact_extras(n, contact))
            for key in [k for k, v in contact.items() if v is None]:
                del contact[key]
            if n % 6 == 0:
                group_members[n % 3].append(contact)
            self.emit("Contacts", contact)
            if is_customer:
                self.customers.append(contact)
            if is_supplier:
                self.suppliers.append(contact)
        for index, (name, status) in enumerate(
            (("Preferred customers", "ACTIVE"), ("Wholesale", "ACTIVE"), ("Old list", "DELETED"))
        ):
            group_id = ledger.new_id()
            members = group_members.get(index, []) if status == "ACTIVE" else []
            for member in members:
                member["ContactGroups"].append(
                    {"ContactGroupID": group_id, "Name": name, "Status": status, "Contacts": []}
                )
            self.emit(
                "ContactGroups",
                {
                    "ContactGroupID": group_id,
                    "Name": name,
                    "Status": status,
                    "Contacts": [{"ContactID": m["ContactID"], "Name": m["Name"]} for m in members],
                },
            )

    def contact_extras(self, n: int, contact: dict) -> dict:
        """The read-only contact fields Xero's examples show: website, discount, branding
        theme and the bank details for batch payments (drawn from `n`, not the random stream)."""
        extras: dict = {}
        if n % 3 == 0:
            slug = "".join(c for c in contact["Name"].lower() if c.isascii() and c.isalnum())
            extras["Website"] = f"https://www.{slug or 'contact'}.example"
        if contact["IsCustomer"]:
            theme = self.out["BrandingThemes"][n % 2]
            extras["BrandingTheme"] = {
                "BrandingThemeID": theme["BrandingThemeID"],
                "Name": theme["Name"],
            }
            if n % 5 == 1:
                extras["Discount"] = money((n % 4 + 1) * Decimal("2.50"))
        if contact["IsSupplier"]:
            extras["BatchPayments"] = {
                "BankAccountNumber": contact["BankAccountDetails"],
                "BankAccountName": contact["Name"][:30],
                "Details": f"Supplier {n + 1}",
                "Code": "",
                "Reference": "",
            }
        return extras

    def items_(self) -> None:
        ledger = self.ledger
        p = self.profile
        count = max(12, min(400, self.invoice_count // 40))
        for n in range(count):
            words = PRODUCT_WORDS[n % 2]
            name = f"{words[n % len(words)]} {n // len(words) + 1}"
            four_dp = n % 5 == 1
            price = Decimal(randint(self.rng, 500, 90000)) / (10000 if four_dp else 100)
            price = price.quantize(UNIT4 if four_dp else CENT)
            tracked = n % 6 == 2
            item = {
                "ItemID": ledger.new_id(),
                "Code": f"ITM-{n + 1:03d}",
                "Name": name,
                "Description": f"{name} (sales)",
                "PurchaseDescription": f"{name} (purchase)",
                "IsSold": True,
                "IsPurchased": n % 4 != 3,
                "IsTrackedAsInventory": tracked,
                "SalesDetails": {
                    "UnitPrice": price,
                    "AccountCode": "200",
                    "TaxType": p.sales_tax.tax_type,
                },
                "PurchaseDetails": {
                    "UnitPrice": money(price * Decimal("0.6")),
                    "AccountCode": "310" if not tracked else None,
                    "COGSAccountCode": "310" if tracked else None,
                    "TaxType": p.purchase_tax.tax_type,
                },
                "UpdatedDateUTC": self.updated(
                    self.stamp(self.day_between(self.first_day, self.last_day))
                ),
            }
            for key in [k for k, v in item["PurchaseDetails"].items() if v is None]:
                del item["PurchaseDetails"][key]
            if tracked:
                item["InventoryAssetAccountCode"] = "630"
                item["TotalCostPool"] = money(price * 6)
                item["QuantityOnHand"] = Decimal("10.0000")
            self.items.append(item)
            self.emit("Items", item)

    # -- transactions ------------------------------------------------------------------------------
    def documents(self) -> None:
        counters = {"ACCREC": 0, "ACCPAY": 0}
        buckets = {"ACCREC": 0, "ACCPAY": 0}
        for i in range(self.invoice_count):
            kind = "ACCPAY" if i % 3 == 2 else "ACCREC"
            status = INVOICE_STATUS_CYCLE[counters[kind] % len(INVOICE_STATUS_CYCLE)]
            counters[kind] += 1
            bucket = None
            if status == "AUTHORISED":
                bucket = BUCKETS[buckets[kind] % len(BUCKETS)]
                buckets[kind] += 1
            self.invoice(kind, status, bucket)
            if i % 9 == 4:
                self.bank_transaction()
            if i % 9 == 7:
                self.bank_transaction()
            if i % 25 == 3:
                self.standalone_credit_note(kind)
            if i % 45 == 10:
                self.bank_transfer()
            if i % 50 == 20:
                self.manual_journal()
            if i % 60 == 30:
                self.standalone_overpayment(kind)
            if i % 70 == 35:
                self.batch_payment()
            if i % 20 == 5:
                self.quote()
            if i % 20 == 15:
                self.purchase_order()
            if i % 40 == 8 and len(self.out.get("RepeatingInvoices", ())) < 300:
                self.repeating_invoice()
            if i % 60 == 12:
                self.expense_claim()

    def pick_contact(self, kind: str) -> dict:
        pool = self.customers if kind in ("ACCREC", "ACCRECCREDIT", "RECEIVE") else self.suppliers
        return pool[below(self.rng, len(pool))]

    def line_specs(self, kind: str, contact: dict, count: int | None = None) -> list[dict]:
        sales = kind in ("ACCREC", "ACCRECCREDIT", "RECEIVE")
        tax_type = (self.profile.sales_tax if sales else self.profile.purchase_tax).tax_type
        specs = []
        for _ in range(count or pick(self.rng, (1, 1, 2, 2, 3, 4))):
            roll = self.rng.random()
            spec: dict = {"TaxType": tax_type}
            if roll < 0.3 and self.items:
                item = self.items[below(self.rng, len(self.items))]
                details = item["SalesDetails"] if sales else item["PurchaseDetails"]
                spec.update(
                    Description=item["Description"] if sales else item["PurchaseDescription"],
                    Quantity=Decimal(randint(self.rng, 1, 20)),
                    UnitAmount=details["UnitPrice"],
                    AccountCode=details.get("AccountCode")
                    or details.get("COGSAccountCode")
                    or "310",
                    ItemCode=item["Code"],
                    Item={"ItemID": item["ItemID"], "Name": item["Name"], "Code": item["Code"]},
                )
            else:
                four_dp = roll > 0.85
                unit = Decimal(randint(self.rng, 1000, 250000)) / (10000 if four_dp else 100)
                spec.update(
                    Description=pick(self.rng, PRODUCT_WORDS[0] if sales else PRODUCT_WORDS[1]),
                    Quantity=Decimal(pick(self.rng, (1, 1, 1, 2, 3, 5, "1.5", "0.25"))),
                    UnitAmount=unit,
                    AccountCode=(
                        contact.get("SalesDefaultAccountCode", "200")
                        if sales
                        else contact.get("PurchasesDefaultAccountCode", "429")
                    ),
                )
            if self.ledger.tracking and self.rng.random() < 0.25:
                category, options = self.ledger.tracking[below(self.rng, len(self.ledger.tracking))]
                option = options[below(self.rng, len(options))]
                spec["Tracking"] = [
                    {
                        "TrackingCategoryID": category["TrackingCategoryID"],
                        "TrackingOptionID": option["TrackingOptionID"],
                        "Name": category["Name"],
                        "Option": option["Name"],
                    }
                ]
            if self.rng.random() < 0.05:
                spec["DiscountRate"] = Decimal(pick(self.rng, (5, 10, 15)))
            specs.append(spec)
        return specs

    def after(self, previous: datetime, day: date) -> datetime:
        stamp = self.stamp(day)
        if stamp <= previous:
            stamp = min(previous + timedelta(seconds=randint(self.rng, 1, 900)), self.horizon)
        return stamp

    def later(self, previous: datetime, day: date, within: int | None = None) -> datetime:
        """A stamp after `previous` on a day from `day` to the last day (or `within` days)."""
        end = self.last_day if within is None else min(day + timedelta(days=within), self.last_day)
        return self.after(previous, self.day_between(day, end))

    def invoice(self, kind: str, status: str, bucket: str | None) -> dict:
        ledger = self.ledger
        rng = self.rng
        contact = self.pick_contact(kind)
        terms = (7, 14, 30, 30, 45)[below(rng, 5)]
        if bucket is not None:
            low, high = BUCKET_DAYS[bucket]
            due = self.anchor - timedelta(days=randint(rng, low, high))
            day = due - timedelta(days=terms)
            if day > self.last_day:
                day = self.last_day
            if day < self.first_day:
                day = self.first_day
                due = max(due, day)
        else:
            day = self.day_between(self.first_day, self.last_day)
            due = day + timedelta(days=terms)
        currency = self.currency_of(contact)
        rate = ledger.currency_rate(currency, day)
        line_amount_types = ("Exclusive", "Exclusive", "Exclusive", "Inclusive", "NoTax")[
            below(rng, 5)
        ]
        created = self.stamp(day)
        number = None
        if kind == "ACCREC":
            number = f"INV-{ledger.next_number('INV'):05d}"
        elif rng.random() < 0.9:
            number = f"{contact['Name'][:3].upper()}-{randint(rng, 1000, 99999)}"
        invoice = ledger.invoice_record(
            kind=kind,
            contact=contact,
            day=day,
            due=due,
            status="AUTHORISED" if status in ("PAID", "VOIDED") else status,
            currency=currency,
            rate=rate,
            specs=self.line_specs(kind, contact),
            line_amount_types=line_amount_types,
            number=number,
            reference=f"PO {randint(rng, 100, 9999)}" if rng.random() < 0.6 else "",
            stamp=created,
        )
        invoice["SentToContact"] = kind == "ACCREC" and status not in ("DRAFT", "DELETED")
        if kind == "ACCREC":
            themes = self.out["BrandingThemes"]
            invoice["BrandingThemeID"] = themes[0 if rng.random() < 0.8 else 1]["BrandingThemeID"]
        if status in ("AUTHORISED", "PAID", "VOIDED"):
            ledger.post_invoice(invoice, created)
        last = created
        if status == "VOIDED":
            last = self.later(created, day)
            invoice["Status"] = "VOIDED"
            ledger.refresh_invoice(invoice)
            ledger.post_invoice(invoice, last, reverse=True)
        elif status == "DELETED":
            last = self.later(created, day, 20)
            invoice["Status"] = "DELETED"
            ledger.refresh_invoice(invoice)
        elif status == "PAID":
            last = self.settle_fully(invoice, contact, created)
        elif status == "AUTHORISED":
            last = self.settle_partly(invoice, contact, created)
        invoice["UpdatedDateUTC"] = self.updated(last)
        self.emit("Invoices", invoice)
        if kind == "ACCREC" and status in ("AUTHORISED", "PAID"):
            self.last_sale = invoice
        elif kind == "ACCPAY" and status in ("AUTHORISED", "PAID") and self.rng.random() < 0.12:
            self.linked_transaction(invoice, self.last_sale if self.rng.random() < 0.5 else None)
        return invoice

    def settle_fully(self, invoice: dict, contact: dict, created: datetime) -> datetime:
        rng = self.rng
        day = invoice["Date"]
        final_day = invoice["DueDate"] + timedelta(days=randint(rng, -25, 45))
        final_day = min(max(final_day, day), self.last_day)
        last = created
        roll = rng.random()
        if roll < 0.12:
            credit_day = self.day_between(day, final_day)
            last = self.credit_and_allocate(
                invoice, contact, credit_day, last, Decimal(randint(rng, 15, 60)) / 100
            )
        elif roll < 0.17:
            last = self.overpay_and_allocate(
                invoice, contact, self.day_between(day, final_day), last, full=rng.random() < 0.5
            )
        elif roll < 0.22:
            last = self.prepay_and_allocate(
                invoice, contact, self.day_between(day, final_day), last
            )
        elif roll < 0.40 and invoice["AmountDue"] > 1:
            first_day = self.day_between(day, final_day)
            amount = money(invoice["AmountDue"] * Decimal(randint(rng, 20, 70)) / 100)
            last = self.pay(invoice, amount, first_day, last)
        if invoice["AmountDue"] > 0:
            last = self.pay(invoice, invoice["AmountDue"], final_day, last)
        return last

    def settle_partly(self, invoice: dict, contact: dict, created: datetime) -> datetime:
        rng = self.rng
        day = invoice["Date"]
        roll = rng.random()
        if invoice["AmountDue"] < 2:
            return created
        if roll < 0.35:
            amount = money(invoice["AmountDue"] * Decimal(randint(rng, 10, 70)) / 100)
            return self.pay(invoice, amount, self.day_between(day, self.last_day), created)
        if roll < 0.45:
            fraction = Decimal(randint(rng, 10, 40)) / 100
            return self.credit_and_allocate(
                invoice, contact, self.day_between(day, self.last_day), created, fraction
            )
        if roll < 0.50:
            return self.overpay_and_allocate(
                invoice, contact, self.day_between(day, self.last_day), created, full=False
            )
        return created

    def pay(self, invoice: dict, amount: Decimal, day: date, previous: datetime) -> datetime:
        stamp = self.after(previous, day)
        payment = self.ledger.apply_payment(
            invoice,
            "Invoice",
            amount,
            day,
            stamp,
            reference=pick(self.rng, ("", "Thank you", "EFT", "Direct debit", "Cheque 1042")),
            is_reconciled=self.rng.random() < 0.8,
        )
        payment["UpdatedDateUTC"] = self.updated(stamp)
        self.emit("Payments", payment)
        return stamp

    def credit_and_allocate(
        self, invoice: dict, contact: dict, day: date, previous: datetime, fraction: Decimal
    ) -> datetime:
        ledger = self.ledger
        amount = money(invoice["AmountDue"] * fraction)
        if amount <= 0:
            return previous
        stamp = self.after(previous, day)
        first_line = invoice["LineItems"][0]
        credit = ledger.credit_note_record(
            kind="ACCRECCREDIT" if invoice["Type"] == "ACCREC" else "ACCPAYCREDIT",
            contact=contact,
            day=day,
            status="AUTHORISED",
            currency=invoice["CurrencyCode"],
            rate=invoice["CurrencyRate"],
            specs=[
                {
                    "Description": f"Credit for {invoice.get('InvoiceNumber') or 'bill'}",
                    "Quantity": Decimal(1),
                    "UnitAmount": amount,
                    "AccountCode": first_line.get("AccountCode"),
                    "TaxType": first_line.get("TaxType"),
                }
            ],
            line_amount_types="Inclusive" if invoice["LineAmountTypes"] != "NoTax" else "NoTax",
            reference=invoice.get("InvoiceNumber") or "",
            stamp=stamp,
        )
        ledger.post_credit_note(credit, stamp)
        allocation_stamp = stamp
        applied = min(credit["RemainingCredit"], invoice["AmountDue"])
        ledger.apply_allocation(credit, "CreditNotes", invoice, applied, day, allocation_stamp)
        credit["UpdatedDateUTC"] = self.updated(allocation_stamp)
        self.emit("CreditNotes", credit)
        return allocation_stamp

    def overpay_and_allocate(
        self, invoice: dict, contact: dict, day: date, previous: datetime, *, full: bool
    ) -> datetime:
        ledger = self.ledger
        due = invoice["AmountDue"]
        applied = due if full else money(due * Decimal(randint(self.rng, 20, 60)) / 100)
        if applied <= 0:
            return previous
        extra = (
            money(Decimal(randint(self.rng, 0, 5000)) / 100) if self.rng.random() < 0.5 else ZERO
        )
        stamp = self.after(previous, day)
        overpayment = self.credit_document(
            "Overpayments", invoice, contact, day, applied + extra, stamp
        )
        ledger.apply_allocation(overpayment, "Overpayments", invoice, applied, day, stamp)
        overpayment["UpdatedDateUTC"] = self.updated(stamp)
        self.emit("Overpayments", overpayment)
        return stamp

    def prepay_and_allocate(
        self, invoice: dict, contact: dict, day: date, previous: datetime
    ) -> datetime:
        ledger = self.ledger
        prepay_day = self.day_between(
            max(invoice["Date"] - timedelta(days=30), self.first_day), invoice["Date"]
        )
        stamp = self.after(previous, day)
        applied = invoice["AmountDue"]
        prepayment = self.credit_document(
            "Prepayments", invoice, contact, prepay_day, applied, self.stamp(prepay_day)
        )
        ledger.apply_allocation(prepayment, "Prepayments", invoice, applied, day, stamp)
        prepayment["UpdatedDateUTC"] = self.updated(max(stamp, prepayment["UpdatedDateUTC"]))
        self.emit("Prepayments", prepayment)
        return stamp

    def credit_document(
        self,
        collection: str,
        invoice: dict,
        contact: dict,
        day: date,
        amount: Decimal,
        stamp: datetime,
    ) -> dict:
        """An overpayment or prepayment through the bank, with its bank transaction.
        `invoice` gives the Type, CurrencyCode and CurrencyRate."""
        ledger = self.ledger
        bank = bank_for(ledger, invoice["CurrencyCode"])
        record = ledger.prepayment_record(
            collection,
            receive=invoice["Type"] == "ACCREC",
            contact=contact,
            day=day,
            currency=invoice["CurrencyCode"],
            rate=invoice["CurrencyRate"],
            amount=amount,
            stamp=stamp,
            bank=bank,
        )
        self.emit("BankTransactions", ledger.bank_transaction_for(record, collection, bank))
        return record

    def standalone_credit_note(self, kind: str) -> None:
        """Credit notes that stay open, were refunded, or never got approved."""
        ledger = self.ledger
        contact = self.pick_contact(kind)
        day = self.day_between(self.first_day, self.last_day)
        currency = self.currency_of(contact)
        status = ("AUTHORISED", "DRAFT", "AUTHORISED", "VOIDED", "PAID", "DELETED", "SUBMITTED")[
            ledger.next_number("standalone-cn") % 7
        ]
        stamp = self.stamp(day)
        credit = ledger.credit_note_record(
            kind="ACCRECCREDIT" if kind == "ACCREC" else "ACCPAYCREDIT",
            contact=contact,
            day=day,
            status="AUTHORISED" if status in ("PAID", "VOIDED") else status,
            currency=currency,
            rate=ledger.currency_rate(currency, day),
            specs=self.line_specs(kind, contact, 1),
            line_amount_types="Exclusive",
            reference="Goodwill credit",
            stamp=stamp,
        )
        last = stamp
        if status in ("AUTHORISED", "PAID", "VOIDED"):
            ledger.post_credit_note(credit, stamp)
        if status == "VOIDED":
            last = self.later(stamp, day)
            credit["Status"] = "VOIDED"
            credit["RemainingCredit"] = ZERO
            ledger.post_credit_note(credit, last, reverse=True)
        elif status == "PAID":
            refund_day = self.day_between(day, self.last_day)
            last = self.after(stamp, refund_day)
            payment = ledger.apply_payment(
                credit,
                "CreditNote",
                credit["RemainingCredit"],
                refund_day,
                last,
                reference="Refund",
            )
            payment["UpdatedDateUTC"] = self.updated(last)
            self.emit("Payments", payment)
        elif status == "DELETED":
            last = self.later(stamp, day, 10)
            credit["Status"] = "DELETED"
        credit["UpdatedDateUTC"] = self.updated(last)
        self.emit("CreditNotes", credit)

    def standalone_overpayment(self, kind: str) -> None:
        contact = self.pick_contact(kind)
        day = self.day_between(self.first_day, self.last_day)
        amount = self.money_amount(20, 900)
        currency = self.currency_of(contact)
        terms = {
            "Type": kind,
            "CurrencyCode": currency,
            "CurrencyRate": self.ledger.currency_rate(currency, day),
        }
        collection = ("Prepayments", "Overpayments")[self.ledger.next_number("standalone-op") % 2]
        record = self.credit_document(collection, terms, contact, day, amount, self.stamp(day))
        self.emit(collection, record)

    def bank_transaction(self) -> None:
        ledger = self.ledger
        rng = self.rng
        receive = rng.random() < 0.35
        kind = "RECEIVE" if receive else "SPEND"
        contact = (
            self.pick_contact("ACCREC" if receive else "ACCPAY") if rng.random() < 0.8 else None
        )
        day = self.day_between(self.first_day, self.last_day)
        foreign = rng.random() < 0.1 and ledger.foreign_bank
        if foreign:
            currency, bank = next(iter(ledger.foreign_bank.items()))
        else:
            currency, bank = (
                self.profile.base_currency,
                ledger.bank_accounts[below(rng, len(ledger.bank_accounts))],
            )
            if not receive and rng.random() < 0.2:
                bank = ledger.account("095")
        specs = self.line_specs("RECEIVE" if receive else "SPEND", contact or {}, None)
        if not receive:
            for spec in specs:
                if "ItemCode" not in spec:
                    spec["AccountCode"] = SPEND_ACCOUNTS[below(rng, len(SPEND_ACCOUNTS))]
        status = ("AUTHORISED",) * 12 + ("DELETED", "VOIDED")
        status = status[below(rng, len(status))]
        stamp = self.stamp(day)
        record = ledger.bank_transaction_record(
            kind=kind,
            contact=contact,
            bank=bank,
            day=day,
            currency=currency,
            rate=ledger.currency_rate(currency, day),
            specs=specs,
            line_amount_types=("Exclusive", "Inclusive", "Inclusive", "NoTax")[below(rng, 4)],
            reference=pick(
                rng, ("", "Card purchase", "Direct credit", "Office supplies", "Refund")
            ),
            stamp=stamp,
            is_reconciled=rng.random() < 0.7,
        )
        last = stamp
        if status != "DELETED" or rng.random() < 0.5:
            ledger.post_bank_transaction(record, stamp)
            if status != "AUTHORISED":
                last = self.later(stamp, day)
                ledger.post_bank_transaction(record, last, reverse=True)
        record["Status"] = status
        record["UpdatedDateUTC"] = self.updated(last)
        self.emit("BankTransactions", record)

    def bank_transfer(self) -> None:
        ledger = self.ledger
        source, target = ledger.bank_accounts[0], ledger.bank_accounts[1]
        if self.rng.random() < 0.5:
            source, target = target, source
        day = self.day_between(self.first_day, self.last_day)
        amount = self.money_amount(100, 20000)
        stamp = self.stamp(day)
        deleted = self.rng.random() < 0.1
        transfer_id = ledger.new_id()
        pair = ledger.transfer_pair(
            source, target, amount, day, stamp, "Transfer", is_reconciled=True
        )
        status = "DELETED" if deleted else "AUTHORISED"
        for record in pair:
            record["Status"] = status
            self.emit("BankTransactions", record)
        transfer = ledger.transfer_record(
            transfer_id,
            pair,
            amount,
            stamp,
            from_reconciled=True,
            to_reconciled=self.rng.random() < 0.8,
            status=status,
        )
        ledger.post_transfer(transfer, source, target, stamp)
        if deleted:
            ledger.post_transfer(
                transfer, source, target, stamp + timedelta(seconds=5), reverse=True
            )
        self.emit("BankTransfers", transfer)

    def manual_journal(self) -> None:
        ledger = self.ledger
        rng = self.rng
        day = self.day_between(self.first_day, self.last_day)
        amount = self.money_amount(50, 5000)
        debit, credit = pick(rng, (("420", "090"), ("710", "900"), ("469", "800"), ("433", "620")))
        status = ("POSTED",) * 6 + ("DRAFT", "VOIDED", "DELETED", "ARCHIVED")
        status = status[below(rng, len(status))]
        stamp = self.stamp(day)
        split = money(amount * Decimal("0.4"))
        lines = [
            ledger.manual_journal_line(ledger.account(debit), amount - split, "Accrual"),
            ledger.manual_journal_line(ledger.account(debit), split, "Accrual (part 2)"),
            ledger.manual_journal_line(ledger.account(credit), -amount, "Accrual"),
        ]
        journal_id = ledger.new_id()
        narration = pick(
            rng,
            (
                "Month-end accrual",
                "Depreciation",
                "Reclassify expense",
                "Opening balance — révision",
            ),
        )
        record = ledger.manual_journal_record(
            journal_id, narration, lines, day, status, cash_basis=rng.random() < 0.5
        )
        record["UpdatedDateUTC"] = stamp
        last = stamp
        if status in ("POSTED", "VOIDED", "ARCHIVED"):
            ledger.post_manual_journal(record, stamp)
        if status == "VOIDED":
            last = self.later(stamp, day)
            ledger.post_manual_journal(record, last, reverse=True)
        elif status in ("DELETED", "ARCHIVED"):
            last = self.later(stamp, day)
        record["UpdatedDateUTC"] = self.updated(last)
        self.emit("ManualJournals", record)

    def batch_payment(self) -> None:
        """Two to four supplier bills paid together in one bank line."""
        ledger = self.ledger
        day = self.day_between(self.first_day + timedelta(days=60), self.last_day)
        batch_id = ledger.new_id()
        bank = ledger.bank_accounts[0]
        stamp = self.stamp(day)
        payments = []
        for _ in range(randint(self.rng, 2, 4)):
            contact = self.pick_contact("ACCPAY")
            if self.currency_of(contact) != self.profile.base_currency:
                continue
            invoice_day = day - timedelta(days=randint(self.rng, 5, 50))
            created = self.stamp(invoice_day)
            invoice = ledger.invoice_record(
                kind="ACCPAY",
                contact=contact,
                day=invoice_day,
                due=invoice_day + timedelta(days=30),
                status="AUTHORISED",
                currency=self.profile.base_currency,
                rate=ONE_RATE,
                specs=self.line_specs("ACCPAY", contact),
                line_amount_types="Exclusive",
                number=f"BP-{randint(self.rng, 10000, 99999)}",
                reference="",
                stamp=created,
            )
            ledger.post_invoice(invoice, created)
            payment = ledger.apply_payment(
                invoice,
                "Invoice",
                invoice["AmountDue"],
                day,
                stamp,
                reference="Batch",
                is_reconciled=True,
                batch_id=batch_id,
            )
            invoice["UpdatedDateUTC"] = stamp
            self.emit("Invoices", invoice)
            self.emit("Payments", payment)
            payments.append(payment)
        if not payments:
            return
        total = sum((p["Amount"] for p in payments), ZERO)
        self.emit(
            "BatchPayments",
            {
                "Account": {"AccountID": bank["AccountID"]},
                "Reference": f"Supplier run {ledger.next_number('BATCH')}",
                "Particulars": "",
                "Code": "",
                "Details": "",
                "Narrative": "Supplier payments",
                "BatchPaymentID": batch_id,
                "Date": day,
                "Amount": total,
                "Payments": [
                    {
                        "PaymentID": p["PaymentID"],
                        "Amount": p["Amount"],
                        "Invoice": {
                            "InvoiceID": p["Invoice"]["InvoiceID"],
                            "InvoiceNumber": p["Invoice"].get("InvoiceNumber", ""),
                        },
                        "BankAccountNumber": "",
                        "Details": "",
                    }
                    for p in payments
                ],
                "Type": "PAYBATCH",
                "Status": "AUTHORISED",
                "TotalAmount": total,
                "UpdatedDateUTC": self.updated(stamp),
                "IsReconciled": True,
            },
        )

    def emit_journals(self) -> None:
        for record in self.ledger.finalise_journals():
            self.emit("Journals", record)

    # -- quotes, orders, templates, claims ---------------------------------------------------------
    def quote(self) -> None:
        ledger = self.ledger
        rng = self.rng
        contact = self.pick_contact("ACCREC")
        day = self.day_between(self.first_day, self.last_day)
        currency = self.currency_of(contact)
        line_amount_types = ("Exclusive", "Inclusive", "NoTax")[below(rng, 3)]
        lines, sub_total, total_tax, total = ledger.build_lines(
            self.line_specs("ACCREC", contact), line_amount_types
        )
        status = ("DRAFT", "SENT", "SENT", "ACCEPTED", "DECLINED", "INVOICED", "DELETED")[
            below(rng, 7)
        ]
        stamp = self.stamp(day)
        last = stamp if status in ("DRAFT", "SENT") else self.later(stamp, day)
        self.emit(
            "Quotes",
            {
                "QuoteID": ledger.new_id(),
                "QuoteNumber": f"QU-{ledger.next_number('QU'):04d}",
                "Reference": pick(rng, ("", "Fit-out", "Annual service", "Phase 2")),
                "Terms": "Valid for 30 days. Prices include delivery.",
                "Contact": contact_ref(contact),
                "LineItems": lines,
                "Date": day,
                "ExpiryDate": day + timedelta(days=30),
                "Status": status,
                "CurrencyCode": currency,
                "CurrencyRate": ledger.currency_rate(currency, day),
                "SubTotal": sub_total,
                "TotalTax": total_tax,
                "Total": total,
                "TotalDiscount": ZERO,
                "Title": "Quote",
                "Summary": pick(rng, ("", "As discussed on site", "Supply and install")),
                "UpdatedDateUTC": self.updated(last),
                "LineAmountTypes": line_amount_types.upper(),
            },
        )

    def purchase_order(self) -> None:
        ledger = self.ledger
        rng = self.rng
        contact = self.pick_contact("ACCPAY")
        day = self.day_between(self.first_day, self.last_day)
        currency = self.currency_of(contact)
        lines, sub_total, total_tax, total = ledger.build_lines(
            self.line_specs("ACCPAY", contact), "Exclusive"
        )
        status = ("DRAFT", "SUBMITTED", "AUTHORISED", "AUTHORISED", "BILLED", "BILLED", "DELETED")[
            below(rng, 7)
        ]
        stamp = self.stamp(day)
        last = stamp if status == "DRAFT" else self.later(stamp, day)
        self.emit(
            "PurchaseOrders",
            {
                "Contact": contact_ref(contact),
                "LineItems": lines,
                "Date": day,
                "DeliveryDate": day + timedelta(days=randint(rng, 3, 30)),
                "LineAmountTypes": "Exclusive",
                "PurchaseOrderNumber": f"PO-{ledger.next_number('PO'):04d}",
                "Reference": "",
                "CurrencyCode": currency,
                "Status": status,
                "SentToContact": status != "DRAFT",
                "DeliveryAddress": f"1 Market Street, {self.profile.city}",
                "AttentionTo": "Receiving",
                "Telephone": "5550100",
                "DeliveryInstructions": "Loading dock at rear",
                "ExpectedArrivalDate": day + timedelta(days=randint(rng, 5, 40)),
                "PurchaseOrderID": ledger.new_id(),
                "CurrencyRate": ledger.currency_rate(currency, day),
                "SubTotal": sub_total,
                "TotalTax": total_tax,
                "Total": total,
                "TotalDiscount": ZERO,
                "UpdatedDateUTC": self.updated(last),
                "HasAttachments": False,
            },
        )

    def repeating_invoice(self) -> None:
        ledger = self.ledger
        rng = self.rng
        kind = "ACCREC" if rng.random() < 0.7 else "ACCPAY"
        contact = self.pick_contact(kind)
        start = self.day_between(self.first_day, self.last_day)
        unit = "MONTHLY" if rng.random() < 0.8 else "WEEKLY"
        period = pick(rng, (1, 1, 3)) if unit == "MONTHLY" else pick(rng, (1, 2))
        step = timedelta(days=30 * period if unit == "MONTHLY" else 7 * period)
        next_day = start
        while next_day <= self.anchor:
            next_day += step
        lines, sub_total, total_tax, total = ledger.build_lines(
            self.line_specs(kind, contact), "Exclusive"
        )
        status = ("AUTHORISED", "AUTHORISED", "DRAFT", "DELETED")[below(rng, 4)]
        template_id = ledger.new_id()
        schedule = {
            "Period": period,
            "Unit": unit,
            "DueDate": 20,
            "DueDateType": "DAYSAFTERBILLDATE",
            "StartDate": start,
            "NextScheduledDate": next_day,
        }
        if rng.random() < 0.3:
            schedule["EndDate"] = start + timedelta(days=365)
        self.emit(
            "RepeatingInvoices",
            {
                "Type": kind,
                "Contact": contact_ref(contact),
                "Schedule": schedule,
                "LineItems": lines,
                "LineAmountTypes": "Exclusive",
                "Reference": pick(rng, ("Monthly retainer", "Hosting", "Lease", "")),
                "CurrencyCode": self.currency_of(contact),
                "Status": status,
                "SubTotal": sub_total,
                "TotalTax": total_tax,
                "Total": total,
                "RepeatingInvoiceID": template_id,
                "ID": template_id,
                "HasAttachments": False,
                "ApprovedForSending": kind == "ACCREC" and status == "AUTHORISED",
                "SendCopy": False,
                "MarkAsSent": False,
                "IncludePDF": True,
            },
        )

    def linked_transaction(self, bill: dict, sale: dict | None) -> None:
        """A billable expense: a supplier bill line to be charged on to a customer."""
        ledger = self.ledger
        customer = self.pick_contact("ACCREC")
        stamp = bill["UpdatedDateUTC"]
        record = {
            "SourceTransactionID": bill["InvoiceID"],
            "SourceLineItemID": bill["LineItems"][0]["LineItemID"],
            "ContactID": customer["ContactID"],
            "LinkedTransactionID": ledger.new_id(),
            "Status": "APPROVED",
            "Type": "BILLABLEEXPENSE",
            "UpdatedDateUTC": stamp,
            "SourceTransactionTypeCode": "ACCPAY",
        }
        if sale is not None:
            record["ContactID"] = sale["Contact"]["ContactID"]
            record["TargetTransactionID"] = sale["InvoiceID"]
            record["TargetLineItemID"] = sale["LineItems"][0]["LineItemID"]
            record["Status"] = "BILLED"
            record["UpdatedDateUTC"] = max(stamp, sale["UpdatedDateUTC"])
        self.emit("LinkedTransactions", record)

    def expense_claim(self) -> None:
        """Receipts claimed by a user; authorised claims post, some are paid back."""
        ledger = self.ledger
        rng = self.rng
        users = self.out["Users"]
        user = users[below(rng, len(users))]
        user_ref = {
            "UserID": user["UserID"],
            "FirstName": user["FirstName"],
            "LastName": user["LastName"],
            "EmailAddress": user["EmailAddress"],
        }
        day = self.day_between(self.first_day, self.last_day - timedelta(days=20))
        status = ("SUBMITTED", "AUTHORISED", "PAID", "PAID", "VOIDED", "DELETED")[below(rng, 6)]
        claim_id = ledger.new_id()
        receipt_status = {"DELETED": "DRAFT", "PAID": "AUTHORISED"}.get(status, status)
        receipts = []
        for n in range(randint(rng, 1, 3)):
            contact = self.pick_contact("ACCPAY")
            receipt_day = day - timedelta(days=n)
            specs = self.line_specs("SPEND", contact, 1)
            specs[0]["AccountCode"] = SPEND_ACCOUNTS[below(rng, len(SPEND_ACCOUNTS))]
            specs[0].pop("ItemCode", None)
            specs[0].pop("Item", None)
            lines, sub_total, total_tax, total = ledger.build_lines(specs, "Inclusive")
            receipt = {
                "Date": receipt_day,
                "Contact": contact_ref(contact),
                "LineItems": lines,
                "User": user_ref,
                "Reference": pick(rng, ("Taxi", "Lunch with client", "Parking", "Stationery")),
                "LineAmountTypes": "Inclusive",
                "SubTotal": sub_total,
                "TotalTax": total_tax,
                "Total": total,
                "ReceiptID": ledger.new_id(),
                "Status": receipt_status,
                "ReceiptNumber": str(ledger.next_number("RECEIPT")),
                "UpdatedDateUTC": self.stamp(receipt_day),
                "HasAttachments": False,
            }
            receipts.append(receipt)
        total = sum((r["Total"] for r in receipts), ZERO)
        stamp = self.after(max(r["UpdatedDateUTC"] for r in receipts), day)
        last = stamp
        claim = {
            "ExpenseClaimID": claim_id,
            "Status": "AUTHORISED" if status == "PAID" else status,
            "Payments": [],
            "User": user_ref,
            "Receipts": [
                {"ReceiptID": r["ReceiptID"], "Total": r["Total"], "Status": r["Status"]}
                for r in receipts
            ],
            "UpdatedDateUTC": stamp,
            "Total": total,
            "AmountDue": total if status in ("SUBMITTED", "AUTHORISED", "PAID") else ZERO,
            "AmountPaid": ZERO,
            "PaymentDueDate": day + timedelta(days=14),
            "ReportingDate": day,
        }
        if status in ("AUTHORISED", "PAID", "VOIDED"):
            journal_lines = []
            for receipt in receipts:
                journal_lines += ledger.document_journal_lines(receipt, "801", -1)
            ledger.post(stamp, day, claim_id, "EXPCLAIM", "", journal_lines)
            if status == "VOIDED":
                last = self.later(stamp, day)
                reversed_lines = ledger.reverse_lines(journal_lines)
                ledger.post(last, day, claim_id, "EXPCLAIM", "", reversed_lines)
        if status == "PAID":
            pay_day = self.day_between(day, self.last_day)
            last = self.after(stamp, pay_day)
            bank = ledger.bank_accounts[0]
            payment_id = ledger.new_id()
            claim["Payments"].append(
                {
                    "PaymentID": payment_id,
                    "Date": pay_day,
                    "Amount": total,
                    "Reference": "Expense reimbursement",
                    "CurrencyRate": ONE_RATE,
                    "HasAccount": True,
                    "HasValidationErrors": False,
                }
            )
            claim.update(Status="PAID", AmountDue=ZERO, AmountPaid=total)
            ledger.post(
                last,
                pay_day,
                payment_id,
                "EXPPAYMENT",
                "Expense reimbursement",
                [
                    (ledger.account("801"), total, ZERO, None, "Expense claim"),
                    (bank, -total, ZERO, None, "Expense claim"),
                ],
            )
        claim["UpdatedDateUTC"] = self.updated(last)
        for receipt in receipts:
            self.emit("Receipts", receipt)
        self.emit("ExpenseClaims", claim)

    def budgets(self) -> None:
        ledger = self.ledger
        start = date(self.anchor.year, 1, 1)
        periods = [
            date(start.year + (start.month - 1 + m) // 12, (start.month - 1 + m) % 12 + 1, 1)
            for m in range(12)
        ]
        region, options = ledger.tracking[0] if ledger.tracking else (None, [])
        for kind, description in (("OVERALL", "Overall Budget"), ("TRACKING", "Budget by region")):
            if kind == "TRACKING" and region is None:
                continue
            lines = []
            for code in ("200", "400", "469", "489"):
                base = self.money_amount(500, 20000)
                lines.append(
                    {
                        "AccountID": ledger.account(code)["AccountID"],
                        "AccountCode": code,
                        "BudgetBalances": [
                            {
                                "Period": period,
                                "Amount": money(base * (1 + Decimal(i % 4) / 10)),
                                "Notes": "Seasonal peak" if i == 11 else "",
                            }
                            for i, period in enumerate(periods)
                        ],
                    }
                )
            record = {
                "BudgetID": ledger.new_id(),
                "Type": kind,
                "Description": description,
                "UpdatedDateUTC": self.stamp(self.day_between(self.first_day, self.last_day)),
                "BudgetLines": lines,
                "Tracking": [],
            }
            if kind == "TRACKING":
                record["Tracking"] = [
                    {
                        "TrackingCategoryID": region["TrackingCategoryID"],
                        "Name": region["Name"],
                        "Option": options[0]["Name"],
                        "TrackingOptionID": options[0]["TrackingOptionID"],
                    }
                ]
            self.emit("Budgets", record)
