"""The in-memory books as Fortnox JSON: list items and (fatter) detail records, field by field.

List items are deliberately slimmer than detail records, exactly as Fortnox's are (no rows in
any list; the invoice list sends `CurrencyRate` as a string, the detail as a number), because a
client that assumes otherwise breaks on real books. Money is kept exact: amounts are
`Decimal`s here and become JSON numbers in their shortest form in `render_json` (`0`, `1.12`,
`1500`, as recorded real traffic writes them), or strings where Fortnox sends strings (e.g.
supplier-invoice totals).
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from typing import Any

from sources.fortnox_sandbox.model import (
    Account,
    Company,
    CostCenter,
    Customer,
    FinancialYear,
    Invoice,
    InvoicePayment,
    Project,
    Supplier,
    SupplierInvoice,
    SupplierInvoicePayment,
    Voucher,
    VoucherSeries,
)

Record = dict[str, Any]

# json cannot write a Decimal as a bare number; mark it as a string, then unquote it. The NUL
# character cannot occur in generated text, so no real string is ever unquoted by mistake.
_NUMBER_MARK = "\x00"
_MARKED_NUMBER = re.compile(r'"\\u0000([-+0-9.Ee]+)"')


def shortest(value: Decimal) -> str:
    """A Decimal as real Fortnox writes a number: no trailing zeros, no exponent (`1500`, `1.12`,
    `0`), never `1500.00`."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _encode_decimal(value: object) -> str:
    if isinstance(value, Decimal):
        return f"{_NUMBER_MARK}{shortest(value)}"
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def render_json(body: object) -> bytes:
    """UTF-8 JSON with Decimals written as exact numbers in shortest form (`1250`, `11.4215`)."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=_encode_decimal)
    return _MARKED_NUMBER.sub(r"\1", text).encode("utf-8")


def money(ore: int) -> Decimal:
    """Öre as a two-decimal amount (a JSON number)."""
    return Decimal(ore).scaleb(-2)


def money_text(ore: int) -> str:
    """Öre as a two-decimal string, where Fortnox sends amounts as strings."""
    return str(money(ore))


def rate(currency_rate: str) -> Decimal:
    """A currency rate string ("1", "11.4215") as an exact JSON number."""
    return Decimal(currency_rate)


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


# -- bookkeeping -------------------------------------------------------------------------------
def financial_year(year: FinancialYear, base: str) -> Record:
    """A financial year; list item and detail record are the same."""
    return {
        "@url": f"{base}/financialyears/{year.id}",
        "Id": year.id,
        "FromDate": year.from_date.isoformat(),
        "ToDate": year.to_date.isoformat(),
        "AccountChartType": year.account_chart_type,
        "AccountingMethod": year.accounting_method,
    }


def account_list_item(account: Account, year_id: int, brought_forward: int, base: str) -> Record:
    """An account of one financial year, as `/3/accounts` lists it."""
    return {
        "@url": f"{base}/accounts/{account.number}?financialyear={year_id}",
        "Active": account.active,
        "BalanceBroughtForward": money(brought_forward),
        "CostCenter": "",
        "CostCenterSettings": account.cost_center_settings,
        "Description": account.description,
        "Number": account.number,
        "Project": "",
        "ProjectSettings": account.project_settings,
        "SRU": account.sru or 0,
        "VATCode": account.vat_code,
        "Year": year_id,
    }


def account_detail(
    account: Account, year_id: int, brought_forward: int, carried_forward: int, base: str
) -> Record:
    """An account with its closing balance for the year (`BalanceCarriedForward`)."""
    record = account_list_item(account, year_id, brought_forward, base)
    record.update(
        {
            "BalanceCarriedForward": money(carried_forward),
            "OpeningQuantities": [],
            "QuantitySettings": "ALLOWED",
            "QuantityUnit": "",
            "TransactionInformation": "",
            "TransactionInformationSettings": "ALLOWED",
        }
    )
    return record


def voucher_series_list_item(series: VoucherSeries, year_id: int, base: str) -> Record:
    """A voucher series of one financial year, as `/3/voucherseries` lists it."""
    return {
        "@url": f"{base}/voucherseries/{series.code}?financialyear={year_id}",
        "Approver": {"Id": 0, "Name": ""},
        "Code": series.code,
        "Description": series.description,
        "Manual": series.manual,
        "Year": year_id,
    }


def voucher_series_detail(
    series: VoucherSeries, year_id: int, next_number: int, base: str
) -> Record:
    """A voucher series with the number its next voucher will get."""
    record = voucher_series_list_item(series, year_id, base)
    record["NextVoucherNumber"] = next_number
    return record


def voucher_list_item(voucher: Voucher, base: str) -> Record:
    """A voucher without rows: the list never carries `VoucherRows`."""
    return {
        "@url": (
            f"{base}/vouchers/{voucher.series}/{voucher.number}"
            f"?financialyear={voucher.financial_year_id}"
        ),
        "ApprovalState": 0,
        "Comments": voucher.comments,
        "Description": voucher.description,
        "ReferenceNumber": voucher.reference_number,
        "ReferenceType": voucher.reference_type,
        "TransactionDate": voucher.transaction_date.isoformat(),
        "VoucherNumber": voucher.number,
        "VoucherSeries": voucher.series,
        "Year": voucher.financial_year_id,
    }


def voucher_detail(voucher: Voucher, accounts: dict[int, Account], base: str) -> Record:
    """A voucher with all its rows, struck (`Removed`) ones included, in booking order."""
    record = voucher_list_item(voucher, base)
    record["CostCenter"] = voucher.cost_center
    record["Project"] = voucher.project
    record["VoucherRows"] = [
        {
            "Account": row.account,
            "CostCenter": row.cost_center,
            "Credit": money(row.credit),
            "Debit": money(row.debit),
            # Fortnox puts the account name in Description and the row text in
            # TransactionInformation.
            "Description": accounts[row.account].description if row.account in accounts else "",
            "Project": row.project,
            "Quantity": Decimal(row.quantity),
            "Removed": row.removed,
            "TransactionInformation": row.description,
        }
        for row in voucher.rows
    ]
    return record


def predefined_account(name: str, account: int, base: str) -> Record:
    """A predefined account (which account Fortnox books e.g. CUSTOMERRECEIVABLES to)."""
    return {"@url": f"{base}/predefinedaccounts/{name}", "Name": name, "Account": account}


def cost_center(center: CostCenter, base: str) -> Record:
    """A cost center; list item and detail record are the same."""
    return {
        "@url": f"{base}/costcenters/{center.code}",
        "Code": center.code,
        "Description": center.description,
        "Note": center.note,
        "Active": center.active,
    }


def project_list_item(project: Project, base: str) -> Record:
    """A project as `/3/projects` lists it."""
    return {
        "@url": f"{base}/projects/{project.number}",
        "ProjectNumber": project.number,
        "Description": project.description,
        "Status": project.status,
        "StartDate": _day(project.start_date),
        "EndDate": _day(project.end_date),
        # Real Fortnox sends null, not "", for a project without a leader.
        "ProjectLeader": project.project_leader or None,
    }


def project_detail(project: Project, base: str) -> Record:
    """A project with the fields only the detail record has."""
    record = project_list_item(project, base)
    record.update({"Comments": "", "ContactPerson": ""})
    return record


# -- company -----------------------------------------------------------------------------------
def company_information(company: Company) -> Record:
    """`/3/companyinformation`: DatabaseNumber is an integer here (a string in settings)."""
    return {
        "Address": company.address,
        "City": company.city,
        "CompanyName": company.name,
        "CountryCode": "SE",
        "DatabaseNumber": company.database_number,
        "OrganizationNumber": company.organisation_number,
        "VisitAddress": company.address,
        "VisitCity": company.city,
        "VisitCountryCode": "SE",
        "VisitZipCode": company.zip_code,
        "ZipCode": company.zip_code,
    }


def company_settings(company: Company) -> Record:
    """`/3/settings/company`: about thirty fields, `DatabaseNumber` as a string."""
    return {
        "Address": company.address,
        "BG": "",
        "BIC": "",
        "BranchCode": "",
        "City": company.city,
        "ContactFirstName": "",
        "ContactLastName": "",
        "Country": "Sverige",
        "CountryCode": "SE",
        "DatabaseNumber": str(company.database_number),
        "Domicile": company.city,
        "Email": "",
        "Fax": "",
        "IBAN": "",
        "Name": company.name,
        "OrganizationNumber": company.organisation_number,
        "PG": "",
        "Phone1": "",
        "Phone2": "",
        "TaxEnabled": True,
        "VATNumber": f"SE{company.organisation_number.replace('-', '')}01",
        "VisitAddress": company.address,
        "VisitCity": company.city,
        "VisitCountry": "Sverige",
        "VisitCountryCode": "SE",
        "VisitName": company.name,
        "VisitZipCode": company.zip_code,
        "WWW": "",
        "ZipCode": company.zip_code,
    }


def locked_period(company: Company) -> Record:
    """The locked-period end date; an empty string means nothing is locked."""
    return {"EndDate": _day(company.locked_through) or ""}


# -- customers and suppliers ---------------------------------------------------------------
def customer_list_item(customer: Customer, base: str) -> Record:
    """A customer in a list: only the nine address and contact fields."""
    return {
        "@url": f"{base}/customers/{customer.number}",
        "Address1": customer.address,
        "Address2": "",
        "City": customer.city,
        "CustomerNumber": customer.number,
        "Email": customer.email,
        "Name": customer.name,
        "OrganisationNumber": customer.organisation_number,
        "Phone": customer.phone,
        "ZipCode": customer.zip_code,
    }


def customer_detail(customer: Customer, base: str) -> Record:
    """A customer with its terms, currency and delivery settings."""
    return {
        "@url": f"{base}/customers/{customer.number}",
        "Active": customer.active,
        "Address1": customer.address,
        "Address2": "",
        "City": customer.city,
        "Comments": "",
        "CostCenter": "",
        "Country": "Sverige" if customer.country_code == "SE" else "",
        "CountryCode": customer.country_code,
        "Currency": customer.currency,
        "CustomerNumber": customer.number,
        "DefaultDeliveryTypes": {"Invoice": "EMAIL", "Offer": "EMAIL", "Order": "EMAIL"},
        "DefaultTemplates": {
            "CashInvoice": "DEFAULTTEMPLATE",
            "Invoice": "DEFAULTTEMPLATE",
            "Offer": "DEFAULTTEMPLATE",
            "Order": "DEFAULTTEMPLATE",
        },
        "Email": customer.email,
        "EmailInvoice": customer.email,
        "Fax": "",
        "InvoiceDiscount": Decimal(0),
        "Name": customer.name,
        "OrganisationNumber": customer.organisation_number,
        "OurReference": "",
        "Phone1": customer.phone,
        "Phone2": "",
        "PriceList": "A",
        "Project": "",
        "ShowPriceVATIncluded": False,
        "TermsOfPayment": str(customer.terms_of_payment),
        "Type": "COMPANY",
        "VATNumber": "",
        "VATType": "SEVAT" if customer.country_code == "SE" else "EUREVERSEDVAT",
        "WWW": "",
        "WayOfDelivery": "",
        "YourReference": "",
        "ZipCode": customer.zip_code,
    }


def supplier_list_item(supplier: Supplier, base: str) -> Record:
    """A supplier as `/3/suppliers` lists it."""
    return {
        "@url": f"{base}/suppliers/{supplier.number}",
        "Active": supplier.active,
        "Address1": supplier.address,
        "Address2": "",
        "BG": supplier.bank_giro,
        "BIC": "",
        "BankAccountNumber": "",
        "City": supplier.city,
        "CostCenter": "",
        "CountryCode": supplier.country_code,
        "Currency": supplier.currency,
        "DisablePaymentFile": False,
        "Email": supplier.email,
        "IBAN": "",
        "Name": supplier.name,
        "OrganisationNumber": supplier.organisation_number,
        "PG": "",
        "Phone": supplier.phone,
        "Project": "",
        "SupplierNumber": supplier.number,
        "TermsOfPayment": str(supplier.terms_of_payment),
        "ZipCode": supplier.zip_code,
    }


def supplier_detail(supplier: Supplier, base: str) -> Record:
    """A supplier with the fields only the detail record has."""
    record = supplier_list_item(supplier, base)
    phone = record.pop("Phone")
    record.update(
        {
            "Bank": "",
            "BranchCode": "",
            "ClearingNumber": "",
            "Comments": "",
            "Country": "Sverige" if supplier.country_code == "SE" else "",
            "Fax": "",
            "OurCustomerNumber": "",
            "OurReference": "",
            "Phone1": phone,
            "Phone2": "",
            "VATNumber": "",
            "VATType": "NORMAL",
            "VisitingAddress": "",
            "VisitingCity": "",
            "VisitingCountry": "",
            "VisitingCountryCode": "",
            "VisitingZipCode": "",
            "WWW": "",
            "WorkPlace": "",
            "YourReference": "",
        }
    )
    return record


# -- customer invoices -------------------------------------------------------------------------
def _voucher_reference(series: str | None, number: int | None, year: int | None) -> dict[str, Any]:
    """Voucher fields of a document: all null until the document is booked."""
    return {"VoucherNumber": number, "VoucherSeries": series, "VoucherYear": year}


def invoice_list_item(invoice: Invoice, base: str) -> Record:
    """An invoice in a list: no rows, and `CurrencyRate` as a string as real lists send it."""
    return {
        "@url": f"{base}/invoices/{invoice.document_number}",
        "Balance": money(invoice.balance),
        "Booked": invoice.booked,
        "Cancelled": invoice.cancelled,
        "CostCenter": invoice.cost_center,
        "Currency": invoice.currency,
        "CurrencyRate": invoice.currency_rate,
        "CurrencyUnit": Decimal(1),
        "CustomerName": invoice.customer_name,
        "CustomerNumber": invoice.customer_number,
        "DocumentNumber": str(invoice.document_number),
        "DueDate": invoice.due_date.isoformat(),
        "ExternalInvoiceReference1": "",
        "ExternalInvoiceReference2": "",
        "FinalPayDate": _day(invoice.final_pay_date),
        "InvoiceDate": invoice.invoice_date.isoformat(),
        "InvoiceType": "INVOICE",
        "NoxFinans": False,
        "OCR": invoice.ocr,
        "Project": invoice.project,
        "Sent": invoice.sent,
        "TermsOfPayment": str(invoice.terms_of_payment),
        "Total": money(invoice.total),
        **_voucher_reference(invoice.voucher_series, invoice.voucher_number, invoice.voucher_year),
        "WayOfDelivery": "",
    }


def invoice_detail(invoice: Invoice, customer: Customer | None, base: str) -> Record:
    """An invoice with its rows and the totals behind them (`CurrencyRate` as a number)."""
    address = customer or Customer(invoice.customer_number, invoice.customer_name, "", "", "", "")
    rows = []
    for row_id, row in enumerate(invoice.rows, start=1):
        row_total = row.quantity * row.price
        rows.append(
            {
                "AccountNumber": row.account,
                "ArticleNumber": "",
                # The spec types these as strings, and real rows carry "0" in them.
                "ContributionPercent": "0",
                "ContributionValue": "0",
                "CostCenter": row.cost_center or invoice.cost_center,
                "DeliveredQuantity": str(row.quantity),
                "Description": row.description,
                "Discount": Decimal(0),
                "DiscountType": "PERCENT",
                "HouseWork": False,
                "Price": money(row.price),
                "PriceExcludingVAT": money(row.price),
                "Project": row.project or invoice.project,
                "RowId": row_id,
                "Total": money(row_total),
                "TotalExcludingVAT": money(row_total),
                "Unit": "st",
                "VAT": row.vat_percent,
            }
        )
    record = invoice_list_item(invoice, base)
    record.update(
        {
            "AccountingMethod": "ACCRUAL",
            "Address1": address.address,
            "Address2": "",
            "AdministrationFee": Decimal("0.00"),
            "AdministrationFeeVAT": Decimal("0.00"),
            "BasisTaxReduction": Decimal("0.00"),
            "City": address.city,
            "Comments": "",
            # A number in the spec; recorded as 0 in 2023 and "0" in 2024.
            "ContractReference": "0",
            "Country": "Sverige" if address.country_code == "SE" else "",
            "Credit": "true" if invoice.credit else "false",
            "CreditInvoiceReference": str(invoice.credit_invoice_reference or 0),
            "CurrencyRate": rate(invoice.currency_rate),  # a number here, a string in lists
            "CurrencyUnit": 1,
            "DeliveryAddress1": "",
            "DeliveryAddress2": "",
            "DeliveryCity": "",
            "DeliveryCountry": "",
            "DeliveryDate": None,
            "DeliveryName": "",
            "DeliveryZipCode": "",
            "EUQuarterlyReport": False,
            "Freight": Decimal("0.00"),
            "FreightVAT": Decimal("0.00"),
            "Gross": money(invoice.net),
            "HouseWork": False,
            "InvoiceRows": rows,
            "Labels": [],
            "Language": "SV",
            "LastRemindDate": None,
            "Net": money(invoice.net),
            "NotCompleted": False,
            "OrganisationNumber": address.organisation_number,
            "OurReference": "",
            "Phone1": address.phone,
            "Phone2": "",
            "PriceList": "A",
            "Remarks": "",
            "Reminders": 0,
            "RoundOff": Decimal("0.00"),
            "TaxReduction": 0,
            "TotalToPay": money(invoice.total),
            "TotalVAT": money(invoice.total_vat),
            "VATIncluded": False,
            "YourOrderNumber": "",
            "YourReference": "",
            "ZipCode": address.zip_code,
        }
    )
    # One place per shared field; the detail keeps the alphabetical key order Fortnox sends.
    return dict(sorted(record.items()))


def invoice_payment_list_item(payment: InvoicePayment, base: str) -> Record:
    """A customer payment in a list: `Number` is a string, `InvoiceNumber` an integer."""
    return {
        "@url": f"{base}/invoicepayments/{payment.number}",
        "Amount": money(payment.amount_sek),
        "Booked": payment.booked,
        "Currency": payment.currency,
        "CurrencyRate": rate(payment.currency_rate),
        "CurrencyUnit": Decimal(1),
        "InvoiceNumber": payment.invoice_number,
        "Number": str(payment.number),
        "PaymentDate": payment.payment_date.isoformat(),
        "Source": "manual",
        "WriteOffExist": False,
    }


def invoice_payment_detail(
    payment: InvoicePayment, invoice: Invoice | None, mode_of_payment_account: int, base: str
) -> Record:
    """A customer payment with its voucher and the invoice it pays.

    `Amount` is in SEK and `AmountCurrency` in the invoice currency, as in Fortnox.
    """
    record = invoice_payment_list_item(payment, base)
    del record["WriteOffExist"]  # the detail lists the WriteOffs themselves
    record.update(
        {
            "AmountCurrency": money(payment.amount),
            "ExternalInvoiceReference1": "",
            "ExternalInvoiceReference2": "",
            "InvoiceCustomerName": invoice.customer_name if invoice else "",
            "InvoiceCustomerNumber": invoice.customer_number if invoice else "",
            "InvoiceDueDate": _day(invoice.due_date) if invoice else None,
            "InvoiceOCR": invoice.ocr if invoice else "",
            "InvoiceTotal": money_text(invoice.total) if invoice else "0.00",
            "ModeOfPayment": payment.mode_of_payment,
            "ModeOfPaymentAccount": mode_of_payment_account,
            **_voucher_reference(
                payment.voucher_series, payment.voucher_number, payment.voucher_year
            ),
            "WriteOffs": [],
        }
    )
    return record


# -- supplier invoices -------------------------------------------------------------------------
def _supplier_invoice_vouchers(
    invoice: SupplierInvoice, payments: list[SupplierInvoicePayment]
) -> list[Record]:
    vouchers = []
    if invoice.voucher_number is not None:
        vouchers.append(
            {
                "Number": invoice.voucher_number,
                "Series": invoice.voucher_series,
                "Year": invoice.voucher_year,
                "ReferenceType": "SUPPLIERINVOICE",
            }
        )
    for payment in payments:
        if payment.voucher_number is not None:
            vouchers.append(
                {
                    "Number": payment.voucher_number,
                    "Series": payment.voucher_series,
                    "Year": payment.voucher_year,
                    "ReferenceType": "SUPPLIERPAYMENT",
                }
            )
    return vouchers


def supplier_invoice_list_item(
    invoice: SupplierInvoice, payments: list[SupplierInvoicePayment], base: str
) -> Record:
    """A supplier invoice in a list: Total, Balance and CurrencyRate are strings."""
    return {
        "@url": f"{base}/supplierinvoices/{invoice.given_number}",
        "AuthorizerName": "",
        "Balance": money_text(invoice.balance),
        "Booked": invoice.booked,
        "Cancel": invoice.cancelled,
        "CostCenter": invoice.cost_center,
        "Credit": invoice.credit,
        "Currency": invoice.currency,
        "CurrencyRate": invoice.currency_rate,
        "CurrencyUnit": Decimal(1),
        "DueDate": invoice.due_date.isoformat(),
        "ExternalInvoiceNumber": "",
        "ExternalInvoiceSeries": "",
        "FinalPayDate": _day(invoice.final_pay_date),
        "GivenNumber": str(invoice.given_number),
        "InvoiceDate": invoice.invoice_date.isoformat(),
        "InvoiceNumber": invoice.invoice_number,
        "Project": invoice.project,
        "SupplierName": invoice.supplier_name,
        "SupplierNumber": invoice.supplier_number,
        "Total": money_text(invoice.total),
        "Vouchers": _supplier_invoice_vouchers(invoice, payments),
    }


def _supplier_row_code(account: int, payable_account: int) -> dict[str, str]:
    if account == payable_account:
        return {"Code": "TOT"}
    if 2640 <= account <= 2649:
        return {"Code": "VAT"}
    return {}


def supplier_invoice_detail(
    invoice: SupplierInvoice,
    payments: list[SupplierInvoicePayment],
    accounts: dict[int, Account],
    payable_account: int,
    base: str,
) -> Record:
    """A supplier invoice with its booking rows (`SupplierInvoiceRows`) and voucher."""
    currency_rate = rate(invoice.currency_rate) or Decimal(1)

    def in_currency(ore: int) -> Decimal:
        return (money(ore) / currency_rate).quantize(Decimal("0.01"))

    rows = [
        {
            "Account": row.account,
            "AccountDescription": (
                accounts[row.account].description if row.account in accounts else ""
            ),
            **_supplier_row_code(row.account, payable_account),
            "CostCenter": row.cost_center,
            "Credit": money(row.credit),
            "CreditCurrency": in_currency(row.credit),
            "Debit": money(row.debit),
            "DebitCurrency": in_currency(row.debit),
            "ItemDescription": row.description,
            "Price": Decimal("0.00"),
            "Project": row.project,
            "Quantity": 0,
            "Total": money(row.debit - row.credit),
            "TransactionInformation": "",
        }
        for row in invoice.rows
    ]
    record = supplier_invoice_list_item(invoice, payments, base)
    record.pop("Cancel")  # the detail record says Cancelled
    record.pop("AuthorizerName")
    record.update(
        {
            "AccountingMethod": "ACCRUAL",
            "AdministrationFee": "0.00",
            "Cancelled": invoice.cancelled,
            "Comments": "",
            "CreditReference": 0,
            "DisablePaymentFile": False,
            "Freight": "0.00",
            "OCR": invoice.ocr,
            "OurReference": "",
            "PaymentPending": False,
            "RoundOffValue": "0.00",
            "SalesType": "SERVICE",
            "SupplierInvoiceRows": rows,
            "VAT": money_text(invoice.vat),
            "VATType": "NORMAL",
            **_voucher_reference(
                invoice.voucher_series, invoice.voucher_number, invoice.voucher_year
            ),
            "YourReference": "",
        }
    )
    return record


def supplier_invoice_payment_list_item(payment: SupplierInvoicePayment, base: str) -> Record:
    """A supplier payment in a list: `Number` is an integer, `InvoiceNumber` a string."""
    return {
        "@url": f"{base}/supplierinvoicepayments/{payment.number}",
        "Amount": money(payment.amount_sek),
        "Booked": payment.booked,
        "Currency": payment.currency,
        "CurrencyRate": rate(payment.currency_rate),
        "CurrencyUnit": Decimal(1),
        "InvoiceNumber": str(payment.invoice_number),
        "Number": payment.number,
        "PaymentDate": payment.payment_date.isoformat(),
        "Source": payment.source,
        "WriteOffExist": False,
    }


def supplier_invoice_payment_detail(
    payment: SupplierInvoicePayment, invoice: SupplierInvoice | None, base: str
) -> Record:
    """A supplier payment with its voucher and the invoice it pays."""
    record = supplier_invoice_payment_list_item(payment, base)
    del record["WriteOffExist"]  # the detail lists the WriteOffs themselves
    record.update(
        {
            "AmountCurrency": money(payment.amount),
            "Information": "",
            "InvoiceDueDate": _day(invoice.due_date) if invoice else None,
            "InvoiceOCR": invoice.ocr if invoice else "",
            "InvoiceSupplierName": invoice.supplier_name if invoice else "",
            "InvoiceSupplierNumber": invoice.supplier_number if invoice else "",
            "InvoiceTotal": money_text(invoice.total) if invoice else "0.00",
            "ModeOfPayment": "BG",
            **_voucher_reference(
                payment.voucher_series, payment.voucher_number, payment.voucher_year
            ),
            "WriteOffs": [],
        }
    )
    return record
