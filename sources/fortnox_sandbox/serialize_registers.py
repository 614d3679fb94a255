"""The registers (`registers.py`) as Fortnox JSON, field for field as the official schemas
(`fortnox_ArticleListItem`, `fortnox_OrderListItem`, ...) and recorded traffic write them:
amounts the spec types as strings are strings, absent dates are null."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sources.fortnox_sandbox.model import Company
from sources.fortnox_sandbox.registers import (
    ArchiveFile,
    Article,
    Contract,
    SalesDocument,
    TaxReduction,
    euro_today,
)
from sources.fortnox_sandbox.serialize import money, shortest

Record = dict[str, Any]


def _text_amount(ore: int) -> str:
    """An amount the spec types as a string (article prices), in shortest form."""
    return shortest(money(ore))


def article(item: Article, base: str) -> Record:
    """`fortnox_ArticleListItem`."""
    return {
        "@url": f"{base}/articles/{item.number}",
        "ArticleNumber": item.number,
        "Description": item.description,
        "DisposableQuantity": str(item.quantity_in_stock),
        "EAN": "",
        "Housework": False,
        "PurchasePrice": _text_amount(item.purchase_price),
        "QuantityInStock": Decimal(item.quantity_in_stock),
        "ReservedQuantity": "0",
        "SalesPrice": _text_amount(item.sales_price),
        "StockPlace": "",
        "StockValue": _text_amount(item.purchase_price * item.quantity_in_stock),
        "Unit": item.unit,
        "VAT": str(item.vat_percent),
        "WebshopArticle": item.webshop,
    }


def order(document: SalesDocument, base: str) -> Record:
    """`fortnox_OrderListItem`."""
    return {
        "@url": f"{base}/orders/{document.document_number}",
        "Cancelled": document.cancelled,
        "Currency": document.currency,
        "CustomerName": document.customer_name,
        "CustomerNumber": document.customer_number,
        "DeliveryDate": document.delivery_date.isoformat() if document.delivery_date else None,
        "DocumentNumber": str(document.document_number),
        "ExternalInvoiceReference1": "",
        "ExternalInvoiceReference2": "",
        "OrderDate": document.document_date.isoformat(),
        "OrderType": "Order",
        "Project": document.project,
        "Sent": document.sent,
        "Total": money(document.total),
    }


def offer(document: SalesDocument, base: str) -> Record:
    """`fortnox_OfferListItem`."""
    return {
        "@url": f"{base}/offers/{document.document_number}",
        "Cancelled": document.cancelled,
        "Currency": document.currency,
        "CustomerName": document.customer_name,
        "CustomerNumber": document.customer_number,
        "DocumentNumber": str(document.document_number),
        "OfferDate": document.document_date.isoformat(),
        "Project": document.project,
        "Sent": document.sent,
        "Total": money(document.total),
    }


def price_list(code: str, description: str, comments: str, preselected: bool, base: str) -> Record:
    """`fortnox_PriceList`."""
    return {
        "@url": f"{base}/pricelists/{code}",
        "Code": code,
        "Comments": comments,
        "Description": description,
        "PreSelected": preselected,
    }


def price(price_list_code: str, article_number: str, ore: int, base: str) -> Record:
    """`fortnox_PriceListItem`: one article's price in one price list, from quantity 0."""
    return {
        "@url": f"{base}/prices/{price_list_code}/{article_number}/0",
        "ArticleNumber": article_number,
        "FromQuantity": Decimal(0),
        "Price": money(ore),
        "PriceList": price_list_code,
    }


def tax_reduction(item: TaxReduction, base: str) -> Record:
    """`fortnox_TaxReductionListItem`."""
    return {
        "@url": f"{base}/taxreductions/{item.id}",
        "ApprovedAmount": money(item.approved_amount),
        "CustomerName": item.customer_name,
        "Id": item.id,
        "ReferenceDocumentType": item.reference_document_type,
        "ReferenceNumber": item.reference_number,
        "SocialSecurityNumber": item.social_security_number,
    }


def currencies(company: Company, base: str) -> list[Record]:
    """`fortnox_Currency`: SEK and the EUR the company invoices in, at the day's rate."""
    rate = Decimal(euro_today(company))
    day = company.business_date.isoformat()
    return [
        {
            "@url": f"{base}/currencies/EUR",
            "BuyRate": rate,
            "Code": "EUR",
            "Date": day,
            "Description": "Euro",
            "IsAutomatic": True,
            "SellRate": rate,
            "Unit": Decimal(1),
        },
        {
            "@url": f"{base}/currencies/SEK",
            "BuyRate": Decimal(1),
            "Code": "SEK",
            "Date": day,
            "Description": "Svensk krona",
            "IsAutomatic": False,
            "SellRate": Decimal(1),
            "Unit": Decimal(1),
        },
    ]


def term_of_payment(code: str, description: str, base: str) -> Record:
    """`fortnox_TermsOfPayment`."""
    return {"@url": f"{base}/termsofpayments/{code}", "Code": code, "Description": description}


def unit(code: str, description: str, english: str, base: str) -> Record:
    """`fortnox_Unit`."""
    return {
        "@url": f"{base}/units/{code}",
        "Code": code,
        "CodeEnglish": english,
        "Description": description,
    }


def contract(item: Contract, base: str) -> Record:
    """`fortnox_ContractListItem`: a monthly support agreement (total incl. 25 % VAT)."""
    return {
        "@url": f"{base}/contracts/{item.document_number}",
        "Continuous": True,
        "ContractLength": 12,
        "Currency": "SEK",
        "CustomerName": item.customer_name,
        "CustomerNumber": item.customer_number,
        "DocumentNumber": str(item.document_number),
        "Invoiceinterval": 1,
        "InvoicesRemaining": 0,
        "LastInvoiceDate": "",
        "PeriodEnd": item.period_end.isoformat(),
        "PeriodStart": item.period_start.isoformat(),
        "Status": item.status,
        "TemplateNumber": 1,
        "Total": money(item.monthly * 125 // 100),
    }


def folder(
    folder_id: str, name: str, files: list[ArchiveFile], subfolders: list[str], base: str
) -> Record:
    """`fortnox_Folder`: file metadata and subfolders, never file contents."""
    return {
        "@url": f"{base}/{folder_id}",
        "Email": "",
        "Files": [
            {
                "@url": f"{base}/{file.id}",
                "ArchiveFileId": file.id,
                "Comments": file.comments,
                "Id": file.id,
                "Name": file.name,
                "Path": f"{file.folder}/{file.name}" if file.folder else file.name,
                "Size": file.size,
            }
            for file in files
        ],
        "Folders": [{"@url": f"{base}/{sub}", "Id": sub, "Name": sub} for sub in subfolders],
        "Id": folder_id,
        "Name": name,
    }


def _document_detail(document: SalesDocument, base: str, list_item: Record) -> Record:
    """The totals and address fields a detail adds to its list item (sorted keys, as the
    invoice detail)."""
    net = sum(row.quantity * row.price for row in document.rows)
    record = dict(list_item)
    record.update(
        {
            "@urlTaxReductionList": f"{base}/taxreductions?filter=orders",
            "Address1": "",
            "City": "",
            "Comments": "",
            "CostCenter": "",
            "CurrencyRate": Decimal(1),
            "CurrencyUnit": Decimal(1),
            "Gross": money(net),
            "Language": "SV",
            "Net": money(net),
            "NotCompleted": False,
            "PriceList": "A",
            "Remarks": "",
            "TotalToPay": money(document.total),
            "TotalVAT": money(document.total - net),
            "VATIncluded": False,
            "YourReference": "",
            "ZipCode": "",
        }
    )
    return record


def _row_base(document: SalesDocument, index: int, row: Any) -> Record:
    return {
        "AccountNumber": row.account,
        "ArticleNumber": row.article_number,
        "ContributionPercent": "0",
        "ContributionValue": "0",
        "CostCenter": "",
        "Description": row.description,
        "Discount": Decimal(0),
        "DiscountType": "PERCENT",
        "HouseWork": False,
        "Price": money(row.price),
        "Project": "",
        # A global row id, as real Fortnox numbers rows (not 1..n per document).
        "RowId": document.document_number * 100 + index,
        "Total": money(row.quantity * row.price),
        "Unit": row.unit,
        "VATCode": "",
    }


def order_detail(document: SalesDocument, base: str) -> Record:
    """`fortnox_Order`: the list item's fields, totals, and `OrderRows`."""
    record = _document_detail(document, base, order(document, base))
    record["OrderRows"] = [
        {
            **_row_base(document, index, row),
            "DeliveredQuantity": "0",
            "OrderedQuantity": str(row.quantity),
            "ReservedQuantity": "0",
            "VAT": Decimal(row.vat_percent),
        }
        for index, row in enumerate(document.rows, start=1)
    ]
    return dict(sorted(record.items()))


def offer_detail(document: SalesDocument, base: str) -> Record:
    """`fortnox_Offer`: the list item's fields, totals, and `OfferRows`."""
    record = _document_detail(document, base, offer(document, base))
    record["OfferRows"] = [
        {**_row_base(document, index, row), "Quantity": str(row.quantity), "VAT": row.vat_percent}
        for index, row in enumerate(document.rows, start=1)
    ]
    return dict(sorted(record.items()))
