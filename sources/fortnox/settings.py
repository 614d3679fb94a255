"""Constants of the Fortnox API: where it lives, how it authenticates, how fast it may be called.

A plain constants module (no logic) so that the client, the auth code, the dlt source and the
tests all agree on one set of numbers. Facts come from `fortnox-api.md` (rate-limit, OAuth2 and
pagination sections).
"""

from __future__ import annotations

from typing import Final

# --- where the API and the OAuth2 server live (overridable in .dlt/config.toml) ---------------
DEFAULT_BASE_URL: Final = "https://api.fortnox.se"
DEFAULT_AUTH_BASE_URL: Final = "https://apps.fortnox.se"
API_PREFIX: Final = "/3/"
AUTHORIZE_PATH: Final = "/oauth-v1/auth"
TOKEN_PATH: Final = "/oauth-v1/token"

# --- OAuth2 ------------------------------------------------------------------------------------
# Every Fortnox scope grants read *and* write; these are the ones a read-only pipeline needs.
DEFAULT_SCOPES: Final[tuple[str, ...]] = (
    "bookkeeping",
    "invoice",
    "payment",
    "supplierinvoice",
    "customer",
    "supplier",
    "costcenter",
    "project",
    "companyinformation",
    "settings",
    "connectfile",  # which vouchers and supplier invoices have a file (never the file itself)
    "article",
    "order",
    "offer",
    "price",
    "currency",
    "archive",
    "inbox",
)
DEFAULT_PROFILE: Final = "default"
# `auth login` receives the consent on http://127.0.0.1:<port>/callback; Fortnox only redirects
# to URIs registered for the integration, so the default port is fixed (register that URI).
LOGIN_CALLBACK_PORT: Final = 48721
LOGIN_CALLBACK_PATH: Final = "/callback"
# An access token is treated as expired this long before its real expiry, so that a request
# never leaves with a token that dies in flight; capped at a quarter of the token's lifetime so
# that short-lived tokens (the sandbox's `--access-token-ttl 1`) are still used at all.
ACCESS_TOKEN_LEEWAY_SECONDS: Final = 30.0
ACCESS_TOKEN_LEEWAY_FRACTION: Final = 0.25
# How long a second process waits for the first one's refresh before giving up.
TOKEN_LOCK_TIMEOUT_SECONDS: Final = 60.0
TOKEN_REQUEST_ATTEMPTS: Final = 3

# --- paging ------------------------------------------------------------------------------------
# A connection idle this long is closed by the client, safely inside servers' idle timeouts.
KEEPALIVE_EXPIRY_SECONDS: Final = 2.0
PAGE_SIZE: Final = 500  # Fortnox accepts limit 1..500; the default of 100 quadruples the calls

# --- pacing and retries ------------------------------------------------------------------------
# "25 requests per 5 seconds" sliding window, per client id and tenant.
RATE_LIMIT_REQUESTS: Final = 25
RATE_LIMIT_WINDOW_SECONDS: Final = 5.0
# Slack added to the window, for clock granularity on the server side.
RATE_LIMIT_MARGIN_SECONDS: Final = 0.05
DEFAULT_MAX_RETRIES: Final = 6
RETRY_BACKOFF_BASE_SECONDS: Final = 0.5
RETRY_BACKOFF_CAP_SECONDS: Final = 16.0
RETRY_MAX_ELAPSED_SECONDS: Final = 180.0
DEFAULT_TIMEOUT_SECONDS: Final = 30.0

# --- error codes (fortnox-api.md, "Error bodies") ----------------------------------------------
ERROR_CODES_SCOPE_MISSING: Final = frozenset({2000663, 2001101})
ERROR_CODES_INVALID_LOGIN: Final = frozenset({2000310, 2000311})

# Which scope a resource (first path segment under /3/) needs, so that a 403 can name it.
SCOPE_BY_RESOURCE: Final[dict[str, str]] = {
    "accounts": "bookkeeping",
    "financialyears": "bookkeeping",
    "sie": "bookkeeping",
    "vouchers": "bookkeeping",
    "voucherseries": "bookkeeping",
    "invoices": "invoice",
    "invoicepayments": "payment",
    "supplierinvoicepayments": "payment",
    "supplierinvoices": "supplierinvoice",
    "customers": "customer",
    "suppliers": "supplier",
    "costcenters": "costcenter",
    "projects": "project",
    "companyinformation": "companyinformation",
    "settings": "settings",
    "predefinedaccounts": "settings",
    "voucherfileconnections": "connectfile",
    "supplierinvoicefileconnections": "connectfile",
    "articles": "article",
    "orders": "order",
    "offers": "offer",
    "pricelists": "price",
    "prices": "price",
    "taxreductions": "invoice",
    "currencies": "currency",
    "termsofpayments": "settings",
    "units": "settings",
    "contracts": "invoice",
    "archive": "archive",
    "inbox": "inbox",
}

# --- the dlt source's endpoints ----------------------------------------------------------------
# Resource (table) name -> (path under /3/, envelope key of the list). Envelope keys are as
# Fortnox spells them, irregular ones included (PreDefinedAccounts, VoucherSeriesCollection).
ENDPOINTS: Final[dict[str, tuple[str, str]]] = {
    "company_information": ("companyinformation", "CompanyInformation"),
    "financial_years": ("financialyears", "FinancialYears"),
    "locked_period": ("settings/lockedperiod", "LockedPeriod"),
    "sie": ("sie", ""),
    "accounts": ("accounts", "Accounts"),
    "voucher_series": ("voucherseries", "VoucherSeriesCollection"),
    "predefined_accounts": ("predefinedaccounts", "PreDefinedAccounts"),
    "cost_centers": ("costcenters", "CostCenters"),
    "projects": ("projects", "Projects"),
    "suppliers": ("suppliers", "Suppliers"),
    "customers": ("customers", "Customers"),
    "invoices": ("invoices", "Invoices"),
    "invoice_payments": ("invoicepayments", "InvoicePayments"),
    "supplier_invoices": ("supplierinvoices", "SupplierInvoices"),
    "supplier_invoice_payments": ("supplierinvoicepayments", "SupplierInvoicePayments"),
    "voucher_file_connections": ("voucherfileconnections", "VoucherFileConnections"),
    "supplier_invoice_file_connections": (
        "supplierinvoicefileconnections",
        "SupplierInvoiceFileConnections",
    ),
    "articles": ("articles", "Articles"),
    "orders": ("orders", "Orders"),
    "offers": ("offers", "Offers"),
    "price_lists": ("pricelists", "PriceLists"),
    "prices": ("prices/sublist", "Prices"),  # one list per price list: prices/sublist/{Code}
    "tax_reductions": ("taxreductions", "TaxReductions"),
    "currencies": ("currencies", "Currencies"),
    "terms_of_payments": ("termsofpayments", "TermsOfPayments"),
    "units": ("units", "Units"),
    "contracts": ("contracts", "Contracts"),
    "company_settings": ("settings/company", "CompanySettings"),
    "archive_files": ("archive", "Folder"),  # a folder per request: ?path=<subfolder>
    "inbox_files": ("inbox", "Folder"),  # a folder per request: inbox/{Id}
}
SIE_EXPORT_TYPE: Final = 4  # type 4 = chart, balances and every voucher row of the year
# Company information (name, organisation number) rarely changes: a nightly run refreshes it,
# a run straight after another does not spend a request on it.
COMPANY_INFORMATION_REFRESH_HOURS: Final = 20
# Fields of a supplier-invoice list item (SPEC fortnox_SupplierInvoiceListItem): a detail record
# fetched for a settled invoice is cut down to these, so list and detail rows look alike.
SUPPLIER_INVOICE_LIST_FIELDS: Final[tuple[str, ...]] = (
    "AuthorizerName",
    "Balance",
    "Booked",
    "Cancel",
    "CostCenter",
    "Credit",
    "Currency",
    "CurrencyRate",
    "CurrencyUnit",
    "DueDate",
    "ExternalInvoiceNumber",
    "ExternalInvoiceSeries",
    "FinalPayDate",
    "GivenNumber",
    "InvoiceDate",
    "InvoiceNumber",
    "Project",
    "SupplierName",
    "SupplierNumber",
    "Total",
    "Vouchers",
)
DEFAULT_OVERLAP_MINUTES: Final = 10
# The warehouse schema (dlt dataset) of the raw tables. Not "fortnox": in the default warehouse
# file fortnox.duckdb, DuckDB would read `fortnox.invoices` as catalog-or-schema and refuse it.
DEFAULT_DATASET: Final = "fortnox_raw"

# --- column types from Fortnox's OpenAPI document ----------------------------------------------
# Table -> the schema of the record the table reads (the list item, which is what the list
# endpoints send; a detail schema where the table reads details). `spec.py` derives every column's
# type from it, so columns exist and keep their type whatever values the first page holds.
SPEC_SCHEMAS: Final[dict[str, str]] = {
    "company_information": "fortnox_CompanyInfo",
    "financial_years": "fortnox_FinancialYear",
    "accounts": "fortnox_AccountListItem",
    "voucher_series": "fortnox_VoucherSeriesListItem",
    "predefined_accounts": "fortnox_PredefinedAccount",
    "cost_centers": "fortnox_CostCenter",
    "projects": "fortnox_ProjectListItem",
    "suppliers": "fortnox_SupplierListItem",
    "customers": "fortnox_CustomerListItem",
    "invoices": "fortnox_InvoiceListItem",
    "invoice_payments": "fortnox_InvoicePaymentListItem",
    "supplier_invoices": "fortnox_SupplierInvoiceListItem",
    "supplier_invoice_payments": "fortnox_SupplierInvoicePaymentListItem",
    "invoice_rows": "fortnox_Invoice_InvoiceRow",
    "articles": "fortnox_ArticleListItem",
    "orders": "fortnox_OrderListItem",
    "offers": "fortnox_OfferListItem",
    "price_lists": "fortnox_PriceList",
    "prices": "fortnox_PriceListItem",
    "tax_reductions": "fortnox_TaxReductionListItem",
    "currencies": "fortnox_Currency",
    "terms_of_payments": "fortnox_TermsOfPayment",
    "units": "fortnox_Unit",
    "contracts": "fortnox_ContractListItem",
    "company_settings": "fortnox_CompanySettings",
    "archive_files": "fortnox_Folder_FileRow",
    "inbox_files": "fortnox_Folder_FileRow",
    "voucher_file_connections": "fortnox_VoucherFileConnection",
    "supplier_invoice_file_connections": "fortnox_SupplierInvoiceFileConnection",
    "order_rows": "fortnox_Order_OrderRow",
    "offer_rows": "fortnox_Offer_OfferRow",
}
# Detail records whose parts a table reads (invoice rows come from the invoice's detail).
SPEC_DETAIL_SCHEMAS: Final[dict[str, str]] = {
    "invoices": "fortnox_Invoice",
    "supplier_invoices": "fortnox_SupplierInvoice",
    "orders": "fortnox_Order",
    "offers": "fortnox_Offer",
}

# --- registers read at most daily, and deletions ----------------------------------------------
# Registers that change rarely and have no `lastmodified` (price lists, currencies, units, ...)
# are read whole on the first run of a day and replaced per company: a run straight after
# another spends no request on them.
REGISTER_REFRESH_HOURS: Final = 20
# Tables read by `lastmodified` cannot see a deletion (a deleted record is simply not listed).
# At most this often, their keys are listed whole and rows whose key Fortnox no longer lists
# are deleted from the warehouse. 0 = every run.
DELETE_CHECK_HOURS: Final = 20
# Table -> its key as Fortnox names it (the list field) and as a column.
DELETE_CHECKED: Final[dict[str, tuple[str, str]]] = {
    "customers": ("CustomerNumber", "customer_number"),
    "invoices": ("DocumentNumber", "document_number"),
    "invoice_payments": ("Number", "number"),
    "articles": ("ArticleNumber", "article_number"),
    "orders": ("DocumentNumber", "document_number"),
    "offers": ("DocumentNumber", "document_number"),
}
